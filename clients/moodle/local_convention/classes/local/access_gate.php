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
 * Keeps Moodle's logins in step with the convention: asks the service's access check for
 * the account and decides whether the new session may go on.
 *
 * - allowed by the service: go on;
 * - refused: log out, with a French message naming the service's reason;
 * - unknown to the service (404): go on; the account is not one the convention manages
 *   (UT's own staff and students);
 * - no answer in time: fail-open (default: go on, logged) or fail-closed (log out, with a
 *   French message saying the check is impossible for now).
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class access_gate {
    /** Let people in when the service cannot answer. */
    public const FAIL_OPEN = 'open';
    /** Keep people out when the service cannot answer. */
    public const FAIL_CLOSED = 'closed';

    /** @var service_client The service. */
    private $client;
    /** @var float Seconds allowed for the check. */
    private $timeout;
    /** @var string FAIL_OPEN or FAIL_CLOSED. */
    private $failmode;
    /** @var callable Logger: function(string $level, string $message). */
    private $log;

    /**
     * Constructor.
     *
     * @param service_client $client The service.
     * @param float $timeout Seconds allowed for the check.
     * @param string $failmode FAIL_OPEN or FAIL_CLOSED.
     * @param callable|null $log Logger: function(string $level, string $message).
     */
    public function __construct(service_client $client, float $timeout, string $failmode = self::FAIL_OPEN,
            ?callable $log = null) {
        $this->client = $client;
        $this->timeout = $timeout;
        $this->failmode = $failmode === self::FAIL_CLOSED ? self::FAIL_CLOSED : self::FAIL_OPEN;
        $this->log = $log ?? function (string $level, string $message): void {
        };
    }

    /**
     * The decision for an account that has just logged in.
     *
     * @param string $uid The account's uid in the convention service.
     * @return access_decision
     */
    public function decide(string $uid): access_decision {
        try {
            $answer = $this->client->access($uid, $this->timeout);
        } catch (service_unavailable | service_refused $e) {
            if ($this->failmode === self::FAIL_CLOSED) {
                ($this->log)('warning', "access check impossible, login refused (fail-closed): {$e->getMessage()}");
                return new access_decision(true, 'service-unavailable',
                    'Connexion impossible pour le moment : le service de la convention ne répond pas. '
                    . 'Merci de réessayer dans quelques minutes.');
            }
            ($this->log)('warning', "access check impossible, login allowed (fail-open): {$e->getMessage()}");
            return new access_decision(false, 'service-unavailable');
        }
        if ($answer === null) {
            return new access_decision(false, 'not-managed');
        }
        $code = (string) ($answer['reason']['code'] ?? 'unknown');
        if ($answer['allowed'] === true) {
            return new access_decision(false, $code);
        }
        $reason = trim((string) ($answer['reason']['message'] ?? ''));
        ($this->log)('info', "access refused by the convention service ($code)");
        return new access_decision(true, $code,
            'Votre accès à la plateforme est refusé. Motif : ' . ($reason !== '' ? $reason : $code));
    }
}
