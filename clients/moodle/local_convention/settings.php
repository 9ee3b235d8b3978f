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
 * Settings: Site administration > Plugins > Local plugins > Convention service.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

if ($hassiteconfig) {
    $settings = new admin_settingpage('local_convention', new lang_string('pluginname', 'local_convention'));
    $ADMIN->add('localplugins', $settings);

    if ($ADMIN->fulltree) {
        $settings->add(new admin_setting_configtext('local_convention/serviceurl',
            new lang_string('serviceurl', 'local_convention'),
            new lang_string('serviceurl_desc', 'local_convention'), '', PARAM_URL, 60));
        $settings->add(new admin_setting_configtext('local_convention/clientid',
            new lang_string('clientid', 'local_convention'),
            new lang_string('clientid_desc', 'local_convention'), '', PARAM_RAW_TRIMMED, 40));
        $settings->add(new admin_setting_configpasswordunmask('local_convention/clientsecret',
            new lang_string('clientsecret', 'local_convention'),
            new lang_string('clientsecret_desc', 'local_convention'), ''));
        $settings->add(new \local_convention\moodle\admin_setting_mapping('local_convention/mapping',
            new lang_string('mapping', 'local_convention'),
            new lang_string('mapping_desc', 'local_convention'), '', PARAM_RAW, 40, 10));
        $settings->add(new admin_setting_configtext('local_convention/timeout',
            new lang_string('timeout', 'local_convention'),
            new lang_string('timeout_desc', 'local_convention'), '10', PARAM_INT, 5));
        $settings->add(new admin_setting_configcheckbox('local_convention/checkaccess',
            new lang_string('checkaccess', 'local_convention'),
            new lang_string('checkaccess_desc', 'local_convention'), 1));
        $settings->add(new admin_setting_configselect('local_convention/uidfield',
            new lang_string('uidfield', 'local_convention'),
            new lang_string('uidfield_desc', 'local_convention'), 'username', [
                'username' => new lang_string('username'),
                'idnumber' => new lang_string('idnumber'),
            ]));
        $settings->add(new admin_setting_configtext('local_convention/accesstimeout',
            new lang_string('accesstimeout', 'local_convention'),
            new lang_string('accesstimeout_desc', 'local_convention'), '2', PARAM_FLOAT, 5));
        $settings->add(new admin_setting_configselect('local_convention/failmode',
            new lang_string('failmode', 'local_convention'),
            new lang_string('failmode_desc', 'local_convention'), 'open', [
                'open' => new lang_string('failmode_open', 'local_convention'),
                'closed' => new lang_string('failmode_closed', 'local_convention'),
            ]));
    }
}
