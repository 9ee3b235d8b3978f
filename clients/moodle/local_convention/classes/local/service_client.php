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

use local_convention\local\http\response;
use local_convention\local\http\transport;
use local_convention\local\http\transport_error;

/**
 * The convention service's HTTP API as the plugin uses it: OAuth 2.0 client credentials,
 * the storage snapshots batch and the access check.
 *
 * The token is kept in the store until shortly before it expires; a 401 on a call (a
 * token the service no longer accepts: key rotation, clocks apart) renews it once.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class service_client {
    /** Seconds before its expiry at which a token is renewed rather than used. */
    public const TOKEN_MARGIN = 30;
    /** Most snapshots in one batch (the service refuses more than 1,000). */
    public const MAX_BATCH = 1000;

    /** @var string Base URL, without trailing slash. */
    private $baseurl;
    /** @var string OAuth client id. */
    private $clientid;
    /** @var string OAuth client secret. */
    private $secret;
    /** @var transport HTTP transport. */
    private $transport;
    /** @var token_store Token cache. */
    private $tokens;
    /** @var callable Returns the current unix time. */
    private $clock;
    /** @var float Seconds allowed for a storage call. */
    private $timeout;

    /**
     * Constructor.
     *
     * @param string $baseurl Service URL (e.g. https://convention.example.org).
     * @param string $clientid OAuth client id.
     * @param string $secret OAuth client secret.
     * @param transport $transport HTTP transport.
     * @param token_store $tokens Token cache.
     * @param callable|null $clock Returns the current unix time (time() by default).
     * @param float $timeout Seconds allowed for a storage call.
     */
    public function __construct(string $baseurl, string $clientid, string $secret, transport $transport,
            token_store $tokens, ?callable $clock = null, float $timeout = 10.0) {
        $this->baseurl = rtrim($baseurl, '/');
        $this->clientid = $clientid;
        $this->secret = $secret;
        $this->transport = $transport;
        $this->tokens = $tokens;
        $this->clock = $clock ?? 'time';
        $this->timeout = $timeout;
    }

    /**
     * Posts a batch of snapshots.
     *
     * @param array[] $items Snapshots as the API takes them (snapshot_id, school_code, ...).
     * @return array The service's answer: accepted, duplicates, rejected, results (one per
     *      item, in order, each with snapshot_id, status and errors).
     * @throws service_unavailable When the batch may be sent again later.
     * @throws service_refused When the service refuses the call itself.
     */
    public function post_snapshots(array $items): array {
        if (count($items) > self::MAX_BATCH) {
            throw new \InvalidArgumentException('at most ' . self::MAX_BATCH . ' snapshots per batch');
        }
        $body = json_encode(['items' => array_values($items)], JSON_UNESCAPED_SLASHES);
        $answer = $this->authorised('POST', '/api/v1/storage/snapshots', $body, $this->timeout);
        $json = $answer->json();
        if ($answer->status !== 200 || $json === null || !isset($json['results']) || !is_array($json['results'])) {
            throw new service_refused('snapshots refused: HTTP ' . $answer->status . ' ' . $this->excerpt($answer));
        }
        return $json;
    }

    /**
     * The access check of one account.
     *
     * @param string $uid The account's uid.
     * @param float $timeout Seconds allowed (short: a person is waiting at login).
     * @return array|null The answer (allowed, status, reason => [code, message], ...), or
     *      null when the service knows no such account.
     * @throws service_unavailable When the service cannot answer in time.
     * @throws service_refused When the service refuses the call itself.
     */
    public function access(string $uid, float $timeout): ?array {
        $answer = $this->authorised('GET', '/api/v1/accounts/' . rawurlencode($uid) . '/access', null, $timeout);
        if ($answer->status === 404) {
            return null;
        }
        $json = $answer->json();
        if ($answer->status !== 200 || $json === null || !isset($json['allowed'])) {
            throw new service_refused('access check refused: HTTP ' . $answer->status . ' ' . $this->excerpt($answer));
        }
        return $json;
    }

    /**
     * A call with the bearer token; a 401 renews the token and tries once more.
     *
     * @param string $method HTTP method.
     * @param string $path Path under the base URL.
     * @param string|null $body JSON body.
     * @param float $timeout Seconds allowed for each exchange.
     * @return response An answer that is neither a 401 after renewal nor a 5xx.
     */
    private function authorised(string $method, string $path, ?string $body, float $timeout): response {
        $answer = $this->call($method, $path, $body, $this->token($timeout), $timeout);
        if ($answer->status === 401) {
            $this->tokens->set(null);
            $answer = $this->call($method, $path, $body, $this->token($timeout), $timeout);
            if ($answer->status === 401) {
                throw new service_refused('the service refuses the plugin\'s token');
            }
        }
        return $answer;
    }

    /**
     * One exchange; no answer, 5xx and 429 become service_unavailable.
     *
     * @param string $method HTTP method.
     * @param string $path Path under the base URL.
     * @param string|null $body JSON body.
     * @param string $token Bearer token.
     * @param float $timeout Seconds allowed.
     * @return response
     */
    private function call(string $method, string $path, ?string $body, string $token, float $timeout): response {
        $headers = ['Authorization: Bearer ' . $token, 'Accept: application/json'];
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json';
        }
        return $this->checked($this->send($method, $this->baseurl . $path, $headers, $body, $timeout));
    }

    /**
     * The cached token, or a new one from the token endpoint.
     *
     * @param float $timeout Seconds allowed.
     * @return string The access token.
     */
    private function token(float $timeout): string {
        $now = ($this->clock)();
        $cached = $this->tokens->get();
        if ($cached !== null && $cached['expires'] - self::TOKEN_MARGIN > $now) {
            return $cached['token'];
        }
        $form = http_build_query([
            'grant_type' => 'client_credentials',
            'client_id' => $this->clientid,
            'client_secret' => $this->secret,
        ]);
        $answer = $this->checked($this->send('POST', $this->baseurl . '/api/v1/oauth/token',
            ['Content-Type: application/x-www-form-urlencoded', 'Accept: application/json'], $form, $timeout));
        $json = $answer->json();
        if ($answer->status !== 200 || $json === null || !isset($json['access_token'], $json['expires_in'])) {
            throw new service_refused('token refused: HTTP ' . $answer->status . ' ' . $this->excerpt($answer));
        }
        $this->tokens->set(['token' => (string) $json['access_token'], 'expires' => $now + (int) $json['expires_in']]);
        return (string) $json['access_token'];
    }

    /**
     * Sends through the transport; no answer becomes service_unavailable.
     *
     * @param string $method HTTP method.
     * @param string $url Absolute URL.
     * @param string[] $headers Header lines.
     * @param string|null $body Body.
     * @param float $timeout Seconds allowed.
     * @return response
     */
    private function send(string $method, string $url, array $headers, ?string $body, float $timeout): response {
        try {
            return $this->transport->send($method, $url, $headers, $body, $timeout);
        } catch (transport_error $e) {
            throw new service_unavailable('no answer from the service: ' . $e->getMessage(), 0, $e);
        }
    }

    /**
     * A 5xx or 429 answer becomes service_unavailable.
     *
     * @param response $answer The answer.
     * @return response The same answer otherwise.
     */
    private function checked(response $answer): response {
        if ($answer->status >= 500 || $answer->status === 429) {
            throw new service_unavailable('service answered HTTP ' . $answer->status);
        }
        return $answer;
    }

    /**
     * The start of a body, for logs (the service's errors carry no personal data).
     *
     * @param response $answer The answer.
     * @return string At most 200 characters.
     */
    private function excerpt(response $answer): string {
        return substr(preg_replace('/\s+/', ' ', $answer->body), 0, 200);
    }
}
