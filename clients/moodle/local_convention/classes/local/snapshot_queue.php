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

use local_convention\local\db\database;

/**
 * Snapshots measured and not yet delivered, in the plugin's table. Delivered oldest
 * first; after a failed delivery the queue waits (exponential backoff, capped) before the
 * next try. A queued snapshot keeps the id and figures it was measured with.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class snapshot_queue {
    /** The plugin's table (db/install.xml). */
    public const TABLE = 'local_convention_queue';

    /** @var database Moodle's database. */
    private $db;
    /** @var int Seconds waited after a first failure. */
    private $basedelay;
    /** @var int Longest wait, in seconds. */
    private $maxdelay;

    /**
     * Constructor.
     *
     * @param database $db Moodle's database.
     * @param int $basedelay Seconds waited after a first failure (doubled after each).
     * @param int $maxdelay Longest wait, in seconds.
     */
    public function __construct(database $db, int $basedelay = 60, int $maxdelay = 3600) {
        $this->db = $db;
        $this->basedelay = $basedelay;
        $this->maxdelay = $maxdelay;
    }

    /**
     * Queues one measurement.
     *
     * @param array $snapshot snapshot_id, school_code, measured_at (unix time), bytes_used,
     *      files_count, bytes_backup.
     * @param int $now Unix time.
     */
    public function add(array $snapshot, int $now): void {
        $this->db->insert(self::TABLE, [
            'snapshotid' => $snapshot['snapshot_id'],
            'schoolcode' => $snapshot['school_code'],
            'measuredat' => $snapshot['measured_at'],
            'bytesused' => $snapshot['bytes_used'],
            'filescount' => $snapshot['files_count'],
            'bytesbackup' => $snapshot['bytes_backup'],
            'attempts' => 0,
            'nextattempt' => 0,
            'timecreated' => $now,
        ]);
    }

    /**
     * Queues a run's measurements, all or none.
     *
     * @param array[] $snapshots Measurements (see add).
     * @param int $now Unix time.
     */
    public function add_all(array $snapshots, int $now): void {
        $this->db->transaction(function () use ($snapshots, $now) {
            foreach ($snapshots as $snapshot) {
                $this->add($snapshot, $now);
            }
        });
    }

    /**
     * The next snapshots to deliver, oldest first; none while the oldest waits.
     *
     * @param int $now Unix time.
     * @param int $limit Most rows returned.
     * @return \stdClass[] Queue rows.
     */
    public function due(int $now, int $limit): array {
        $rows = $this->pending($limit);
        if (!$rows || (int) $rows[0]->nextattempt > $now) {
            return [];
        }
        return $rows;
    }

    /**
     * Every queued snapshot (or the first $limit), oldest first.
     *
     * @param int $limit Most rows returned, 0 for all.
     * @return \stdClass[] Queue rows.
     */
    public function pending(int $limit = 0): array {
        $sql = 'SELECT * FROM {' . self::TABLE . '} ORDER BY id';
        $rows = $this->db->records($sql);
        return $limit > 0 ? array_slice($rows, 0, $limit) : $rows;
    }

    /**
     * Forgets delivered (or definitively refused) snapshots.
     *
     * @param int[] $ids Queue row ids.
     */
    public function remove(array $ids): void {
        foreach (array_chunk($ids, 500) as $chunk) {
            $marks = implode(', ', array_fill(0, count($chunk), '?'));
            $this->db->execute('DELETE FROM {' . self::TABLE . "} WHERE id IN ($marks)", $chunk);
        }
    }

    /**
     * Records a failed delivery: the queue waits before the next try.
     *
     * @param \stdClass[] $rows The rows that were being delivered, oldest first.
     * @param int $now Unix time.
     * @param string $error Why it failed (kept for the administrator).
     * @return int The unix time of the next try.
     */
    public function defer(array $rows, int $now, string $error): int {
        $attempts = (int) $rows[0]->attempts + 1;
        $next = $now + $this->delay($attempts);
        $ids = array_map(function ($row) {
            return (int) $row->id;
        }, $rows);
        foreach (array_chunk($ids, 500) as $chunk) {
            $marks = implode(', ', array_fill(0, count($chunk), '?'));
            $this->db->execute(
                'UPDATE {' . self::TABLE . "} SET attempts = attempts + 1, nextattempt = ?, lasterror = ? WHERE id IN ($marks)",
                array_merge([$next, substr($error, 0, 255)], $chunk)
            );
        }
        return $next;
    }

    /**
     * Seconds to wait after the given number of failed deliveries.
     *
     * @param int $attempts Failed deliveries so far (at least 1).
     * @return int Seconds.
     */
    public function delay(int $attempts): int {
        return (int) min($this->maxdelay, $this->basedelay * 2 ** min(max($attempts - 1, 0), 30));
    }

    /**
     * A queue row as the API takes it.
     *
     * @param \stdClass $row Queue row.
     * @return array The snapshot item.
     */
    public static function item(\stdClass $row): array {
        return [
            'snapshot_id' => (string) $row->snapshotid,
            'school_code' => (string) $row->schoolcode,
            'measured_at' => gmdate('Y-m-d\TH:i:sP', (int) $row->measuredat),
            'bytes_used' => (int) $row->bytesused,
            'files_count' => (int) $row->filescount,
            'bytes_backup' => (int) $row->bytesbackup,
        ];
    }
}
