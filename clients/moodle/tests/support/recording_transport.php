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

use local_convention\local\http\curl_transport;
use local_convention\local\http\response;
use local_convention\local\http\transport;

/**
 * The real curl transport, with a record of each exchange so that tests can say which
 * requests reached the network and in what order.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class recording_transport implements transport {
    /** @var array[] Exchanges: method, path, body, status (0: no answer). */
    public $exchanges = [];
    /** @var curl_transport The real transport. */
    private $inner;

    public function __construct() {
        $this->inner = new curl_transport();
    }

    public function send(string $method, string $url, array $headers, ?string $body, float $timeout): response {
        $exchange = ['method' => $method, 'path' => parse_url($url, PHP_URL_PATH), 'body' => $body, 'status' => 0];
        try {
            $answer = $this->inner->send($method, $url, $headers, $body, $timeout);
            $exchange['status'] = $answer->status;
            return $answer;
        } finally {
            $this->exchanges[] = $exchange;
        }
    }

    /**
     * The exchanges on one path.
     *
     * @param string $path Path.
     * @return array[] The exchanges.
     */
    public function on(string $path): array {
        return array_values(array_filter($this->exchanges, function (array $exchange) use ($path): bool {
            return $exchange['path'] === $path;
        }));
    }
}
