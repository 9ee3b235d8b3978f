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

use local_convention\local\db\database;

/**
 * The plugin's database interface on PostgreSQL through php-pgsql, Moodle's SQL dialect
 * translated as Moodle's own pgsql driver does: {name} gets the prefix, ? becomes $n.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class pgsql_database implements database {
    /** @var \PgSql\Connection The connection. */
    private $connection;
    /** @var string Table prefix. */
    private $prefix;
    /** @var int Statements run (for tests that count round trips). */
    public $statements = 0;

    /**
     * Constructor.
     *
     * @param string $dsn libpq connection string.
     * @param string $prefix Table prefix.
     */
    public function __construct(string $dsn, string $prefix = 'mdl_') {
        $connection = pg_connect($dsn, PGSQL_CONNECT_FORCE_NEW);
        if ($connection === false) {
            throw new \RuntimeException('cannot connect to PostgreSQL');
        }
        $this->connection = $connection;
        $this->prefix = $prefix;
    }

    /**
     * Runs raw SQL (DDL, fixtures) without translation.
     *
     * @param string $sql SQL.
     */
    public function raw(string $sql): void {
        if (@pg_query($this->connection, $sql) === false) {
            throw new \RuntimeException(pg_last_error($this->connection));
        }
    }

    public function records(string $sql, array $params = []): array {
        $result = $this->query($sql, $params);
        $rows = [];
        while (($row = pg_fetch_object($result)) !== false) {
            $rows[] = $row;
        }
        return $rows;
    }

    public function execute(string $sql, array $params = []): void {
        $this->query($sql, $params);
    }

    public function insert(string $table, array $row): int {
        $marks = implode(', ', array_fill(0, count($row), '?'));
        $columns = implode(', ', array_keys($row));
        $result = $this->query("INSERT INTO {{$table}} ($columns) VALUES ($marks) RETURNING id", array_values($row));
        return (int) pg_fetch_result($result, 0, 0);
    }

    public function transaction(callable $work) {
        $this->raw('BEGIN');
        try {
            $result = $work();
        } catch (\Throwable $e) {
            $this->raw('ROLLBACK');
            throw $e;
        }
        $this->raw('COMMIT');
        return $result;
    }

    /**
     * Translates and runs one statement.
     *
     * @param string $sql Moodle-dialect SQL.
     * @param array $params Positional parameters.
     * @return \PgSql\Result
     */
    private function query(string $sql, array $params) {
        $sql = preg_replace('/\{([a-z][a-z0-9_]*)\}/', $this->prefix . '$1', $sql);
        $number = 0;
        $sql = preg_replace_callback('/\?/', function () use (&$number) {
            return '$' . (++$number);
        }, $sql);
        if ($number !== count($params)) {
            throw new \InvalidArgumentException("$number placeholders for " . count($params) . ' parameters');
        }
        $this->statements++;
        $result = @pg_query_params($this->connection, $sql, $params);
        if ($result === false) {
            throw new \RuntimeException(pg_last_error($this->connection) . "\n$sql");
        }
        return $result;
    }
}
