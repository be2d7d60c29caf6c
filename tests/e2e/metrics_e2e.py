"""End to end: GET /metrics, /stats and /health of the real binary after known traffic."""
import hashlib
import hmac
import json
import shutil
import socket
import tempfile
import unittest

from gateway import Gateway, Receiver, wait_until

SECRET = "metrics-secret"
BODY = json.dumps({"order": 1})
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def signed(secret=SECRET, body=BODY):
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-HMAC-Signature": digest}


def parse_exposition(text):
    """Prometheus text format -> ({'name{labels}': value}, {name: type})."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        elif line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            samples[series] = float(value)
    return samples, types


def closed_port():
    """A port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MetricsTest(unittest.TestCase):
    """orders: hmac + save_to_disk; flaky: fails once, then delivered on retry; broken: refused
    for good (a dead letter)."""

    @classmethod
    def setUpClass(cls):
        cls.base_dir = tempfile.mkdtemp(prefix="wg-e2e-metrics-")
        cls.flaky_receiver = Receiver(script=[(503, 0), (200, 0)])
        cls.broken_receiver = Receiver(script=[(400, 0)])

        def http_item(receiver):
            return {"module": "http_webhook",
                    "module-config": {"url": receiver.url, "allowed_hosts": ["127.0.0.1"]}}

        cls.gateway = Gateway({
            "orders": {"hmac": {"secret": SECRET}, "module": "save_to_disk",
                       "module-config": {"base_dir": cls.base_dir}},
            "flaky": {"chain": [{**http_item(cls.flaky_receiver),
                                 "retry": {"enabled": True, "max_attempts": 3,
                                           "initial_delay": 0.05, "max_delay": 0.1}}]},
            "broken": {"chain": [http_item(cls.broken_receiver)]},
        })
        cls.send_known_traffic()

    @classmethod
    def send_known_traffic(cls):
        gw = cls.gateway
        for _ in range(3):
            assert gw.post("orders", BODY, signed())[0] == 200
        for _ in range(2):
            assert gw.post("orders", BODY, signed("wrong-secret"))[0] == 401
        assert gw.post("nope", BODY, signed())[0] == 404
        assert gw.post("flaky", {"n": 1})[0] == 200
        assert gw.post("broken", {"n": 2})[0] == 200

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        cls.flaky_receiver.close()
        cls.broken_receiver.close()
        shutil.rmtree(cls.base_dir, ignore_errors=True)

    def scrape(self):
        status, headers, text = self.gateway.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], CONTENT_TYPE)
        return parse_exposition(text)

    def settled(self):
        """Every delivery finished: nothing unfinished in the spool, the dead letter written."""
        samples, _ = self.scrape()
        return (samples.get("webhook_gateway_spool_unfinished") == 0 and
                samples.get("webhook_gateway_dead_letters") == 1 and
                len(self.flaky_receiver.delivered()) == 1)

    def test_counters_after_known_traffic(self):
        self.assertTrue(wait_until(self.settled, timeout=15), self.gateway.stderr())
        samples, types = self.scrape()
        expected = {
            'webhook_gateway_requests_total{webhook="orders",status="200"}': 3,
            'webhook_gateway_requests_total{webhook="orders",status="401"}': 2,
            'webhook_gateway_requests_total{webhook="(unknown)",status="404"}': 1,
            'webhook_gateway_requests_total{webhook="flaky",status="200"}': 1,
            'webhook_gateway_requests_total{webhook="broken",status="200"}': 1,
            'webhook_gateway_auth_failures_total{webhook="orders",reason="hmac"}': 2,
            'webhook_gateway_delivery_attempts_total{webhook="orders",module="save_to_disk",'
            'outcome="delivered"}': 3,
            'webhook_gateway_delivery_attempts_total{webhook="flaky",module="http_webhook",'
            'outcome="retryable"}': 1,
            'webhook_gateway_delivery_attempts_total{webhook="flaky",module="http_webhook",'
            'outcome="delivered"}': 1,
            'webhook_gateway_delivery_attempts_total{webhook="broken",module="http_webhook",'
            'outcome="permanent"}': 1,
            'webhook_gateway_delivery_retries_total{webhook="flaky",module="http_webhook"}': 1,
            'webhook_gateway_dead_letters_total{webhook="broken"}': 1,
            'webhook_gateway_delivery_seconds_count{webhook="orders",module="save_to_disk"}': 3,
            'webhook_gateway_delivery_seconds_bucket{webhook="flaky",module="http_webhook",'
            'le="+Inf"}': 2,
            "webhook_gateway_spool_unfinished": 0,
            "webhook_gateway_spool_oldest_unfinished_age_seconds": 0,
            "webhook_gateway_dead_letters": 1,
        }
        for series, value in expected.items():
            self.assertEqual(samples.get(series), value, series)
        self.assertEqual(len([s for s in samples if s.startswith("webhook_gateway_requests_total")]),
                         5, "no other request series (no per-id series for 'nope')")
        self.assertNotIn("nope", "".join(samples))
        self.assertEqual(types["webhook_gateway_requests_total"], "counter")
        self.assertEqual(types["webhook_gateway_delivery_seconds"], "histogram")
        self.assertEqual(types["webhook_gateway_spool_unfinished"], "gauge")

    def test_stats_count_accepted_webhooks_per_endpoint(self):
        status, _, stats = self.gateway.request("GET", "/stats")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(stats), ["broken", "flaky", "orders"], "401 and 404 not counted")
        self.assertEqual(sorted(stats["orders"]), sorted(["total", "minute", "5_minutes",
                                                          "15_minutes", "30_minutes", "hour",
                                                          "day", "week", "month"]))
        for endpoint, total in (("orders", 3), ("flaky", 1), ("broken", 1)):
            counts = stats[endpoint]
            self.assertEqual((counts["total"], counts["hour"], counts["day"], counts["month"]),
                             (total, total, total, total), endpoint)

    def test_scrapes_are_not_webhook_requests(self):
        self.scrape()
        self.gateway.request("GET", "/stats")
        status, _, _ = self.gateway.request("POST", "/metrics", "{}")
        self.assertEqual(status, 405)
        samples, _ = self.scrape()
        self.assertEqual(sum(v for s, v in samples.items()
                             if s.startswith("webhook_gateway_requests_total")), 8)


