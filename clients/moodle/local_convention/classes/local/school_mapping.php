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
 * The setting that says which course categories belong to which school: one
 * "categoryid = school_code" per line; blank lines and lines starting with # are ignored.
 * A category's subcategories, courses, activities and blocks belong to the same school,
 * unless a subcategory is itself mapped (the nearest mapped category wins).
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class school_mapping {
    /**
     * Parses the setting.
     *
     * @param string $text The setting's value.
     * @return array category id (int) => school code (string).
     * @throws \InvalidArgumentException Naming the first bad line.
     */
    public static function parse(string $text): array {
        $mapping = [];
        foreach (preg_split('/\R/', $text) as $number => $line) {
            $line = trim($line);
            if ($line === '' || $line[0] === '#') {
                continue;
            }
            if (!preg_match('/^(\d+)\s*=\s*([\x21-\x7e]{1,64})$/', $line, $match)) {
                throw new \InvalidArgumentException('line ' . ($number + 1) . ': expected "categoryid = school_code"');
            }
            $category = (int) $match[1];
            if (isset($mapping[$category]) && $mapping[$category] !== $match[2]) {
                throw new \InvalidArgumentException('line ' . ($number + 1) . ": category $category is mapped twice");
            }
            $mapping[$category] = $match[2];
        }
        return $mapping;
    }
}
