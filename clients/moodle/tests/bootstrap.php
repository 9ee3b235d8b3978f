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
 * PHPUnit bootstrap for the plugin's standalone tests (no Moodle needed): the plugin's
 * classes autoloaded as Moodle would (local_convention\X\Y => classes/X/Y.php) and the
 * test support classes.
 *
 * Environment (set by tests/moodle/test_plugin.py in the repository):
 * CONVENTION_TEST_PG   libpq connection string of an empty PostgreSQL database;
 * CONVENTION_TEST_LIVE JSON describing the live convention service (see live_service).
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

spl_autoload_register(function (string $class): void {
    $prefixes = [
        'local_convention\\' => __DIR__ . '/../local_convention/classes/',
        'local_convention_tests\\' => __DIR__ . '/support/',
    ];
    foreach ($prefixes as $prefix => $dir) {
        if (strpos($class, $prefix) === 0) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require_once($file);
            }
        }
    }
});

require_once(__DIR__ . '/xmldb_pgsql.php');
