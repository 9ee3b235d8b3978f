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

namespace local_convention;

use local_convention\moodle\factory;

/**
 * Event observers (db/events.php).
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class observer {
    /**
     * After a login, asks the convention service whether the account may use the platform
     * and ends the session of one it refuses, with the service's reason in French.
     *
     * @param \core\event\user_loggedin $event The login.
     */
    public static function user_loggedin(\core\event\user_loggedin $event): void {
        global $DB, $SESSION;
        $config = factory::config();
        if (empty($config->checkaccess) || !factory::configured()) {
            return;
        }
        $userid = (int) $event->objectid;
        if (is_siteadmin($userid) || isguestuser($userid)) {
            return;
        }
        $field = ($config->uidfield ?? 'username') === 'idnumber' ? 'idnumber' : 'username';
        $uid = (string) $DB->get_field('user', $field, ['id' => $userid]);
        if ($uid === '') {
            return;
        }
        $decision = factory::gate(function (string $level, string $message) use ($userid): void {
            // No name or e-mail in logs: the Moodle user id is enough to find the account.
            error_log("local_convention [$level] user $userid: $message");
        })->decide($uid);
        if (!$decision->logout) {
            return;
        }
        $noninteractive = CLI_SCRIPT || AJAX_SCRIPT || (defined('WS_SERVER') && WS_SERVER);
        if ($noninteractive) {
            \core\session\manager::kill_user_sessions($userid);
            throw new \moodle_exception('accessrefused', 'local_convention', '', $decision->message);
        }
        require_logout();
        // login/index.php shows this message above the login form.
        $SESSION->loginerrormsg = $decision->message;
        redirect(get_login_url());
    }
}
