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

namespace local_convention\local\http;

/**
 * Sends one HTTP request. Kept apart so that Moodle's curl class serves in Moodle and
 * php-curl serves the tests, both against a real server.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
interface transport {
    /**
     * Sends a request and returns the answer, whatever its status.
     *
     * @param string $method GET or POST.
     * @param string $url Absolute URL.
     * @param string[] $headers Header lines ("Name: value").
     * @param string|null $body Request body, null for none.
     * @param float $timeout Seconds for the whole exchange (connection included).
     * @return response
     * @throws transport_error When no answer was received.
     */
    public function send(string $method, string $url, array $headers, ?string $body, float $timeout): response;
}
