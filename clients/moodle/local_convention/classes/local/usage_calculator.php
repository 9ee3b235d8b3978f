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
 * Measures each school's storage from Moodle's own tables.
 *
 * A school's usage is the bytes of the distinct file contents (files.contenthash: Moodle
 * stores one copy of a content however many files share it) of the files whose context
 * lies under one of the school's course categories (context.path), counted once per
 * school. Directory entries (filename '.') are not files. Files in the recycle bin are
 * left out: tool_recyclebin keeps deleted activities and courses as backups under
 * component 'tool_recyclebin' (filearea 'recyclebin_course' in the course context,
 * 'recyclebin_coursecat' in the category context) until its cleanup task purges them;
 * files deleted for good leave the files table at once (Moodle's own trash directory
 * is on disk, outside the table). Backups (component 'backup') are the school's content
 * and counted; their part is also reported as bytes_backup.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class usage_calculator {
    /** Moodle's CONTEXT_COURSECAT. */
    public const CONTEXT_COURSECAT = 40;
    /** Component of the recycle bin's files (admin/tool/recyclebin). */
    public const RECYCLEBIN_COMPONENT = 'tool_recyclebin';
    /** Component of course and activity backups. */
    public const BACKUP_COMPONENT = 'backup';

    /** @var database Moodle's database. */
    private $db;
    /** @var callable Logger: function(string $level, string $message). */
    private $log;

    /**
     * Constructor.
     *
     * @param database $db Moodle's database.
     * @param callable|null $log Logger: function(string $level, string $message).
     */
    public function __construct(database $db, ?callable $log = null) {
        $this->db = $db;
        $this->log = $log ?? function (string $level, string $message): void {
        };
    }

    /**
     * Measures every mapped school.
     *
     * @param array $mapping category id => school code (school_mapping::parse).
     * @return array school code => ['bytes_used' => int, 'files_count' => int,
     *      'bytes_backup' => int], for every school with at least one existing category.
     */
    public function measure(array $mapping): array {
        $paths = $this->category_paths(array_keys($mapping));
        $schools = [];
        foreach ($mapping as $category => $school) {
            if (!isset($paths[$category])) {
                ($this->log)('warning', "course category $category (mapped to $school) does not exist: not measured");
                continue;
            }
            $schools[$school][] = $paths[$category];
        }
        $usage = [];
        foreach ($schools as $school => $own) {
            $usage[$school] = $this->measure_paths($own, $this->nested_elsewhere($own, $school, $mapping, $paths));
        }
        return $usage;
    }

    /**
     * Context paths of the given categories.
     *
     * @param int[] $categories Category ids.
     * @return array category id => context path.
     */
    private function category_paths(array $categories): array {
        if (!$categories) {
            return [];
        }
        $marks = implode(', ', array_fill(0, count($categories), '?'));
        $rows = $this->db->records(
            "SELECT ctx.instanceid AS categoryid, ctx.path
               FROM {context} ctx
               JOIN {course_categories} cc ON cc.id = ctx.instanceid
              WHERE ctx.contextlevel = ? AND ctx.instanceid IN ($marks)",
            array_merge([self::CONTEXT_COURSECAT], $categories)
        );
        $paths = [];
        foreach ($rows as $row) {
            $paths[(int) $row->categoryid] = (string) $row->path;
        }
        return $paths;
    }

    /**
     * Paths of categories mapped to another school that lie under this school's own.
     *
     * @param string[] $own This school's category paths.
     * @param string $school This school.
     * @param array $mapping category id => school code.
     * @param array $paths category id => context path.
     * @return string[] Paths whose subtrees belong to someone else.
     */
    private function nested_elsewhere(array $own, string $school, array $mapping, array $paths): array {
        $nested = [];
        foreach ($mapping as $category => $other) {
            if ($other === $school || !isset($paths[$category])) {
                continue;
            }
            foreach ($own as $path) {
                if (strpos($paths[$category], $path . '/') === 0) {
                    $nested[] = $paths[$category];
                }
            }
        }
        return $nested;
    }

    /**
     * One school's figures.
     *
     * @param string[] $include Context paths whose subtrees count.
     * @param string[] $exclude Context paths whose subtrees do not.
     * @return array ['bytes_used' => int, 'files_count' => int, 'bytes_backup' => int].
     */
    private function measure_paths(array $include, array $exclude): array {
        [$inside, $params] = $this->subtrees($include);
        $where = "($inside)";
        if ($exclude) {
            [$outside, $more] = $this->subtrees($exclude);
            $where .= " AND NOT ($outside)";
            $params = array_merge($params, $more);
        }
        // Context paths are digits and slashes: LIKE needs no escaping and keeps the
        // index on context.path usable.
        $row = $this->db->records(
            "SELECT COALESCE(SUM(d.size), 0) AS bytes_used,
                    COALESCE(SUM(d.files), 0) AS files_count,
                    COALESCE(SUM(d.backup), 0) AS bytes_backup
               FROM (SELECT f.contenthash,
                            MAX(f.filesize) AS size,
                            COUNT(1) AS files,
                            MAX(CASE WHEN f.component = ? THEN f.filesize ELSE 0 END) AS backup
                       FROM {files} f
                       JOIN {context} ctx ON ctx.id = f.contextid
                      WHERE f.filename <> ? AND f.component <> ? AND $where
                   GROUP BY f.contenthash) d",
            array_merge([self::BACKUP_COMPONENT, '.', self::RECYCLEBIN_COMPONENT], $params)
        )[0];
        return [
            'bytes_used' => (int) $row->bytes_used,
            'files_count' => (int) $row->files_count,
            'bytes_backup' => (int) $row->bytes_backup,
        ];
    }

    /**
     * A condition matching the contexts of some subtrees (their roots included).
     *
     * @param string[] $paths Root context paths.
     * @return array [SQL, params].
     */
    private function subtrees(array $paths): array {
        $conditions = [];
        $params = [];
        foreach ($paths as $path) {
            $conditions[] = 'ctx.path = ? OR ctx.path LIKE ?';
            $params[] = $path;
            $params[] = $path . '/%';
        }
        return [implode(' OR ', $conditions), $params];
    }
}
