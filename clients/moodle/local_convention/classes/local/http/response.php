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
 * An HTTP answer: status and body.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class response {
    /** @var int HTTP status. */
    public $status;
    /** @var string Body as received. */
    public $body;

    /**
     * Constructor.
     *
     * @param int $status HTTP status.
     * @param string $body Body.
     */
    public function __construct(int $status, string $body) {
        $this->status = $status;
        $this->body = $body;
    }

    /**
     * The body as a JSON object (associative array), or null when it is not one.
     *
     * @return array|null
     */
    public function json(): ?array {
        $decoded = json_decode($this->body, true);
        return is_array($decoded) ? $decoded : null;
    }
}
