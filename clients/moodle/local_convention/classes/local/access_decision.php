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

namespace local_convention\local;

/**
 * What to do with a person who has just logged in.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class access_decision {
    /** @var bool True: end the session and show $message. */
    public $logout;
    /** @var string Why (the service's reason code, or the plugin's own). */
    public $reason;
    /** @var string|null The French message shown to the person when logged out. */
    public $message;

    /**
     * Constructor.
     *
     * @param bool $logout End the session.
     * @param string $reason Reason code.
     * @param string|null $message French message for the person.
     */
    public function __construct(bool $logout, string $reason, ?string $message = null) {
        $this->logout = $logout;
        $this->reason = $reason;
        $this->message = $message;
    }
}
