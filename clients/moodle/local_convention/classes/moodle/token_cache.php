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

namespace local_convention\moodle;

use local_convention\local\token_store;

/**
 * The access token in Moodle's application cache (db/caches.php), shared by the web
 * servers and cron, so that logins and the task do not each ask for a token.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class token_cache implements token_store {
    /**
     * The cache.
     *
     * @return \cache
     */
    private function cache(): \cache {
        return \cache::make('local_convention', 'token');
    }

    public function get(): ?array {
        $token = $this->cache()->get('token');
        return is_array($token) ? $token : null;
    }

    public function set(?array $token): void {
        if ($token === null) {
            $this->cache()->delete('token');
        } else {
            $this->cache()->set('token', $token);
        }
    }
}
