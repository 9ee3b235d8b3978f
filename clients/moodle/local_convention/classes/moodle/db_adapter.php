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

use local_convention\local\db\database;

/**
 * The plugin's database operations on Moodle's $DB (any database Moodle supports).
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class db_adapter implements database {
    /** @var \moodle_database Moodle's database. */
    private $db;

    /**
     * Constructor.
     *
     * @param \moodle_database $db Usually the global $DB.
     */
    public function __construct(\moodle_database $db) {
        $this->db = $db;
    }

    public function records(string $sql, array $params = []): array {
        // A recordset, not get_records_sql: that one keys rows by their first column and
        // would fold rows sharing it.
        $rows = [];
        $set = $this->db->get_recordset_sql($sql, $params);
        foreach ($set as $row) {
            $rows[] = $row;
        }
        $set->close();
        return $rows;
    }

    public function execute(string $sql, array $params = []): void {
        $this->db->execute($sql, $params);
    }

    public function insert(string $table, array $row): int {
        return (int) $this->db->insert_record($table, (object) $row);
    }

    public function transaction(callable $work) {
        $transaction = $this->db->start_delegated_transaction();
        try {
            $result = $work();
            $transaction->allow_commit();
            return $result;
        } catch (\Throwable $e) {
            $transaction->rollback($e);
            throw $e;
        }
    }
}
