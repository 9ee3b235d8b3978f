<?php
// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

namespace local_convention\task;

use local_convention\moodle\factory;

/**
 * Every 5 minutes by default (db/tasks.php): measures each school's storage, queues one
 * snapshot per school and delivers the queue to the convention service.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class push_usage extends \core\task\scheduled_task {
    /**
     * The task's name in the admin pages.
     *
     * @return string
     */
    public function get_name() {
        return get_string('taskpushusage', 'local_convention');
    }

    /**
     * Measures and delivers.
     */
    public function execute() {
        if (!factory::configured()) {
            mtrace('local_convention: the service URL or the client credentials are not set; nothing done.');
            return;
        }
        $mapping = factory::mapping();
        $log = factory::mtrace_logger();
        $report = factory::locked(function () use ($mapping, $log) {
            return factory::pusher($log)->run($mapping, time());
        });
        if ($report === null) {
            mtrace('local_convention: another delivery is running; nothing done.');
        }
    }
}
