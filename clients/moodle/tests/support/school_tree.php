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

/**
 * Builds Moodle data in the tables generated from Moodle's install.xml, the way Moodle
 * lays it out (categories, courses and activities each with their context and its path;
 * files pointing at contexts, one content per contenthash), and keeps its own model of
 * it to compute the expected usage independently of the SQL under test.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class school_tree {
    /** Moodle's context levels. */
    public const SYSTEM = 10;
    public const USER = 30;
    public const COURSECAT = 40;
    public const COURSE = 50;
    public const MODULE = 70;

    /** @var pgsql_database The database. */
    private $db;
    /** @var array context id => path. */
    public $contextpaths = [];
    /** @var array category id => context id. */
    public $categorycontexts = [];
    /** @var array course id => context id. */
    public $coursecontexts = [];
    /** @var array[] Files: contextid, contenthash, size, component, filename. */
    public $files = [];
    /** @var int Next fake instance id for activities and users. */
    private $instances = 1;

    /**
     * Constructor: the system context.
     *
     * @param pgsql_database $db The database, with the tables created.
     */
    public function __construct(pgsql_database $db) {
        $this->db = $db;
        $this->context(self::SYSTEM, 0, '');
    }

    /**
     * Creates the tables from Moodle's definitions and the plugin's own.
     *
     * @param pgsql_database $db An empty database.
     */
    public static function create_tables(pgsql_database $db): void {
        $db->raw('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
        $files = [__DIR__ . '/../xmldb/moodle_core_tables.xml', __DIR__ . '/../../local_convention/db/install.xml'];
        foreach ($files as $file) {
            foreach (xmldb_pgsql_statements($file) as $statement) {
                $db->raw($statement);
            }
        }
    }

    /**
     * A course category and its context.
     *
     * @param string $name Name.
     * @param int $parent Parent category id, 0 for top level.
     * @return int The category id.
     */
    public function category(string $name, int $parent = 0): int {
        $parentpath = '';
        if ($parent) {
            $parentpath = $this->db->records('SELECT path FROM {course_categories} WHERE id = ?', [$parent])[0]->path;
        }
        $id = $this->db->insert('course_categories', ['name' => $name, 'parent' => $parent, 'path' => '', 'depth' => 0]);
        $path = "$parentpath/$id";
        $this->db->execute('UPDATE {course_categories} SET path = ?, depth = ? WHERE id = ?',
            [$path, substr_count($path, '/'), $id]);
        $parentcontext = $parent ? $this->categorycontexts[$parent] : 1;
        $this->categorycontexts[$id] = $this->context(self::COURSECAT, $id, $this->contextpaths[$parentcontext]);
        return $id;
    }

    /**
     * A course in a category, and its context.
     *
     * @param int $category Category id.
     * @param string $shortname Short name.
     * @return int The course id.
     */
    public function course(int $category, string $shortname): int {
        $id = $this->db->insert('course', ['category' => $category, 'fullname' => $shortname, 'shortname' => $shortname,
            'idnumber' => '', 'lang' => '', 'calendartype' => '', 'theme' => '']);
        $this->coursecontexts[$id] = $this->context(self::COURSE, $id,
            $this->contextpaths[$this->categorycontexts[$category]]);
        return $id;
    }

    /**
     * An activity's context in a course.
     *
     * @param int $course Course id.
     * @return int The activity's context id.
     */
    public function activity(int $course): int {
        return $this->context(self::MODULE, $this->instances++, $this->contextpaths[$this->coursecontexts[$course]]);
    }

    /**
     * A user's context (drafts, private files), outside every category.
     *
     * @return int The context id.
     */
    public function user(): int {
        return $this->context(self::USER, $this->instances++, $this->contextpaths[1]);
    }

    /**
     * A file; its content is named by $content (same name, same contenthash).
     *
     * @param int $context Context id.
     * @param string $content Content name.
     * @param int $size Content size in bytes.
     * @param string $component Component.
     * @param string $filearea File area.
     * @param string $filename File name ('.' for a directory entry).
     */
    public function file(int $context, string $content, int $size, string $component = 'mod_resource',
            string $filearea = 'content', string $filename = 'document.pdf'): void {
        $itemid = count($this->files);
        $this->db->insert('files', [
            'contenthash' => sha1($content),
            'pathnamehash' => sha1("/$context/$component/$filearea/$itemid/$filename"),
            'contextid' => $context, 'component' => $component, 'filearea' => $filearea, 'itemid' => $itemid,
            'filepath' => '/', 'filename' => $filename, 'filesize' => $size,
            'timecreated' => 0, 'timemodified' => 0,
        ]);
        $this->files[] = ['contextid' => $context, 'contenthash' => sha1($content), 'size' => $size,
            'component' => $component, 'filename' => $filename];
    }

    /**
     * Moves a course to another category as Moodle does: the course row and the paths of
     * its context and of every context below it.
     *
     * @param int $course Course id.
     * @param int $category New category id.
     */
    public function move_course(int $course, int $category): void {
        $this->db->execute('UPDATE {course} SET category = ? WHERE id = ?', [$category, $course]);
        $context = $this->coursecontexts[$course];
        $old = $this->contextpaths[$context];
        $new = $this->contextpaths[$this->categorycontexts[$category]] . "/$context";
        $this->db->execute(
            'UPDATE {context} SET path = ? || SUBSTRING(path FROM CAST(? AS INTEGER)), depth = depth + ?
              WHERE path = ? OR path LIKE ?',
            [$new, strlen($old) + 1, substr_count($new, '/') - substr_count($old, '/'), $old, "$old/%"]
        );
        foreach ($this->contextpaths as $id => $path) {
            if ($path === $old || strpos($path, "$old/") === 0) {
                $this->contextpaths[$id] = $new . substr($path, strlen($old));
            }
        }
    }

    /**
     * The usage the model expects: each file belongs to the nearest mapped category among
     * its context's ancestors; directories and recycle bin files do not count; a content
     * counts once per school.
     *
     * @param array $mapping category id => school code.
     * @return array school code => ['bytes_used', 'files_count', 'bytes_backup'].
     */
    public function expected(array $mapping): array {
        $owner = [];
        foreach ($mapping as $category => $school) {
            $owner[$this->categorycontexts[$category]] = $school;
        }
        $contents = [];
        $expected = [];
        foreach (array_unique($mapping) as $school) {
            $expected[$school] = ['bytes_used' => 0, 'files_count' => 0, 'bytes_backup' => 0];
        }
        foreach ($this->files as $file) {
            if ($file['filename'] === '.' || $file['component'] === 'tool_recyclebin') {
                continue;
            }
            $school = null;
            foreach (array_reverse(explode('/', trim($this->contextpaths[$file['contextid']], '/'))) as $ancestor) {
                if (isset($owner[(int) $ancestor])) {
                    $school = $owner[(int) $ancestor];
                    break;
                }
            }
            if ($school === null) {
                continue;
            }
            $expected[$school]['files_count']++;
            $key = $file['contenthash'];
            if (!isset($contents[$school][$key])) {
                $contents[$school][$key] = ['size' => $file['size'], 'backup' => false];
                $expected[$school]['bytes_used'] += $file['size'];
            }
            if ($file['component'] === 'backup' && !$contents[$school][$key]['backup']) {
                $contents[$school][$key]['backup'] = true;
                $expected[$school]['bytes_backup'] += $file['size'];
            }
        }
        return $expected;
    }

    /**
     * A context row with its path.
     *
     * @param int $level Context level.
     * @param int $instance Instance id.
     * @param string $parentpath Parent context's path ('' for the system context).
     * @return int The context id.
     */
    private function context(int $level, int $instance, string $parentpath): int {
        $id = $this->db->insert('context', ['contextlevel' => $level, 'instanceid' => $instance, 'depth' => 0]);
        $path = "$parentpath/$id";
        $this->db->execute('UPDATE {context} SET path = ?, depth = ? WHERE id = ?', [$path, substr_count($path, '/'), $id]);
        $this->contextpaths[$id] = $path;
        return $id;
    }
}