class StatusAccessTest(unittest.TestCase):
    """STATS_AUTH_TOKEN / STATS_ALLOWED_IPS, as the Python project names them."""

    def start(self, extra_args=(), env=None):
        gateway = Gateway({"orders": {"module": "log"}}, extra_args=extra_args, env=env)
        self.addCleanup(gateway.stop)
        return gateway

    def test_a_token_guards_stats_and_metrics_but_not_health(self):
        gateway = self.start(env={"STATS_AUTH_TOKEN": "stats-token-1"})
        for path in ("/stats", "/metrics"):
            self.assertEqual(gateway.request("GET", path)[::2],
                             (401, {"detail": "Authentication required"}), path)
            self.assertEqual(gateway.request("GET", path,
                                             headers={"Authorization": "Bearer wrong"})[::2],
                             (401, {"detail": "Invalid authentication token"}), path)
            for authorization in ("Bearer stats-token-1", "stats-token-1"):
                status, _, body = gateway.request("GET", path,
                                                  headers={"Authorization": authorization})
                self.assertEqual(status, 200, (path, body))
        self.assertEqual(gateway.request("GET", "/health")[0], 200)
        self.assertEqual(gateway.request("GET", "/")[0], 200)

    def test_only_listed_addresses_may_read(self):
        refused = self.start(["--stats-allowed-ips", "10.0.0.0/8, 192.168.1.7"])
        self.assertEqual(refused.request("GET", "/metrics")[::2],
                         (403, {"detail": "Access denied from this IP address"}))
        allowed = self.start(["--stats-allowed-ips", "10.0.0.0/8,127.0.0.0/8"])
        self.assertEqual(allowed.request("GET", "/stats")[0], 200)

    def test_a_bad_address_list_stops_the_start(self):
        with self.assertRaises(RuntimeError) as failure:
            self.start(["--stats-allowed-ips", "10.0.0.0/33"])
        self.assertIn("--stats-allowed-ips / STATS_ALLOWED_IPS: \"10.0.0.0/33\"",
                      str(failure.exception))


class HealthTest(unittest.TestCase):
    """A chain's connection that is down turns /health into 503 naming it."""

    def setUp(self):
        self.gateway = Gateway(
            {"events": {"module": "redis_publish", "connection": "cache",
                        "module-config": {"channel": "wg_events"}}},
            connections={"cache": {"type": "redis", "host": "127.0.0.1", "port": closed_port()}})

    def tearDown(self):
        self.gateway.stop()

    def test_down_connection_is_named(self):
        status, _, health = self.gateway.request("GET", "/health")
        self.assertEqual((status, health["status"]), (200, "healthy"), "not used yet")
        samples, _ = parse_exposition(self.gateway.request("GET", "/metrics")[2])
        self.assertNotIn('webhook_gateway_connection_up{connection="cache"}', samples)

        self.assertEqual(self.gateway.post("events", {"n": 1})[0], 200)
        self.assertTrue(wait_until(lambda: self.gateway.request("GET", "/health")[0] == 503),
                        self.gateway.stderr())
        status, _, health = self.gateway.request("GET", "/health")
        self.assertEqual(health["status"], "unhealthy")
        self.assertTrue(health["components"]["connections"]["cache"].startswith("down"), health)
        self.assertEqual(len(health["problems"]), 1)
        self.assertIn('connection "cache" (used by events) is down', health["problems"][0])
        samples, _ = parse_exposition(self.gateway.request("GET", "/metrics")[2])
        self.assertEqual(samples['webhook_gateway_connection_up{connection="cache"}'], 0)


if __name__ == "__main__":
    unittest.main()
