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

/**
 * Manual run of the storage snapshots, as the scheduled task does it.
 *
 *   php local/convention/cli/push.php            measure, queue and deliver
 *   php local/convention/cli/push.php --dry-run  measure and print, queue nothing
 *   php local/convention/cli/push.php --flush    deliver the queue only
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

define('CLI_SCRIPT', true);

require(__DIR__ . '/../../../config.php');
require_once($CFG->libdir . '/clilib.php');

use local_convention\local\usage_calculator;
use local_convention\moodle\db_adapter;
use local_convention\moodle\factory;

[$options, $unrecognised] = cli_get_params(
    ['help' => false, 'dry-run' => false, 'flush' => false],
    ['h' => 'help', 'n' => 'dry-run']
);
if ($unrecognised) {
    cli_error(get_string('cliunknowoption', 'admin', implode("\n  ", $unrecognised)));
}
if ($options['help']) {
    echo "Measure each school's storage and send it to the convention service.

Options:
-n, --dry-run   Measure and print the figures; queue and send nothing.
--flush         Send what is queued; measure nothing.
-h, --help      This help.
";
    exit(0);
}

$mapping = factory::mapping();
$log = factory::mtrace_logger();
if ($options['dry-run']) {
    foreach ((new usage_calculator(new db_adapter($DB), $log))->measure($mapping) as $school => $figures) {
        cli_writeln("$school\tbytes_used={$figures['bytes_used']}\tfiles_count={$figures['files_count']}"
            . "\tbytes_backup={$figures['bytes_backup']}");
    }
    exit(0);
}
if (!factory::configured()) {
    cli_error('Set the service URL, client id and client secret first (Site administration > Plugins > '
        . 'Local plugins > Convention service).');
}
$report = factory::locked(function () use ($mapping, $log, $options) {
    $pusher = factory::pusher($log);
    return $options['flush'] ? $pusher->flush(time()) : $pusher->run($mapping, time());
});
if ($report === null) {
    cli_error('Another delivery is running (the scheduled task?); try again in a minute.');
}
cli_writeln(json_encode($report, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));
exit($report['error'] === null ? 0 : 1);
