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

use local_convention\local\school_mapping;
use local_convention\local\usage_calculator;
use local_convention_tests\generated_platform;
use local_convention_tests\pgsql_database;
use local_convention_tests\school_tree;
use PHPUnit\Framework\TestCase;

/**
 * The usage calculator on PostgreSQL tables generated from Moodle's install.xml.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class usage_calculator_test extends TestCase {
    /** School codes of the generated platform. */
    public const SCHOOLS = ['ifms-rodez', 'ifms-albi', 'ifms-auch'];

    /** @var pgsql_database */
    private $db;
    /** @var school_tree */
    private $tree;
    /** @var generated_platform */
    private $platform;
    /** @var string[] What the calculator logged. */
    private $logged = [];

    protected function setUp(): void {
        $dsn = getenv('CONVENTION_TEST_PG');
        if (!$dsn) {
            $this->fail('CONVENTION_TEST_PG is not set (run through tests/moodle/test_plugin.py)');
        }
        $this->db = new pgsql_database($dsn);
        school_tree::create_tables($this->db);
        $this->tree = new school_tree($this->db);
        // One transaction: one commit instead of one per row.
        $this->platform = $this->db->transaction(function () {
            return new generated_platform($this->tree, self::SCHOOLS, 20261201);
        });
    }

    private function measure(array $mapping): array {
        $calculator = new usage_calculator($this->db, function (string $level, string $message): void {
            $this->logged[] = "$level: $message";
        });
        return $calculator->measure($mapping);
    }

    public function test_every_school_measures_as_the_model_of_its_tree_says(): void {
        $mapping = $this->platform->mapping;
        $measured = $this->measure($mapping);
        $expected = $this->tree->expected($mapping);
        $this->assertSame($expected, $measured);
        $this->assertSame(self::SCHOOLS, array_keys($measured));
        foreach ($measured as $figures) {
            $this->assertGreaterThan(0, $figures['bytes_used']);
            $this->assertGreaterThan(0, $figures['bytes_backup']);
            $this->assertLessThan($figures['bytes_used'], $figures['bytes_backup']);
        }
    }

    public function test_a_content_reused_in_a_school_counts_once_there_and_once_in_each_other_school(): void {
        $before = $this->measure($this->platform->mapping);
        [$first, $second] = $this->platform->courses['ifms-rodez'];
        $albi = $this->platform->courses['ifms-albi'][0];
        foreach ([$first, $second, $albi] as $course) {
            $this->tree->file($this->tree->activity($course), 'shared-lecture', 1234567);
        }
        $after = $this->measure($this->platform->mapping);
        $this->assertSame($before['ifms-rodez']['bytes_used'] + 1234567, $after['ifms-rodez']['bytes_used']);
        $this->assertSame($before['ifms-rodez']['files_count'] + 2, $after['ifms-rodez']['files_count']);
        $this->assertSame($before['ifms-albi']['bytes_used'] + 1234567, $after['ifms-albi']['bytes_used']);
        $this->assertSame($before['ifms-auch'], $after['ifms-auch']);
        // The syllabus is in every course of a school: counted once, as the model says.
        $this->assertSame($this->tree->expected($this->platform->mapping), $after);
    }

    public function test_the_recycle_bin_and_directory_entries_change_nothing(): void {
        $before = $this->measure($this->platform->mapping);
        $course = $this->platform->courses['ifms-auch'][1];
        $category = $this->platform->schools['ifms-auch'];
        $this->tree->file($this->tree->coursecontexts[$course], 'auch-deleted-quiz', 5555555, 'tool_recyclebin',
            'recyclebin_course', 'quiz.mbz');
        $this->tree->file($this->tree->categorycontexts[$category], 'auch-deleted-course', 66666666, 'tool_recyclebin',
            'recyclebin_coursecat', 'course.mbz');
        $this->tree->file($this->tree->activity($course), '', 0, 'mod_folder', 'content', '.');
        $this->assertSame($before, $this->measure($this->platform->mapping));
    }

    public function test_a_course_moved_to_another_school_counts_in_its_new_school_only(): void {
        $course = $this->platform->courses['ifms-rodez'][0];
        $this->tree->file($this->tree->activity($course), 'only-in-this-course', 3000000);
        $before = $this->measure($this->platform->mapping);
        $albiyear = $this->tree->category('ifms-albi 3e année', $this->platform->schools['ifms-albi']);
        $this->tree->move_course($course, $albiyear);
        $after = $this->measure($this->platform->mapping);
        $this->assertSame($this->tree->expected($this->platform->mapping), $after);
        $this->assertLessThanOrEqual($before['ifms-rodez']['bytes_used'] - 3000000, $after['ifms-rodez']['bytes_used']);
        $this->assertGreaterThanOrEqual($before['ifms-albi']['bytes_used'] + 3000000, $after['ifms-albi']['bytes_used']);
        $this->assertSame($before['ifms-rodez']['files_count'] + $before['ifms-albi']['files_count'],
            $after['ifms-rodez']['files_count'] + $after['ifms-albi']['files_count']);
    }

    public function test_a_subcategory_mapped_to_another_school_belongs_to_that_school(): void {
        $rodez = $this->platform->schools['ifms-rodez'];
        $antenna = $this->tree->category('Antenne de Figeac', $rodez);
        $course = $this->tree->course($antenna, 'figeac-1');
        $this->tree->file($this->tree->activity($course), 'figeac-only', 2500000);
        $mapping = $this->platform->mapping + [$antenna => 'ifms-lot'];
        $measured = $this->measure($mapping);
        $this->assertSame($this->tree->expected($mapping), $measured);
        $this->assertSame(['bytes_used' => 2500000, 'files_count' => 1, 'bytes_backup' => 0], $measured['ifms-lot']);
    }

    public function test_a_mapped_category_that_does_not_exist_is_not_measured_and_is_logged(): void {
        $measured = $this->measure($this->platform->mapping + [999999 => 'ifms-tarbes']);
        $this->assertArrayNotHasKey('ifms-tarbes', $measured);
        $this->assertStringContainsString('course category 999999', implode("\n", $this->logged));
    }

    public function test_a_school_without_files_measures_zero(): void {
        $empty = $this->tree->category('IFMS Pamiers');
        $measured = $this->measure([$empty => 'ifms-pamiers']);
        $this->assertSame(['ifms-pamiers' => ['bytes_used' => 0, 'files_count' => 0, 'bytes_backup' => 0]], $measured);
    }

    public function test_the_mapping_setting_is_parsed_and_bad_lines_are_named(): void {
        $this->assertSame([12 => 'ifms-rodez', 7 => 'ifms-albi'],
            school_mapping::parse("# categories\n12 = ifms-rodez\r\n\n 7=ifms-albi \n"));
        try {
            school_mapping::parse("12 = ifms-rodez\nrodez = 12");
            $this->fail('a bad line was accepted');
        } catch (InvalidArgumentException $e) {
            $this->assertStringContainsString('line 2', $e->getMessage());
        }
        $this->expectException(InvalidArgumentException::class);
        school_mapping::parse("12 = ifms-rodez\n12 = ifms-albi");
    }
}
