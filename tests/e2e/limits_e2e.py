"""rate_limit and dedup end to end: the real binary, real HTTP, a real redis-server."""
import os
import shutil
import tempfile
import threading
import time
import unittest

from gateway import Gateway, wait_until
from services import RedisServer


def saved_files(directory):
    return [name for name in os.listdir(directory) if name.endswith(".json")]


class LimitsTest(unittest.TestCase):
    def setUp(self):
        self.disk = tempfile.mkdtemp(prefix="wg-limits-disk-")
        self.gateways = []
        self.redis = None

    def tearDown(self):
        for gateway in self.gateways:
            gateway.stop()
        if self.redis:
            self.redis.stop()
        shutil.rmtree(self.disk, ignore_errors=True)

    def start(self, webhooks, connections=None, workdir=None):
        gateway = Gateway(webhooks, connections=connections, workdir=workdir)
        self.gateways.append(gateway)
        return gateway

    def save(self, **options):
        return {"module": "save_to_disk", "module-config": {"base_dir": self.disk}, **options}

    def redis_connections(self):
        if not self.redis:
            self.redis = RedisServer()
        return {"cache": {"type": "redis", "host": "127.0.0.1", "port": self.redis.port}}

    # --- rate_limit -------------------------------------------------------------------------

    def test_429_with_retry_after_then_accepted_after_the_window(self):
        gateway = self.start({"hook": self.save(rate_limit={"max_requests": 3,
                                                            "window_seconds": 2})})
        for _ in range(3):
            status, _, _ = gateway.post("hook", {"n": 1})
            self.assertEqual(status, 200)
        status, headers, body = gateway.post("hook", {"n": 1})
        self.assertEqual(status, 429)
        self.assertIn(headers["retry-after"], ("1", "2"))
        self.assertEqual(body, {"detail": "Rate limit exceeded. Retry after %s seconds"
                                          % headers["retry-after"]})
        time.sleep(int(headers["retry-after"]))
        status, _, _ = gateway.post("hook", {"n": 1})
        self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: len(saved_files(self.disk)) == 4))

    def test_rate_limit_comes_before_authentication(self):
        gateway = self.start({"hook": self.save(authorization="Bearer t0ken",
                                                rate_limit={"max_requests": 1,
                                                            "window_seconds": 60})})
        status, _, _ = gateway.post("hook", {"n": 1})
        self.assertEqual(status, 401)
        status, _, body = gateway.post("hook", {"n": 1}, {"Authorization": "Bearer t0ken"})
        self.assertEqual(status, 429)

    def test_redis_rate_limit_is_shared_by_two_gateways(self):
        connections = self.redis_connections()
        # Fixed windows in Redis: an hour long, so the test does not straddle two of them.
        webhooks = {"hook": self.save(rate_limit={"max_requests": 4, "window_seconds": 3600,
                                                  "backend": "redis", "connection": "cache"})}
        first = self.start(webhooks, connections)
        second = self.start(webhooks, connections)
        statuses = [gateway.post("hook", {"n": i})[0]
                    for i, gateway in enumerate([first, second] * 3)]
        self.assertEqual(statuses, [200, 200, 200, 200, 429, 429])
        status, headers, _ = second.post("hook", {"n": 9})
        self.assertEqual(status, 429)
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertLessEqual(int(headers["retry-after"]), 3600)

    def test_redis_down_fails_open_by_default_and_closed_when_asked(self):
        connections = self.redis_connections()
        gateway = self.start({
            "open": self.save(rate_limit={"max_requests": 1, "backend": "redis",
                                          "connection": "cache"}),
            "closed": self.save(rate_limit={"max_requests": 1, "backend": "redis",
                                            "connection": "cache", "fail_open": False})},
            connections)
        self.redis.stop()
        self.assertEqual([gateway.post("open", {"n": 1})[0] for _ in range(3)], [200] * 3)
        status, headers, body = gateway.post("closed", {"n": 1})
        self.assertEqual(status, 503)
        self.assertEqual(headers["retry-after"], "1")
        self.assertEqual(body, {"detail": "Rate limit cannot be checked now, retry later"})

    # --- dedup ------------------------------------------------------------------------------

    def test_repeat_is_200_duplicate_and_not_delivered_twice(self):
        gateway = self.start({"hook": self.save(dedup="X-GitHub-Delivery")})
        status, _, first = gateway.post("hook", {"n": 1}, {"X-GitHub-Delivery": "d-1"})
        self.assertEqual(status, 200)
        self.assertNotIn("duplicate", first)
        status, _, repeat = gateway.post("hook", {"n": 1}, {"X-GitHub-Delivery": "d-1"})
        self.assertEqual(status, 200)
        self.assertEqual(repeat, {"message": "200 OK", "duplicate": True, "id": first["id"]})
        status, _, other = gateway.post("hook", {"n": 2}, {"X-GitHub-Delivery": "d-2"})
        self.assertEqual(status, 200)
        self.assertNotIn("duplicate", other)
        self.assertTrue(wait_until(lambda: len(saved_files(self.disk)) == 2))
        time.sleep(0.5)
        self.assertEqual(len(saved_files(self.disk)), 2, "different keys both, the repeat not")

    def test_concurrent_identical_requests_are_delivered_once(self):
        gateway = self.start({"hook": self.save(dedup={"key": "/id"})})
        answers = []
        lock = threading.Lock()

        def send():
            result = gateway.post("hook", {"id": "evt_42"})
            with lock:
                answers.append(result)

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([status for status, _, _ in answers], [200] * 8)
        self.assertEqual(sum(1 for _, _, body in answers if not body.get("duplicate")), 1)
        self.assertEqual(len({body["id"] for _, _, body in answers}), 1)
        self.assertTrue(wait_until(lambda: len(saved_files(self.disk)) == 1))
        time.sleep(0.5)
        self.assertEqual(len(saved_files(self.disk)), 1)

    def test_dedup_window_survives_kill_9_and_restart(self):
        webhooks = {"hook": self.save(dedup="webhook-id")}
        gateway = self.start(webhooks)
        status, _, first = gateway.post("hook", {"n": 1}, {"webhook-id": "msg_1"})
        self.assertEqual(status, 200)
        # Delivered and its finish record written, so the restart does not deliver it again.
        self.assertTrue(wait_until(lambda: len(saved_files(self.disk)) == 1))
        time.sleep(0.5)
        gateway.kill()
        restarted = self.start(webhooks, workdir=gateway.dir)
        status, _, repeat = restarted.post("hook", {"n": 1}, {"webhook-id": "msg_1"})
        self.assertEqual(status, 200)
        self.assertEqual(repeat, {"message": "200 OK", "duplicate": True, "id": first["id"]})
        self.assertTrue(wait_until(lambda: len(saved_files(self.disk)) == 1))
        time.sleep(0.5)
        self.assertEqual(len(saved_files(self.disk)), 1)

    def test_redis_dedup_is_shared_and_redis_down_fails_open(self):
        connections = self.redis_connections()
        webhooks = {"hook": self.save(dedup={"key": "X-Request-Id", "backend": "redis",
                                             "connection": "cache"}),
                    "strict": self.save(dedup={"key": "X-Request-Id", "backend": "redis",
                                               "connection": "cache", "fail_open": False})}
        first = self.start(webhooks, connections)
        second = self.start(webhooks, connections)
        status, _, accepted = first.post("hook", {"n": 1}, {"X-Request-Id": "r1"})
        self.assertEqual(status, 200)
        status, _, repeat = second.post("hook", {"n": 1}, {"X-Request-Id": "r1"})
        self.assertEqual(repeat, {"message": "200 OK", "duplicate": True, "id": accepted["id"]})
        self.assertTrue(wait_until(lambda: len(saved_files(self.disk)) == 1))

        self.redis.stop()
        status, _, body = second.post("hook", {"n": 2}, {"X-Request-Id": "r1"})
        self.assertEqual(status, 200, "fail open: accepted without the check")
        self.assertNotIn("duplicate", body)
        status, headers, body = second.post("strict", {"n": 3}, {"X-Request-Id": "r2"})
        self.assertEqual(status, 503)
        self.assertEqual(headers["retry-after"], "1")
        self.assertEqual(body, {"detail": "Duplicate check is unavailable, retry later"})
        self.assertTrue(wait_until(lambda: len(saved_files(self.disk)) == 2))


if __name__ == "__main__":
    unittest.main()
