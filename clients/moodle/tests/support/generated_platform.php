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
 * A generated platform: a tree of schools, each a category with year subcategories,
 * courses and activities holding files of random sizes, with what makes the measure
 * awkward: contents reused inside a school and across schools, directory entries, the
 * recycle bin, backups, users' drafts, an unmapped UT category, and a subcategory of one
 * school mapped to another school.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class generated_platform {
    /** @var school_tree The tree. */
    public $tree;
    /** @var array category id => school code. */
    public $mapping = [];
    /** @var array school code => its main category id. */
    public $schools = [];
    /** @var array school code => course ids. */
    public $courses = [];

    /**
     * Generates the platform.
     *
     * @param school_tree $tree An empty tree.
     * @param string[] $codes School codes.
     * @param int $seed Random seed (the same seed, the same platform).
     */
    public function __construct(school_tree $tree, array $codes, int $seed) {
        mt_srand($seed);
        $this->tree = $tree;
        $top = $tree->category('Écoles paramédicales');
        foreach ($codes as $code) {
            $category = $tree->category("École $code", $top);
            $this->schools[$code] = $category;
            $this->mapping[$category] = $code;
            $tree->file($tree->categorycontexts[$category], "$code-charte", mt_rand(1000, 50000), 'coursecat', 'description');
            foreach (['1re année', '2e année'] as $year) {
                $sub = $tree->category("$code $year", $category);
                for ($c = 0; $c < mt_rand(2, 3); $c++) {
                    $course = $tree->course($sub, "$code-$year-$c");
                    $this->courses[$code][] = $course;
                    $this->fill_course($code, $course);
                }
            }
        }
        // UT's own courses: not a school's.
        $ut = $tree->category('Université de Toulouse');
        $utcourse = $tree->course($ut, 'ut-l1');
        $tree->file($tree->activity($utcourse), 'regional-guide', 777777);
        // Drafts sit in the user's context, outside every category.
        $user = $tree->user();
        $tree->file($user, 'draft-' . $codes[0], 123456, 'user', 'draft');
    }

    /**
     * Fills a course: activities with files, directory entries, a content reused inside the
     * school, one reused by every school, a backup, and the recycle bin.
     *
     * @param string $code School code.
     * @param int $course Course id.
     */
    private function fill_course(string $code, int $course): void {
        $tree = $this->tree;
        $coursecontext = $tree->coursecontexts[$course];
        for ($a = 0; $a < mt_rand(2, 4); $a++) {
            $activity = $tree->activity($course);
            $tree->file($activity, '', 0, 'mod_resource', 'content', '.');
            for ($f = 0; $f < mt_rand(1, 4); $f++) {
                $tree->file($activity, "$code-$course-$a-$f", mt_rand(1, 20000000));
            }
        }
        $tree->file($tree->activity($course), "$code-syllabus", 4200000);
        $tree->file($coursecontext, 'regional-guide', 777777, 'course', 'overviewfiles', 'guide.pdf');
        $tree->file($coursecontext, "$code-$course-backup", mt_rand(1000000, 90000000), 'backup', 'course',
            'backup.mbz');
        $tree->file($coursecontext, "$code-$course-deleted", mt_rand(1000000, 90000000), 'tool_recyclebin',
            'recyclebin_course', 'deleted.mbz');
    }
}
