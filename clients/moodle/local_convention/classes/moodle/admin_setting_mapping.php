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

use local_convention\local\school_mapping;

/**
 * The category => school mapping setting: a textarea refused when a line is malformed.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class admin_setting_mapping extends \admin_setting_configtextarea {
    /**
     * Validates the mapping.
     *
     * @param string $data The submitted value.
     * @return bool|string True, or the error shown to the administrator.
     */
    public function validate($data) {
        try {
            school_mapping::parse((string) $data);
        } catch (\InvalidArgumentException $e) {
            return get_string('mappinginvalid', 'local_convention', $e->getMessage());
        }
        return true;
    }
}
