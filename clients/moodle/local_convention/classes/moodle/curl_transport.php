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

use local_convention\local\http\response;
use local_convention\local\http\transport;
use local_convention\local\http\transport_error;

/**
 * The transport on Moodle's curl class (lib/filelib.php): Moodle's proxy settings apply.
 *
 * The service usually lives on UT's internal network, which Moodle's curl security
 * helper may block (curlsecurityblockedhosts): the administrator's URL is trusted here,
 * as it is a site setting only an administrator can change.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class curl_transport implements transport {
    public function send(string $method, string $url, array $headers, ?string $body, float $timeout): response {
        global $CFG;
        require_once($CFG->libdir . '/filelib.php');
        $curl = new \curl(['ignoresecurity' => true]);
        $curl->setHeader($headers);
        $options = [
            'CURLOPT_TIMEOUT_MS' => (int) ceil($timeout * 1000),
            'CURLOPT_CONNECTTIMEOUT_MS' => (int) ceil($timeout * 1000),
            'CURLOPT_NOSIGNAL' => 1,
        ];
        $answer = $method === 'POST'
            ? $curl->post($url, $body ?? '', $options)
            : $curl->get($url, [], $options);
        if ($curl->get_errno()) {
            throw new transport_error((string) $curl->error);
        }
        $info = $curl->get_info();
        return new response((int) ($info['http_code'] ?? 0), (string) $answer);
    }
}
