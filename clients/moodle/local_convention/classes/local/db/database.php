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

namespace local_convention\local\db;

/**
 * The few database operations the plugin's logic needs, with Moodle's SQL dialect:
 * tables written {name} (the prefix is the adapter's business) and ? placeholders.
 *
 * In Moodle the adapter wraps $DB (local_convention\moodle\db_adapter); the tests use PostgreSQL directly.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
interface database {
    /**
     * Rows of a query, in the order the query gives.
     *
     * @param string $sql SQL with {table} names and ? placeholders.
     * @param array $params Positional parameters.
     * @return \stdClass[] One object per row, column names as properties.
     */
    public function records(string $sql, array $params = []): array;

    /**
     * Runs a statement that returns no rows.
     *
     * @param string $sql SQL with {table} names and ? placeholders.
     * @param array $params Positional parameters.
     */
    public function execute(string $sql, array $params = []): void;

    /**
     * Inserts one row and returns its id.
     *
     * @param string $table Table name without prefix.
     * @param array $row Column => value.
     * @return int The new row's id.
     */
    public function insert(string $table, array $row): int;

    /**
     * Runs $work in one transaction (committed if it returns, rolled back if it throws).
     *
     * @param callable $work Called without arguments.
     * @return mixed What $work returned.
     */
    public function transaction(callable $work);
}
