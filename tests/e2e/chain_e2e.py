"""End to end: the real binary, real HTTP, a chain [save_to_disk, http_webhook]."""
import glob
import json
import os
import shutil
import tempfile
import time
import unittest

from gateway import Gateway, Receiver, wait_until

TOKEN = "e2e-secret-token"
AUTH = {"Authorization": "Bearer " + TOKEN}


def chain_webhook(base_dir, receiver, execution="sequential", continue_on_error=True,
                  http_first=False, retry=None, timeout=30):
    disk = {"module": "save_to_disk", "module-config": {"base_dir": base_dir, "include_headers": True}}
    web = {"module": "http_webhook",
           "module-config": {"url": receiver.url, "allowed_hosts": ["127.0.0.1"],
                             "forward_headers": True, "timeout": 5}}
    if retry:
        web["retry"] = retry
    items = [web, disk] if http_first else [disk, web]
    return {"data_type": "json", "authorization": "Bearer " + TOKEN, "chain": items,
            "chain-config": {"execution": execution, "continue_on_error": continue_on_error,
                             "timeout": timeout}}


class ChainTest(unittest.TestCase):
    def setUp(self):
        self.base_dir = tempfile.mkdtemp(prefix="wg-e2e-disk-")
        self.receiver = None
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        if self.receiver:
            self.receiver.close()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def files(self):
        return sorted(glob.glob(os.path.join(self.base_dir, "*.json")))

    def start(self, webhooks, **kwargs):
        self.gateway = Gateway(webhooks, **kwargs)
        return self.gateway

    def check_both_destinations(self, execution):
        self.receiver = Receiver()
        gw = self.start({"orders": chain_webhook(self.base_dir, self.receiver, execution)})
        payload = {"event": "order.created", "id": 42, "items": [{"sku": "A1", "qty": 2}]}
        status, _, body = gw.post("orders", payload, {**AUTH, "X-Request-Id": "abc"})
        self.assertEqual(status, 200)
        self.assertEqual(body["message"], "200 OK")
        delivery_id = body["id"]
        self.assertTrue(wait_until(lambda: len(self.files()) == 1 and self.receiver.delivered()),
                        gw.stderr())
        with open(self.files()[0]) as f:
            saved = json.load(f)
        self.assertEqual(saved["payload"], payload)
        self.assertEqual(saved["id"], delivery_id)
        self.assertEqual(saved["headers"]["x-request-id"], "abc")
        self.assertEqual(os.path.basename(self.files()[0]), delivery_id + ".json")
        forwarded = self.receiver.delivered()[0]
        self.assertEqual(json.loads(forwarded["body"]), payload)
        forwarded_headers = {k.lower(): v for k, v in forwarded["headers"].items()}
        self.assertEqual(forwarded_headers.get("x-request-id"), "abc")
        self.assertNotIn("authorization", forwarded_headers, "the sender's token is not passed on")

    def test_sequential_chain_reaches_disk_and_http(self):
        self.check_both_destinations("sequential")

    def test_parallel_chain_reaches_disk_and_http(self):
        self.check_both_destinations("parallel")

    def test_many_webhooks_all_arrive(self):
        self.receiver = Receiver()
        gw = self.start({"orders": chain_webhook(self.base_dir, self.receiver, "parallel")})
        for n in range(50):
            status, _, _ = gw.post("orders", {"n": n}, AUTH)
            self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: len(self.files()) == 50 and len(self.receiver.delivered()) == 50))
        numbers = sorted(json.loads(r["body"])["n"] for r in self.receiver.delivered())
        self.assertEqual(numbers, list(range(50)))

    def test_failing_destination_with_continue_on_error_true(self):
        self.receiver = Receiver(script=[(500, 0)])
        gw = self.start({"orders": chain_webhook(self.base_dir, self.receiver, continue_on_error=True,
                                                 http_first=True)})
        status, _, _ = gw.post("orders", {"a": 1}, AUTH)
        self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: len(self.files()) == 1), "disk still gets the webhook")
        self.assertEqual(self.receiver.count(), 1, "no retry configured: one attempt")
        self.assertTrue(wait_until(lambda: "chain failed" in gw.stderr()))
        self.assertIn("HTTP 500", gw.stderr())

    def test_failing_destination_with_continue_on_error_false_stops_the_chain(self):
        self.receiver = Receiver(script=[(500, 0)])
        gw = self.start({"orders": chain_webhook(self.base_dir, self.receiver, continue_on_error=False,
                                                 http_first=True)})
        status, _, _ = gw.post("orders", {"a": 1}, AUTH)
        self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: "chain failed" in gw.stderr()), gw.stderr())
        self.assertIn("not_executed", gw.stderr())
        self.assertEqual(self.files(), [], "save_to_disk must not run after the failure")

    def test_retries_until_the_destination_recovers(self):
        self.receiver = Receiver(script=[(503, 0), (502, 0), (200, 0)])
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.05, "max_delay": 0.2}
        gw = self.start({"orders": chain_webhook(self.base_dir, self.receiver, retry=retry)})
        status, _, _ = gw.post("orders", {"retry": "me"}, AUTH)
        self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: len(self.receiver.delivered()) == 1), gw.stderr())
        self.assertEqual(self.receiver.count(), 3)
        self.assertEqual(json.loads(self.receiver.delivered()[0]["body"]), {"retry": "me"})

    def test_permanent_failures_are_not_retried(self):
        self.receiver = Receiver(script=[(400, 0), (200, 0)])
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.05}
        gw = self.start({"orders": chain_webhook(self.base_dir, self.receiver, retry=retry)})
        gw.post("orders", {"a": 1}, AUTH)
        self.assertTrue(wait_until(lambda: "chain failed" in gw.stderr()))
        time.sleep(0.3)
        self.assertEqual(self.receiver.count(), 1)

    def test_chain_timeout_in_parallel_mode(self):
        self.receiver = Receiver(script=[(200, 3)])
        gw = self.start({"orders": chain_webhook(self.base_dir, self.receiver, "parallel", timeout=0.5)})
        gw.post("orders", {"a": 1}, AUTH)
        self.assertTrue(wait_until(lambda: "timed_out" in gw.stderr(), timeout=5), gw.stderr())
        self.assertEqual(len(self.files()), 1)

    def test_destination_that_is_down_fails_the_item(self):
        self.receiver = Receiver()
        self.receiver.close()  # nothing listens on its port any more
        gw = self.start({"orders": chain_webhook(self.base_dir, self.receiver)})
        self.receiver = None
        status, _, _ = gw.post("orders", {"a": 1}, AUTH)
        self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: "cannot connect" in gw.stderr()), gw.stderr())
        self.assertEqual(len(self.files()), 1)

    def test_queue_full_answers_503_with_retry_after(self):
        # acknowledge "received" keeps accepted webhooks in memory, so its queue is bounded;
        # persisted webhooks wait on disk instead (durability_e2e).
        self.receiver = Receiver(script=[(200, 2)])
        webhook = {"module": "http_webhook", "acknowledge": "received",
                   "module-config": {"url": self.receiver.url, "allowed_hosts": ["127.0.0.1"]}}
        gw = self.start({"slow": webhook}, extra_args=["--max-in-flight", "1", "--max-queued", "1"])
        statuses = []
        for n in range(4):
            status, headers, body = gw.post("slow", {"n": n})
            statuses.append(status)
            if status == 503:
                self.assertEqual(headers.get("retry-after"), "1")
                self.assertIn("detail", body)
        self.assertEqual(statuses[:2], [200, 200])
        self.assertIn(503, statuses[2:])
        self.assertTrue(wait_until(lambda: len(self.receiver.delivered()) == 2, timeout=15))


if __name__ == "__main__":
    unittest.main()
