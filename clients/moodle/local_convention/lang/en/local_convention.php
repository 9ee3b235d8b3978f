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

/**
 * English strings of the convention plugin.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$string['accessrefused'] = 'Access refused: {$a}';
$string['accesstimeout'] = 'Access check timeout (seconds)';
$string['accesstimeout_desc'] = 'How long a login waits for the access check before the failure mode applies (e.g. 2).';
$string['cachedef_token'] = 'Access token of the convention service';
$string['checkaccess'] = 'Check access at login';
$string['checkaccess_desc'] = 'After each login, ask the convention service whether the account may use the platform; an account it refuses is logged out with the reason (in French). Site administrators and guests are never checked; accounts unknown to the service are not managed by the convention and go on.';
$string['clientid'] = 'Client id';
$string['clientid_desc'] = 'OAuth client id created on the service with: convention-api clients create "Moodle" --scope storage:write --scope access:read';
$string['clientsecret'] = 'Client secret';
$string['clientsecret_desc'] = 'The secret printed once by clients create.';
$string['failmode'] = 'When the service cannot be reached';
$string['failmode_closed'] = 'Fail-closed: refuse the login';
$string['failmode_desc'] = 'What a login does when the access check gets no answer in time. Fail-open (the default) lets people in and logs it.';
$string['failmode_open'] = 'Fail-open: allow the login (logged)';
$string['mapping'] = 'Course categories of the schools';
$string['mapping_desc'] = 'One line per category: "categoryid = school_code" (e.g. "12 = ifms-rodez"). Everything under a category (subcategories, courses, activities) belongs to its school, unless a subcategory is mapped itself. A school may have several categories.';
$string['mappinginvalid'] = 'Invalid mapping: {$a}';
$string['pluginname'] = 'Convention service';
$string['privacy:metadata:convention_service'] = 'At each login, the account\'s uid is sent to the convention service of Université de Toulouse and Région Occitanie, which answers whether the account may use the platform.';
$string['privacy:metadata:convention_service:uid'] = 'The account\'s uid (username or ID number).';
$string['serviceurl'] = 'Service URL';
$string['serviceurl_desc'] = 'Base URL of the convention service, e.g. https://convention.univ-toulouse.fr';
$string['taskpushusage'] = 'Send the schools\' storage usage to the convention service';
$string['timeout'] = 'Storage call timeout (seconds)';
$string['timeout_desc'] = 'How long the scheduled task waits for the service (token and snapshots).';
$string['uidfield'] = 'User field holding the uid';
$string['uidfield_desc'] = 'The Moodle user field that holds the account\'s uid in the convention service.';
