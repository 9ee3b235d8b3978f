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

namespace local_convention\moodle;

use local_convention\local\access_gate;
use local_convention\local\pusher;
use local_convention\local\school_mapping;
use local_convention\local\service_client;
use local_convention\local\snapshot_queue;
use local_convention\local\usage_calculator;

/**
 * Builds the plugin's plain classes from the site's settings, $DB, Moodle's curl class
 * and Moodle's cache.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class factory {
    /**
     * The plugin's settings.
     *
     * @return \stdClass
     */
    public static function config(): \stdClass {
        return get_config('local_convention');
    }

    /**
     * Whether the service URL and the client's credentials are set.
     *
     * @return bool
     */
    public static function configured(): bool {
        $config = self::config();
        return !empty($config->serviceurl) && !empty($config->clientid) && !empty($config->clientsecret);
    }

    /**
     * The category => school mapping setting, parsed.
     *
     * @return array category id => school code.
     */
    public static function mapping(): array {
        return school_mapping::parse((string) (self::config()->mapping ?? ''));
    }

    /**
     * The service client.
     *
     * @return service_client
     */
    public static function client(): service_client {
        $config = self::config();
        return new service_client((string) $config->serviceurl, (string) $config->clientid,
            (string) $config->clientsecret, new curl_transport(), new token_cache(), null,
            max(1.0, (float) ($config->timeout ?? 10)));
    }

    /**
     * The measure-and-deliver run.
     *
     * @param callable $log Logger: function(string $level, string $message).
     * @return pusher
     */
    public static function pusher(callable $log): pusher {
        global $DB;
        $db = new db_adapter($DB);
        return new pusher(new usage_calculator($db, $log), new snapshot_queue($db), self::client(), $log);
    }

    /**
     * The login gate.
     *
     * @param callable $log Logger: function(string $level, string $message).
     * @return access_gate
     */
    public static function gate(callable $log): access_gate {
        $config = self::config();
        return new access_gate(self::client(), max(0.2, (float) ($config->accesstimeout ?? 2)),
            (string) ($config->failmode ?? access_gate::FAIL_OPEN), $log);
    }

    /**
     * Runs $work under the plugin's lock, so that the task and cli/push.php never deliver
     * the queue at the same time.
     *
     * @param callable $work Called without arguments.
     * @return mixed What $work returned, or null when the lock could not be had.
     */
    public static function locked(callable $work) {
        $factory = \core\lock\lock_config::get_lock_factory('local_convention');
        $lock = $factory->get_lock('push', 60);
        if (!$lock) {
            return null;
        }
        try {
            return $work();
        } finally {
            $lock->release();
        }
    }

    /**
     * A logger for cron and the CLI (mtrace).
     *
     * @return callable
     */
    public static function mtrace_logger(): callable {
        return function (string $level, string $message): void {
            mtrace("local_convention [$level] $message");
        };
    }
}
