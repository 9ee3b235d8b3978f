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

use local_convention\local\access_gate;
use local_convention\local\memory_token_store;
use local_convention\local\pusher;
use local_convention\local\service_client;
use local_convention\local\snapshot_queue;
use local_convention\local\usage_calculator;
use local_convention_tests\generated_platform;
use local_convention_tests\live_service;
use local_convention_tests\pgsql_database;
use local_convention_tests\recording_transport;
use local_convention_tests\school_tree;
use PHPUnit\Framework\TestCase;

/**
 * The client, the queue and the access gate against a live convention service.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class live_service_test extends TestCase {
    /** Seeded school codes the generated platform uses. */
    public const SCHOOLS = ['ifms-rodez', 'ifms-albi'];
    public const SNAPSHOTS = '/api/v1/storage/snapshots';
    public const TOKEN = '/api/v1/oauth/token';

    /** @var live_service */
    private static $service;
    /** @var pgsql_database */
    private $db;
    /** @var generated_platform */
    private $platform;
    /** @var recording_transport */
    private $transport;
    /** @var memory_token_store */
    private $tokens;
    /** @var string[] What the plugin logged. */
    private $logged = [];
    /** @var int The plugin's clock (unix time). */
    private $now;

    public static function setUpBeforeClass(): void {
        self::$service = live_service::from_env();
        self::$service->start();
    }

    public static function tearDownAfterClass(): void {
        self::$service->stop();
    }

    protected function setUp(): void {
        $this->db = new pgsql_database((string) getenv('CONVENTION_TEST_PG'));
        school_tree::create_tables($this->db);
        $tree = new school_tree($this->db);
        $this->platform = $this->db->transaction(function () use ($tree) {
            return new generated_platform($tree, self::SCHOOLS, 22);
        });
        $this->transport = new recording_transport();
        $this->tokens = new memory_token_store();
        $this->now = time();
    }

    protected function onNotSuccessfulTest(\Throwable $t): void {
        fwrite(STDERR, "\nplugin log:\n" . implode("\n", $this->logged) . "\nservice log:\n" . self::$service->log_tail());
        throw $t;
    }

    private function client(?string $url = null): service_client {
        $config = self::$service->config;
        return new service_client($url ?? $config['url'], $config['client_id'], $config['client_secret'],
            $this->transport, $this->tokens, function (): int {
                return $this->now;
            }, 10.0);
    }

    private function log(): callable {
        return function (string $level, string $message): void {
            $this->logged[] = "$level: $message";
        };
    }

    private function pusher(?service_client $client = null): pusher {
        return new pusher(new usage_calculator($this->db, $this->log()), new snapshot_queue($this->db),
            $client ?? $this->client(), $this->log());
    }

    private function sent_ids(): array {
        $ids = [];
        foreach ($this->transport->on(self::SNAPSHOTS) as $exchange) {
            if ($exchange['status'] === 200) {
                foreach (json_decode($exchange['body'], true)['items'] as $item) {
                    $ids[] = $item['snapshot_id'];
                }
            }
        }
        return $ids;
    }

    private function usage_in_service(string $school): array {
        foreach (self::$service->admin_get('/api/v1/storage/usage')['schools'] as $row) {
            if ($row['school_code'] === $school) {
                return $row;
            }
        }
        $this->fail("$school is not in the service's usage");
    }

    public function test_a_run_is_accepted_its_repeat_is_duplicate_and_the_service_shows_the_usage(): void {
        $expected = $this->platform->tree->expected($this->platform->mapping);
        $report = $this->pusher()->run($this->platform->mapping, $this->now);
        $this->assertSame(['measured' => 2, 'sent' => 2, 'accepted' => 2, 'duplicates' => 0, 'rejected' => 0,
            'error' => null, 'nextattempt' => null, 'left' => 0], $report);
        $batch = json_decode($this->transport->on(self::SNAPSHOTS)[0]['body'], true)['items'];
        foreach ($batch as $item) {
            $this->assertSame($expected[$item['school_code']]['bytes_used'], $item['bytes_used']);
            $this->assertSame($expected[$item['school_code']]['files_count'], $item['files_count']);
            $this->assertSame($expected[$item['school_code']]['bytes_backup'], $item['bytes_backup']);
            $this->assertMatchesRegularExpression('/^mdl-[0-9a-f]{32}$/', $item['snapshot_id']);
        }
        foreach (self::SCHOOLS as $school) {
            $usage = $this->usage_in_service($school);
            $this->assertSame($expected[$school]['bytes_used'], $usage['bytes_used']);
        }
        $repeat = $this->client()->post_snapshots($batch);
        $this->assertSame([0, 2, 0], [$repeat['accepted'], $repeat['duplicates'], $repeat['rejected']]);
        $this->assertSame(['duplicate', 'duplicate'], array_column($repeat['results'], 'status'));
    }

    public function test_a_snapshot_the_service_rejects_leaves_the_queue_and_is_logged(): void {
        $mapping = $this->platform->mapping;
        $mapping[array_search('ifms-albi', $mapping, true)] = 'ecole-inconnue';
        $report = $this->pusher()->run($mapping, $this->now);
        $this->assertSame([1, 1, 0], [$report['accepted'], $report['rejected'], $report['left']]);
        $this->assertStringContainsString('rejected: unknown-school', implode("\n", $this->logged));
    }

    public function test_an_outage_queues_snapshots_which_are_resent_in_order_once_it_ends_never_remeasured(): void {
        $queue = new snapshot_queue($this->db);
        self::$service->stop();
        try {
            $first = $this->pusher()->run($this->platform->mapping, $this->now);
            $this->assertSame([2, 0, 2], [$first['measured'], $first['sent'], $first['left']]);
            $this->assertSame($this->now + 60, $first['nextattempt']);
            $this->assertStringContainsString('no answer from the service', $first['error']);
            $attempts = count($this->transport->exchanges);
            $this->assertGreaterThan(0, $attempts);

            // The next run measures again (a new, later snapshot) but waits out the backoff:
            // nothing goes to the network.
            $this->now += 1;
            $second = $this->pusher()->run($this->platform->mapping, $this->now);
            $this->assertSame([2, 0, 4], [$second['measured'], $second['sent'], $second['left']]);
            $this->assertCount($attempts, $this->transport->exchanges);
            $queued = array_column($queue->pending(), 'snapshotid');
        } finally {
            self::$service->start();
        }

        // Past the backoff, a flush alone (no measuring) delivers the four, oldest first.
        $this->now += 60;
        $flush = $this->pusher()->flush($this->now);
        $this->assertSame([4, 4, 0, 0, null], [$flush['sent'], $flush['accepted'], $flush['duplicates'],
            $flush['left'], $flush['error']]);
        $this->assertSame($queued, $this->sent_ids());
        $this->assertSame([], $queue->pending());
        // The service holds the latest measurement of each school.
        $expected = $this->platform->tree->expected($this->platform->mapping);
        $this->assertSame($expected['ifms-rodez']['bytes_used'], $this->usage_in_service('ifms-rodez')['bytes_used']);
    }

    public function test_backoff_doubles_after_each_failure_up_to_its_cap(): void {
        $queue = new snapshot_queue($this->db, 60, 3600);
        $this->assertSame([60, 120, 240, 3600, 3600], [$queue->delay(1), $queue->delay(2), $queue->delay(3),
            $queue->delay(7), $queue->delay(40)]);
        // A port nobody listens on: a real connection refusal, twice.
        $client = $this->client('http://127.0.0.1:' . self::closed_port());
        $pusher = $this->pusher($client);
        $this->assertSame($this->now + 60, $pusher->run($this->platform->mapping, $this->now)['nextattempt']);
        $this->assertSame($this->now + 60 + 120, $pusher->flush($this->now + 60)['nextattempt']);
        $this->assertSame([2, 2], array_map('intval', array_column($queue->pending(), 'attempts')));
    }

    public function test_the_token_is_cached_until_it_expires_then_renewed(): void {
        $client = $this->client();
        $pusher = $this->pusher($client);
        $pusher->run($this->platform->mapping, $this->now);
        $pusher->run($this->platform->mapping, $this->now + 1);
        $this->assertCount(1, $this->transport->on(self::TOKEN));
        $expires = $this->tokens->get()['expires'];
        // Within the margin before its expiry, the client asks for a new token first.
        $this->now = $expires - service_client::TOKEN_MARGIN;
        $client->post_snapshots([]);
        $this->assertCount(2, $this->transport->on(self::TOKEN));
        $this->assertSame([200, 200, 200], array_column($this->transport->on(self::SNAPSHOTS), 'status'));
    }

    public function test_a_token_the_service_says_has_expired_is_renewed_once_and_the_call_succeeds(): void {
        // A genuinely expired token (signed by the service's key, past its exp) that the
        // plugin still believes valid, as after a clock drift.
        $this->tokens->set(['token' => self::$service->config['expired_token'], 'expires' => $this->now + 600]);
        $report = $this->pusher()->run($this->platform->mapping, $this->now);
        $this->assertSame(2, $report['accepted']);
        $this->assertSame([401, 200], array_column($this->transport->on(self::SNAPSHOTS), 'status'));
        $this->assertCount(1, $this->transport->on(self::TOKEN));
        $this->assertNotSame(self::$service->config['expired_token'], $this->tokens->get()['token']);
    }

    public function test_a_refused_account_is_logged_out_with_a_french_message_naming_the_reason(): void {
        $gate = new access_gate($this->client(), 2.0, access_gate::FAIL_OPEN, $this->log());
        $refused = $gate->decide(self::$service->config['refused_uid']);
        $this->assertTrue($refused->logout);
        $this->assertSame('account-locked', $refused->reason);
        $this->assertSame('Votre accès à la plateforme est refusé. Motif : Le compte est verrouillé.',
            $refused->message);
        $allowed = $gate->decide(self::$service->config['allowed_uid']);
        $this->assertFalse($allowed->logout);
        $this->assertSame('active-role', $allowed->reason);
        $unknown = $gate->decide('unk0000z');
        $this->assertFalse($unknown->logout);
        $this->assertSame('not-managed', $unknown->reason);
    }

    public function test_an_unreachable_service_lets_people_in_when_fail_open_and_keeps_them_out_when_fail_closed(): void {
        $client = $this->client('http://127.0.0.1:' . self::closed_port());
        $uid = self::$service->config['refused_uid'];
        $open = (new access_gate($client, 1.0, access_gate::FAIL_OPEN, $this->log()))->decide($uid);
        $this->assertFalse($open->logout);
        $this->assertStringContainsString('login allowed (fail-open)', implode("\n", $this->logged));
        $closed = (new access_gate($client, 1.0, access_gate::FAIL_CLOSED, $this->log()))->decide($uid);
        $this->assertTrue($closed->logout);
        $this->assertStringContainsString('le service de la convention ne répond pas', $closed->message);
    }

    public function test_the_access_check_gives_up_after_its_short_timeout(): void {
        // A server that accepts connections and never answers.
        $server = stream_socket_server('tcp://127.0.0.1:0');
        $address = stream_socket_get_name($server, false);
        try {
            $gate = new access_gate($this->client("http://$address"), 0.5, access_gate::FAIL_CLOSED, $this->log());
            $started = microtime(true);
            $decision = $gate->decide(self::$service->config['refused_uid']);
            $elapsed = microtime(true) - $started;
        } finally {
            fclose($server);
        }
        $this->assertTrue($decision->logout);
        $this->assertSame('service-unavailable', $decision->reason);
        $this->assertLessThan(2.0, $elapsed);
        $this->assertGreaterThanOrEqual(0.4, $elapsed);
    }

    /**
     * A local port with nothing listening.
     *
     * @return int
     */
    private static function closed_port(): int {
        $server = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr(strrchr(stream_socket_get_name($server, false), ':'), 1);
        fclose($server);
        return $port;
    }
}
