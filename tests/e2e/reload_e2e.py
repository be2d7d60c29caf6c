"""End to end: live reload of webhooks.json / connections.json on the binary — by SIGHUP, by a
change of the file (inotify), by POST /admin/reload-config — under load, with a rejected reload
that keeps the running config, and a Redis connection (a real redis-server) that keeps its
sockets when its settings did not change."""
import json
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from gateway import Gateway, wait_until  # noqa: E402
from services import RedisServer  # noqa: E402

TOKEN = "reload-admin-token-0123456789"
ADMIN = {"Authorization": "Bearer " + TOKEN}


def write_json(path, document):
    # As an editor does: a new file renamed over the old one.
    with open(path + ".tmp", "w") as f:
        json.dump(document, f)
    os.replace(path + ".tmp", path)


class ReloadTest(unittest.TestCase):
    def setUp(self):
        self.gateways = []

    def tearDown(self):
        for gateway in self.gateways:
            gateway.stop()

    def start(self, webhooks, connections=None, extra_args=()):
        gateway = Gateway(webhooks, connections,
                          extra_args=["--admin-token", TOKEN, "--reload-quiet-period", "0.2",
                                      *extra_args])
        self.gateways.append(gateway)
        return gateway

    def status_of(self, gateway, webhook):
        return gateway.post(webhook, {"n": 1})[0]

    def test_sighup_applies_a_new_webhook(self):
        gateway = self.start({"a": {"module": "log"}}, extra_args=["--no-watch-config"])
        self.assertEqual(self.status_of(gateway, "b"), 404)
        write_json(gateway.webhooks_path, {"a": {"module": "log"}, "b": {"module": "log"}})
        time.sleep(0.5)
        self.assertEqual(self.status_of(gateway, "b"), 404, "not watching: nothing happens yet")
        gateway.process.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: self.status_of(gateway, "b") == 200, timeout=10))
        self.assertIn("configuration reloaded", gateway.stderr())

    def test_a_changed_file_is_reloaded_by_itself(self):
        gateway = self.start({"a": {"module": "log"}})
        write_json(gateway.webhooks_path, {"a": {"module": "log"},
                                           "b": {"module": "log", "header_auth": {
                                               "header_name": "X-Key", "api_key": "k"}}})
        self.assertTrue(wait_until(lambda: self.status_of(gateway, "b") == 401, timeout=10))
        status, _, body = gateway.request("GET", "/admin/config-status", headers=ADMIN)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["last_outcome"], {"trigger": "file change", "applied": True})
        self.assertEqual(body["webhooks_count"], 2)
        self.assertTrue(body["file_watching_enabled"])

    def test_a_rejected_reload_keeps_the_running_config_and_names_every_error(self):
        gateway = self.start({"a": {"module": "log"}}, extra_args=["--no-watch-config"])
        write_json(gateway.webhooks_path, {
            "a": {"module": "log", "basic_auth": {"username": "u"}},
            "c": {"chain": [{"module": "reddis"}]}})
        status, _, body = gateway.request("POST", "/admin/reload-config", headers=ADMIN)
        self.assertEqual(status, 400, body)
        self.assertEqual(body["status"], "error")
        paths = sorted(error["path"] for error in body["errors"])
        self.assertEqual(paths, ["/a/basic_auth/password", "/c/chain/0/module"], body)
        self.assertTrue(all(error["file"] == "webhooks.json" for error in body["errors"]))
        # The old definition still serves: "a" without authentication, no "c".
        self.assertEqual(self.status_of(gateway, "a"), 200)
        self.assertEqual(self.status_of(gateway, "c"), 404)
        status, _, body = gateway.request("GET", "/admin/config-status", headers=ADMIN)
        self.assertEqual(body["reloads_rejected"], 1)
        self.assertFalse(body["last_outcome"]["applied"])
        # Fixed, it goes through and says what changed.
        write_json(gateway.webhooks_path, {"a": {"module": "log"}, "c": {"module": "log"}})
        status, _, body = gateway.request("POST", "/admin/reload-config", headers=ADMIN)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["details"]["webhooks"],
                         {"webhooks_added": 1, "webhooks_removed": 0, "total_webhooks": 2})
        self.assertEqual(self.status_of(gateway, "c"), 200)

    def test_reload_endpoints_need_the_admin_token(self):
        gateway = self.start({"a": {"module": "log"}}, extra_args=["--no-watch-config"])
        self.assertEqual(gateway.request("POST", "/admin/reload-config")[0], 401)
        self.assertEqual(gateway.request("GET", "/admin/reload-config", headers=ADMIN)[0], 405)
        self.assertEqual(gateway.request("POST", "/admin/config-status", headers=ADMIN)[0], 405)

    def test_reloads_under_load_lose_no_request(self):
        gateway = self.start({"steady": {"module": "log"}, "other": {"module": "log"}})
        statuses = []
        lock = threading.Lock()
        stop = threading.Event()

        def sender():
            while not stop.is_set():
                status = self.status_of(gateway, "steady")
                with lock:
                    statuses.append(status)

        senders = [threading.Thread(target=sender) for _ in range(4)]
        for thread in senders:
            thread.start()
        try:
            for round in range(12):
                write_json(gateway.webhooks_path, {
                    "steady": {"module": "log"},
                    "other": {"module": "log", "rate_limit": {"max_requests": round + 1,
                                                               "window_seconds": 60}}})
                if round % 3 == 0:
                    gateway.process.send_signal(signal.SIGHUP)
                elif round % 3 == 1:
                    status, _, body = gateway.request("POST", "/admin/reload-config",
                                                      headers=ADMIN)
                    self.assertEqual(status, 200, body)
                time.sleep(0.3)  # round % 3 == 2: the file watcher
        finally:
            stop.set()
            for thread in senders:
                thread.join()
        self.assertGreater(len(statuses), 100)
        self.assertEqual({s for s in statuses if s != 200}, set(),
                         "every request during the reloads was accepted")
        self.assertGreaterEqual(gateway.stderr().count("configuration reloaded"), 8)

    def test_an_unchanged_redis_connection_keeps_its_sockets(self):
        redis = RedisServer()
        try:
            connections = {"queue": {"type": "redis", "host": "127.0.0.1", "port": redis.port}}
            webhooks = {"events": {"module": "redis_publish", "connection": "queue",
                                   "module-config": {"channel": "events"}}}
            gateway = self.start(webhooks, connections, extra_args=["--no-watch-config"])
            self.assertEqual(gateway.post("events", {"n": 1})[0], 200)

            def gateway_clients():
                lines = redis.cli("CLIENT", "LIST").splitlines()
                return sorted(line.split()[0] for line in lines if "cmd=client" not in line)

            self.assertTrue(wait_until(lambda: len(gateway_clients()) > 0))
            before = gateway_clients()
            webhooks["more"] = {"module": "log"}
            write_json(gateway.webhooks_path, webhooks)
            status, _, body = gateway.request("POST", "/admin/reload-config", headers=ADMIN)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["details"]["connections"]["connections_kept"], 1)
            for n in range(5):
                self.assertEqual(gateway.post("events", {"n": n})[0], 200)
            time.sleep(0.3)
            after = gateway_clients()
            # One socket per I/O thread, opened on first use; none closed and opened again.
            self.assertTrue(set(before) <= set(after), (before, after))
            self.assertLessEqual(len(after), 2, after)
        finally:
            redis.stop()


if __name__ == "__main__":
    unittest.main()
