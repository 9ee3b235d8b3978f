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
 * One run of the scheduled task: measure every school once, queue the snapshots, then
 * deliver the queue oldest first, reading the service's answer item by item.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class pusher {
    /** @var usage_calculator Measures. */
    private $calculator;
    /** @var snapshot_queue Undelivered snapshots. */
    private $queue;
    /** @var service_client The service. */
    private $client;
    /** @var callable Logger: function(string $level, string $message). */
    private $log;
    /** @var int Snapshots per batch. */
    private $batchsize;

    /**
     * Constructor.
     *
     * @param usage_calculator $calculator Measures.
     * @param snapshot_queue $queue Undelivered snapshots.
     * @param service_client $client The service.
     * @param callable|null $log Logger: function(string $level, string $message).
     * @param int $batchsize Snapshots per batch (at most 1,000).
     */
    public function __construct(usage_calculator $calculator, snapshot_queue $queue, service_client $client,
            ?callable $log = null, int $batchsize = 500) {
        $this->calculator = $calculator;
        $this->queue = $queue;
        $this->client = $client;
        $this->log = $log ?? function (string $level, string $message): void {
        };
        $this->batchsize = max(1, min($batchsize, service_client::MAX_BATCH));
    }

    /**
     * Measures and delivers.
     *
     * @param array $mapping category id => school code.
     * @param int $now Unix time.
     * @return array The delivery report (see flush), plus 'measured'.
     */
    public function run(array $mapping, int $now): array {
        $measured = $this->measure($mapping, $now);
        return ['measured' => $measured] + $this->flush($now);
    }

    /**
     * Measures every school once and queues one absolute snapshot per school, each with a
     * new id: a resend of the same snapshot is then a harmless duplicate.
     *
     * @param array $mapping category id => school code.
     * @param int $now Unix time, the snapshots' measured_at.
     * @return int Snapshots queued.
     */
    public function measure(array $mapping, int $now): int {
        $usage = $this->calculator->measure($mapping);
        $snapshots = [];
        foreach ($usage as $school => $figures) {
            $snapshots[] = ['snapshot_id' => self::new_id(), 'school_code' => (string) $school,
                'measured_at' => $now] + $figures;
        }
        $this->queue->add_all($snapshots, $now);
        foreach ($usage as $school => $figures) {
            ($this->log)('info', "measured $school: {$figures['bytes_used']} bytes, {$figures['files_count']} files");
        }
        return count($usage);
    }

    /**
     * Delivers the queue oldest first until it is empty, waiting, or the service fails.
     *
     * @param int $now Unix time.
     * @return array ['sent' => int, 'accepted' => int, 'duplicates' => int, 'rejected' =>
     *      int, 'left' => int, 'error' => string|null, 'nextattempt' => int|null].
     */
    public function flush(int $now): array {
        $report = ['sent' => 0, 'accepted' => 0, 'duplicates' => 0, 'rejected' => 0, 'error' => null,
            'nextattempt' => null];
        while ($rows = $this->queue->due($now, $this->batchsize)) {
            try {
                $answer = $this->client->post_snapshots(array_map([snapshot_queue::class, 'item'], $rows));
            } catch (service_unavailable | service_refused $e) {
                $report['error'] = $e->getMessage();
                $report['nextattempt'] = $this->queue->defer($rows, $now, $e->getMessage());
                $level = $e instanceof service_refused ? 'error' : 'warning';
                ($this->log)($level, 'snapshots not delivered (' . count($rows) . ' waiting, next try at '
                    . gmdate('c', $report['nextattempt']) . '): ' . $e->getMessage());
                break;
            }
            $report['sent'] += count($rows);
            $done = [];
            $unanswered = [];
            foreach ($rows as $index => $row) {
                $result = $answer['results'][$index] ?? null;
                $status = $result['status'] ?? null;
                if ($result === null || ($result['snapshot_id'] ?? null) !== $row->snapshotid) {
                    $unanswered[] = $row;
                } else if ($status === 'accepted' || $status === 'duplicate') {
                    $report[$status === 'accepted' ? 'accepted' : 'duplicates']++;
                    $done[] = (int) $row->id;
                } else {
                    // A rejected snapshot would be rejected again: dropped, and said.
                    $report['rejected']++;
                    $done[] = (int) $row->id;
                    $codes = implode(', ', array_map(function ($error) {
                        return ($error['code'] ?? '?') . ' ' . ($error['field'] ?? '');
                    }, $result['errors'] ?? []));
                    ($this->log)('error', "snapshot {$row->snapshotid} of {$row->schoolcode} rejected: $codes");
                }
            }
            $this->queue->remove($done);
            if ($unanswered) {
                $report['error'] = 'the service did not answer every snapshot';
                $report['nextattempt'] = $this->queue->defer($unanswered, $now, $report['error']);
                ($this->log)('error', $report['error']);
                break;
            }
        }
        $report['left'] = count($this->queue->pending());
        if ($report['sent'] > 0) {
            ($this->log)('info', "snapshots delivered: {$report['accepted']} accepted, {$report['duplicates']} "
                . "duplicates, {$report['rejected']} rejected; {$report['left']} waiting");
        }
        return $report;
    }

    /**
     * A new snapshot id: 32 random hex digits, prefixed (36 visible ASCII characters).
     *
     * @return string
     */
    public static function new_id(): string {
        return 'mdl-' . bin2hex(random_bytes(16));
    }
}
