<?php
// This file is part of the convention service's reference Moodle plugin.
//
// It is free software: you can redistribute it and/or modify it under the terms of the
// GNU General Public License as published by the Free Software Foundation, either
// version 3 of the License, or (at your option) any later version.
// SPDX-License-Identifier: GPL-3.0-or-later

/**
 * PostgreSQL DDL generated from an XMLDB file (Moodle's install.xml format), so that the
 * tests run on tables shaped exactly as Moodle's own definitions say, never retyped.
 *
 * Follows what Moodle's PostgreSQL generator does for the types used here: int by LENGTH
 * (<= 4 SMALLINT, <= 9 INTEGER, else BIGINT), SEQUENCE as BIGSERIAL, char as VARCHAR(n),
 * text as TEXT, number as NUMERIC(l, d), float as DOUBLE PRECISION, binary as BYTEA;
 * NOT NULL and DEFAULT as declared; primary and unique keys as constraints; foreign keys
 * as plain indexes (Moodle never creates foreign-key constraints); INDEX elements as
 * indexes, with the varchar_pattern_ops hint on PostgreSQL.
 *
 * CLI: php xmldb_pgsql.php FILE.xml [PREFIX] prints the statements.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

/**
 * The DDL statements for every table of an XMLDB file.
 *
 * @param string $xmlfile Path of the XMLDB file.
 * @param string $prefix Table prefix (Moodle's $CFG->prefix, 'mdl_' by default).
 * @return string[] CREATE TABLE and CREATE INDEX statements, in order.
 */
function xmldb_pgsql_statements(string $xmlfile, string $prefix = 'mdl_'): array {
    $xml = simplexml_load_file($xmlfile);
    if ($xml === false) {
        throw new RuntimeException("cannot parse XMLDB file $xmlfile");
    }
    $statements = [];
    foreach ($xml->TABLES->TABLE as $table) {
        $name = $prefix . (string) $table['NAME'];
        $columns = [];
        foreach ($table->FIELDS->FIELD as $field) {
            $columns[] = '    ' . xmldb_pgsql_column($field);
        }
        $indexes = [];
        foreach ($table->KEYS->KEY ?? [] as $key) {
            $fields = xmldb_pgsql_fields((string) $key['FIELDS']);
            $type = (string) $key['TYPE'];
            if ($type === 'primary') {
                $columns[] = "    CONSTRAINT {$name}_{$key['NAME']}_pk PRIMARY KEY ($fields)";
            } else if ($type === 'unique') {
                $columns[] = "    CONSTRAINT {$name}_{$key['NAME']}_uk UNIQUE ($fields)";
            } else if ($type === 'foreign' || $type === 'foreign-unique') {
                $unique = $type === 'foreign-unique' ? 'UNIQUE ' : '';
                $indexes[] = "CREATE {$unique}INDEX {$name}_{$key['NAME']}_fk ON $name ($fields)";
            } else {
                throw new RuntimeException("unknown key type $type in $name");
            }
        }
        foreach ($table->INDEXES->INDEX ?? [] as $index) {
            $unique = ((string) $index['UNIQUE']) === 'true' ? 'UNIQUE ' : '';
            $fields = xmldb_pgsql_fields((string) $index['FIELDS']);
            if ((string) $index['HINTS'] === 'varchar_pattern_ops') {
                $fields .= ' varchar_pattern_ops';
            }
            $indexname = $name . '_' . str_replace('-', '_', (string) $index['NAME']) . '_ix';
            $indexes[] = "CREATE {$unique}INDEX $indexname ON $name ($fields)";
        }
        $statements[] = "CREATE TABLE $name (\n" . implode(",\n", $columns) . "\n)";
        array_push($statements, ...$indexes);
    }
    return $statements;
}

/**
 * One column definition.
 *
 * @param SimpleXMLElement $field A FIELD element.
 * @return string The column's DDL.
 */
function xmldb_pgsql_column(SimpleXMLElement $field): string {
    $name = (string) $field['NAME'];
    $type = (string) $field['TYPE'];
    $length = (string) $field['LENGTH'];
    if ((string) $field['SEQUENCE'] === 'true') {
        return "$name BIGSERIAL";
    }
    switch ($type) {
        case 'int':
            $len = (int) $length;
            $sqltype = $len <= 4 ? 'SMALLINT' : ($len <= 9 ? 'INTEGER' : 'BIGINT');
            break;
        case 'char':
            $sqltype = "VARCHAR($length)";
            break;
        case 'text':
            $sqltype = 'TEXT';
            break;
        case 'number':
            $sqltype = "NUMERIC($length," . (int) $field['DECIMALS'] . ')';
            break;
        case 'float':
            $sqltype = 'DOUBLE PRECISION';
            break;
        case 'binary':
            $sqltype = 'BYTEA';
            break;
        default:
            throw new RuntimeException("unknown XMLDB type $type for $name");
    }
    $sql = "$name $sqltype";
    if (isset($field['DEFAULT'])) {
        $default = (string) $field['DEFAULT'];
        $sql .= in_array($type, ['char', 'text'], true)
            ? " DEFAULT '" . str_replace("'", "''", $default) . "'"
            : ' DEFAULT ' . (0 + $default);
    }
    if ((string) $field['NOTNULL'] === 'true') {
        $sql .= ' NOT NULL';
    }
    return $sql;
}

/**
 * A FIELDS attribute ("a, b") as a column list.
 *
 * @param string $fields The attribute.
 * @return string The columns, comma-separated.
 */
function xmldb_pgsql_fields(string $fields): string {
    return implode(', ', array_map('trim', explode(',', $fields)));
}

if (PHP_SAPI === 'cli' && isset($argv[0]) && realpath($argv[0]) === __FILE__) {
    if (!isset($argv[1])) {
        fwrite(STDERR, "usage: php xmldb_pgsql.php FILE.xml [PREFIX]\n");
        exit(2);
    }
    foreach (xmldb_pgsql_statements($argv[1], $argv[2] ?? 'mdl_') as $statement) {
        echo $statement, ";\n";
    }
}
