"""End to end: the spool, dead letters and their admin API, and the three acknowledge modes."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from gateway import Gateway, Receiver, wait_until

ADMIN_TOKEN = "admin-token-for-e2e-tests"
ADMIN = {"Authorization": "Bearer " + ADMIN_TOKEN}


def http_item(receiver, retry=None):
    item = {"module": "http_webhook",
            "module-config": {"url": receiver.url, "allowed_hosts": ["127.0.0.1"], "timeout": 5}}
    if retry:
        item["retry"] = retry
    return item


def disk_item(base_dir):
    return {"module": "save_to_disk", "module-config": {"base_dir": base_dir}}


class DurabilityTest(unittest.TestCase):
    def setUp(self):
        self.base_dir = tempfile.mkdtemp(prefix="wg-e2e-disk-")
        self.receiver = Receiver()
        self.gateways = []

    def tearDown(self):
        for gateway in self.gateways:
            gateway.stop()
        self.receiver.close()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def start(self, webhooks, extra_args=(), **kwargs):
        gateway = Gateway(webhooks, extra_args=["--admin-token", ADMIN_TOKEN, *extra_args], **kwargs)
        self.gateways.append(gateway)
        return gateway

    def bodies(self):
        return [json.loads(r["body"]) for r in self.receiver.delivered()]

    def dead_letters(self, gateway, query=""):
        status, _, body = gateway.request("GET", "/admin/dead-letters" + query, headers=ADMIN)
        self.assertEqual(status, 200, body)
        return body

    def test_persisted_webhooks_are_delivered_after_a_kill(self):
        # The destination refuses everything while the gateway runs, then the process is killed:
        # the accepted webhooks exist only in the spool.
        self.receiver.script = [(503, 0)]
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.2, "max_delay": 0.5}
        webhooks = {"orders": {"chain": [http_item(self.receiver, retry)],
                               "chain-config": {"timeout": 60}}}
        first = self.start(webhooks)
        ids = []
        for n in range(5):
            status, _, body = first.post("orders", {"n": n})
            self.assertEqual(status, 200, body)
            ids.append(body["id"])
        self.assertTrue(wait_until(lambda: self.receiver.count() >= 5))
        first.kill()
        self.receiver.script = [(200, 0)]
        self.assertEqual(self.bodies(), [])

        second = self.start(webhooks, workdir=first.dir)
        self.assertTrue(wait_until(lambda: len(self.bodies()) >= 5, timeout=20), second.stderr())
        self.assertEqual(sorted(b["n"] for b in self.bodies()), [0, 1, 2, 3, 4])
        self.assertIn("unfinished=5", second.stderr())
        ids_seen = {r["headers"].get("X-Webhook-Delivery-Id") for r in self.receiver.delivered()}
        self.assertEqual(ids_seen, set(ids), "the ids answered at acceptance, for deduplication")
        # Finished webhooks are not delivered again by a third start.
        second.stop()
        count = len(self.bodies())
        third = self.start(webhooks, workdir=first.dir)
        self.assertIn("unfinished=0", third.stderr())
        self.assertEqual(len(self.bodies()), count)

    def test_items_that_finished_before_a_kill_are_not_repeated(self):
        # [save_to_disk, http_webhook] sequential: the file is written, the HTTP item keeps failing.
        self.receiver.script = [(503, 0)]
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.2, "max_delay": 0.5}
        webhooks = {"orders": {"chain": [disk_item(self.base_dir), http_item(self.receiver, retry)],
                               "chain-config": {"timeout": 60}}}
        first = self.start(webhooks)
        status, _, _ = first.post("orders", {"n": 1})
        self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: self.receiver.count() >= 2))
        first.kill()
        self.assertEqual(len(os.listdir(self.base_dir)), 1)
        self.receiver.script = [(200, 0)]
        self.start(webhooks, workdir=first.dir)
        self.assertTrue(wait_until(lambda: len(self.bodies()) == 1, timeout=20))
        self.assertEqual(len(os.listdir(self.base_dir)), 1, "save_to_disk finished before the kill")

    def test_a_stuck_destination_holds_up_only_its_own_lane(self):
        # Every HTTP delivery hangs for 3 s and at most 2 run at once (--max-in-flight is per
        # lane): the disk item of the same chain and another webhook are not held up.
        self.receiver.script = [(200, 3)]
        other_dir = tempfile.mkdtemp(prefix="wg-e2e-other-")
        self.addCleanup(shutil.rmtree, other_dir, True)
        webhooks = {"orders": {"chain": [http_item(self.receiver), disk_item(self.base_dir)],
                               "chain-config": {"execution": "parallel"}},
                    "audit": {"module": "save_to_disk", "module-config": {"base_dir": other_dir}}}
        gw = self.start(webhooks, extra_args=["--max-in-flight", "2"])
        for n in range(20):
            self.assertEqual(gw.post("orders", {"n": n})[0], 200)
            self.assertEqual(gw.post("audit", {"n": n})[0], 200)
        self.assertTrue(wait_until(lambda: len(os.listdir(self.base_dir)) == 20, timeout=2.5),
                        "the disk lane finished while the HTTP lane is still on its first two")
        self.assertTrue(wait_until(lambda: len(os.listdir(other_dir)) == 20, timeout=1))
        self.assertLessEqual(self.receiver.count(), 4)
        _, _, health = gw.request("GET", "/health")
        self.assertGreaterEqual(health["components"]["spool"]["waiting"], 14)

    def test_sequential_chains_keep_their_order_per_webhook(self):
        self.receiver.script = [(503, 0), (200, 0)]
        # The retry waits 0.5 s: a disk item that did not wait for it would write at once.
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.5, "max_delay": 0.5}
        webhooks = {"orders": {"chain": [http_item(self.receiver, retry), disk_item(self.base_dir)]}}
        gw = self.start(webhooks)
        self.assertEqual(gw.post("orders", {"n": 1})[0], 200)
        self.assertTrue(wait_until(lambda: len(os.listdir(self.base_dir)) == 1), gw.stderr())
        # The file was written only after the HTTP item succeeded (its second attempt).
        self.assertEqual(self.receiver.count(), 2)

    def test_failures_become_dead_letters_that_can_be_replayed(self):
        self.receiver.script = [(500, 0)]
        retry = {"enabled": True, "max_attempts": 2, "initial_delay": 0.05, "max_delay": 0.05}
        webhooks = {"orders": {"chain": [disk_item(self.base_dir), http_item(self.receiver, retry)]},
                    "audit": {"chain": [http_item(self.receiver)]}}
        gw = self.start(webhooks)
        status, _, body = gw.post("orders", {"order": 7}, {"X-Trace": "t-1"})
        self.assertEqual(status, 200)
        delivery_id = body["id"]
        gw.post("audit", {"audit": 1})
        self.assertTrue(wait_until(lambda: self.dead_letters(gw)["count"] == 2), gw.stderr())

        listed = self.dead_letters(gw, "?webhook=orders")
        self.assertEqual(listed["count"], 1)
        summary = listed["dead_letters"][0]
        self.assertEqual(summary["id"], delivery_id)
        self.assertEqual(summary["items"][0]["module"], "http_webhook")
        self.assertEqual(summary["items"][0]["index"], 1, "save_to_disk was delivered")
        self.assertEqual(summary["items"][0]["status"], "failed")
        self.assertEqual(summary["items"][0]["attempts"], 2)
        self.assertEqual(self.dead_letters(gw, "?module=save_to_disk")["count"], 0)

        status, _, letter = gw.request("GET", "/admin/dead-letters/" + delivery_id, headers=ADMIN)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(letter["body"]), {"order": 7})
        self.assertIn(["x-trace", "t-1"], letter["headers"])
        errors = letter["items"][0]["errors"]
        self.assertEqual([e["attempt"] for e in errors], [1, 2])
        self.assertIn("500", errors[0]["error"])

        # The cause is fixed; the replay delivers the failed item only (no second file).
        self.receiver.script = [(200, 0)]
        before = self.receiver.count()
        status, _, body = gw.request("POST", "/admin/dead-letters/%s/replay" % delivery_id,
                                     headers=ADMIN)
        self.assertEqual(status, 200, body)
        self.assertTrue(wait_until(lambda: {"order": 7} in self.bodies()), gw.stderr())
        self.assertEqual(self.receiver.count(), before + 1)
        self.assertEqual(len(os.listdir(self.base_dir)), 1)
        status, _, _ = gw.request("GET", "/admin/dead-letters/" + delivery_id, headers=ADMIN)
        self.assertEqual(status, 404)

        # Replay by filter, then nothing is left.
        status, _, body = gw.request("POST", "/admin/dead-letters/replay?webhook=audit",
                                     headers=ADMIN)
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["replayed"]), 1)
        self.assertTrue(wait_until(lambda: {"audit": 1} in self.bodies()))
        self.assertEqual(self.dead_letters(gw)["count"], 0)

    def test_a_replay_that_fails_again_is_a_dead_letter_again_and_can_be_deleted(self):
        self.receiver.script = [(500, 0)]
        gw = self.start({"orders": {"chain": [http_item(self.receiver)]}})
        _, _, body = gw.post("orders", {"x": 1})
        delivery_id = body["id"]
        self.assertTrue(wait_until(lambda: self.dead_letters(gw)["count"] == 1))
        status, _, _ = gw.request("POST", "/admin/dead-letters/%s/replay" % delivery_id,
                                  headers=ADMIN)
        self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: self.receiver.count() == 2))
        self.assertTrue(wait_until(lambda: self.dead_letters(gw)["count"] == 1))
        status, _, body = gw.request("DELETE", "/admin/dead-letters/" + delivery_id, headers=ADMIN)
        self.assertEqual((status, body), (200, {"deleted": delivery_id}))
        self.assertEqual(self.dead_letters(gw)["count"], 0)
        status, _, _ = gw.request("DELETE", "/admin/dead-letters/" + delivery_id, headers=ADMIN)
        self.assertEqual(status, 404)

    def test_admin_api_needs_its_token(self):
        gw = self.start({"orders": {"module": "log"}})
        status, headers, body = gw.request("GET", "/admin/dead-letters")
        self.assertEqual(status, 401)
        self.assertEqual(headers.get("www-authenticate"), "Bearer")
        status, _, _ = gw.request("GET", "/admin/dead-letters",
                                  headers={"Authorization": "Bearer wrong-token-wrong-token"})
        self.assertEqual(status, 401)
        status, _, body = gw.request("GET", "/admin/dead-letters?colour=red", headers=ADMIN)
        self.assertEqual(status, 400)
        status, _, _ = gw.request("GET", "/admin/dead-letters/../../etc/passwd", headers=ADMIN)
        self.assertIn(status, (400, 404))
        status, _, _ = gw.request("PUT", "/admin/dead-letters", headers=ADMIN)
        self.assertEqual(status, 405)
        no_token = Gateway({"orders": {"module": "log"}})
        self.gateways.append(no_token)
        status, _, _ = no_token.request("GET", "/admin/dead-letters", headers=ADMIN)
        self.assertEqual(status, 404, "no admin token configured: no admin API")

    def test_acknowledge_delivered_answers_with_the_chain_result(self):
        webhooks = {"sync": {"acknowledge": "delivered", "chain": [http_item(self.receiver)]},
                    "slow": {"acknowledge": "delivered", "chain": [http_item(self.receiver)],
                             "chain-config": {"timeout": 1}}}
        gw = self.start(webhooks)
        status, _, body = gw.post("sync", {"a": 1})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["message"], "200 OK")
        self.assertEqual(body["results"][0]["status"], "delivered")
        self.assertEqual(self.bodies(), [{"a": 1}], "delivered before the answer")

        self.receiver.script = [(500, 0)]
        status, _, body = gw.post("sync", {"a": 2})
        self.assertEqual(status, 502, body)
        self.assertEqual(body["detail"], "Delivery failed")
        self.assertEqual(body["results"][0]["status"], "failed")
        self.assertIn("500", body["results"][0]["error"])

        self.receiver.script = [(200, 3)]
        status, _, body = gw.post("slow", {"a": 3})
        self.assertEqual(status, 504, body)
        self.assertEqual(body["results"][0]["status"], "timed_out")

    def test_a_full_spool_answers_503_and_keeps_what_it_accepted(self):
        # A destination that never answers in time keeps every record unfinished.
        self.receiver.script = [(200, 10)]
        gw = self.start({"orders": {"chain": [http_item(self.receiver)]}},
                        extra_args=["--spool-max-bytes", "8192"])
        statuses = []
        for n in range(40):
            status, headers, body = gw.post("orders", {"n": n, "pad": "x" * 200})
            statuses.append(status)
            if status == 503:
                self.assertEqual(headers.get("retry-after"), "1")
                self.assertEqual(body["detail"], "Server busy: spool is full, retry later")
        self.assertEqual(statuses[0], 200)
        self.assertIn(503, statuses)
        accepted = statuses.count(200)
        status, _, health = gw.request("GET", "/health")
        self.assertEqual(health["components"]["spool"]["unfinished"], accepted)

    def test_a_disk_that_fails_answers_500_never_2xx(self):
        # A 64 KiB file system: writes fail with ENOSPC long before --spool-max-bytes.
        mount_point = tempfile.mkdtemp(prefix="wg-e2e-tiny-")
        self.addCleanup(shutil.rmtree, mount_point, True)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount_point],
                                 capture_output=True)
        if mounted.returncode != 0:
            self.skipTest("needs root to mount a small tmpfs: %s" % mounted.stderr.decode())
        self.addCleanup(subprocess.run, ["umount", "-l", mount_point])
        self.receiver.script = [(200, 10)]  # nothing finishes, nothing is reclaimed
        gw = self.start({"orders": {"chain": [http_item(self.receiver)]}},
                        extra_args=["--spool-dir", os.path.join(mount_point, "spool")])
        statuses = []
        for n in range(20):
            status, _, body = gw.post("orders", {"n": n, "pad": "x" * 8000})
            statuses.append(status)
            if status == 500:
                self.assertEqual(body["detail"], "Could not store the webhook; it was not accepted")
        self.assertIn(500, statuses)
        self.assertNotIn(503, statuses)
        accepted = statuses.count(200)
        self.assertGreater(accepted, 0)
        self.assertIn("No space left on device", gw.stderr())
        _, _, health = gw.request("GET", "/health")
        self.assertEqual(health["components"]["spool"]["unfinished"], accepted,
                         "every 2xx is in the spool, no 500 is")

    def test_received_webhooks_are_not_spooled(self):
        gw = self.start({"fast": {"acknowledge": "received", "module": "log"},
                         "safe": {"module": "log"}})
        self.assertEqual(gw.post("fast", {"a": 1})[0], 200)
        _, _, health = gw.request("GET", "/health")
        self.assertEqual(health["components"]["spool"]["appended"], 0)
        self.assertEqual(gw.post("safe", {"a": 1})[0], 200)
        _, _, health = gw.request("GET", "/health")
        self.assertEqual(health["components"]["spool"]["appended"], 1)

    def test_a_second_gateway_cannot_share_a_spool(self):
        first = self.start({"orders": {"module": "log"}})
        with self.assertRaises(RuntimeError) as failure:
            Gateway({"orders": {"module": "log"}}, workdir=first.dir)
        self.assertIn("in use by another gateway process", str(failure.exception))


if __name__ == "__main__":
    unittest.main()
