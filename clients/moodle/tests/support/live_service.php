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

namespace local_convention_tests;

/**
 * A live instance of the convention service (uvicorn on SQLite), which the tests stop
 * and start again. Described by CONVENTION_TEST_LIVE (JSON, written by
 * tests/moodle/test_plugin.py): argv, env and cwd of the serve command, its url, the
 * plugin's client credentials, an administrator's token for checks, an expired token,
 * and the uids of an allowed and a refused account.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class live_service {
    /** @var array The description. */
    public $config;
    /** @var resource|null The running process. */
    private $process = null;

    /**
     * The service described by the environment.
     *
     * @return self
     */
    public static function from_env(): self {
        $json = getenv('CONVENTION_TEST_LIVE');
        $config = $json ? json_decode($json, true) : null;
        if (!is_array($config)) {
            throw new \RuntimeException('CONVENTION_TEST_LIVE is not set (run through tests/moodle/test_plugin.py)');
        }
        $service = new self();
        $service->config = $config;
        return $service;
    }

    /**
     * Starts the service and waits until it answers /readyz.
     */
    public function start(): void {
        $log = fopen($this->config['log'], 'a');
        $this->process = proc_open($this->config['argv'], [0 => ['file', '/dev/null', 'r'], 1 => $log, 2 => $log],
            $pipes, $this->config['cwd'], $this->config['env']);
        fclose($log);
        if (!is_resource($this->process)) {
            throw new \RuntimeException('cannot start the service');
        }
        $deadline = microtime(true) + 60;
        while (microtime(true) < $deadline) {
            if (!proc_get_status($this->process)['running']) {
                break;
            }
            $handle = curl_init($this->config['url'] . '/readyz');
            curl_setopt_array($handle, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 2]);
            curl_exec($handle);
            $status = curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
            curl_close($handle);
            if ($status === 200) {
                return;
            }
            usleep(100000);
        }
        $this->stop();
        throw new \RuntimeException("the service did not get ready:\n" . $this->log_tail());
    }

    /**
     * Stops the service (SIGTERM, then SIGKILL if it lingers) and waits for its end.
     */
    public function stop(): void {
        if ($this->process === null) {
            return;
        }
        proc_terminate($this->process, 15);
        $deadline = microtime(true) + 15;
        while (proc_get_status($this->process)['running'] && microtime(true) < $deadline) {
            usleep(50000);
        }
        if (proc_get_status($this->process)['running']) {
            proc_terminate($this->process, 9);
        }
        proc_close($this->process);
        $this->process = null;
    }

    /**
     * An administrator's GET on the service, decoded.
     *
     * @param string $path Path.
     * @return array The JSON answer.
     */
    public function admin_get(string $path): array {
        $handle = curl_init($this->config['url'] . $path);
        curl_setopt_array($handle, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 10,
            CURLOPT_HTTPHEADER => ['Authorization: Bearer ' . $this->config['admin_token']]]);
        $body = curl_exec($handle);
        $status = curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);
        if ($status !== 200) {
            throw new \RuntimeException("GET $path answered $status: $body");
        }
        return json_decode($body, true);
    }

    /**
     * The end of the service's log, for failure messages.
     *
     * @return string
     */
    public function log_tail(): string {
        $lines = @file($this->config['log']) ?: [];
        return implode('', array_slice($lines, -40));
    }
}
