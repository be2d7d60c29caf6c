"""End to end against a real redis-server and a real `rq worker` (Debian python3-rq)."""
import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from gateway import Gateway, wait_until
from services import RedisServer, require, run_rq_worker

AUTH = {"Authorization": "Bearer redis-token"}


def read_jobs(out_dir):
    jobs = []
    for path in glob.glob(os.path.join(out_dir, "*.json")):
        with open(path) as f:
            jobs.append(json.load(f))
    return jobs


class RedisTest(unittest.TestCase):
    def setUp(self):
        self.redis = RedisServer()
        self.out = tempfile.mkdtemp(prefix="wg-rq-out-")
        self.disk = tempfile.mkdtemp(prefix="wg-redis-disk-")
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        self.redis.stop()
        shutil.rmtree(self.out, ignore_errors=True)
        shutil.rmtree(self.disk, ignore_errors=True)

    def connections(self):
        return {"redis_local": {"type": "redis-rq", "host": "127.0.0.1", "port": self.redis.port}}

    def rq_item(self, queue="webhooks", serializer=None, retry=None):
        item = {"module": "redis_rq", "connection": "redis_local",
                "module-config": {"function": "wg_tasks.record_webhook", "queue_name": queue}}
        if serializer:
            item["module-config"]["serializer"] = serializer
        if retry:
            item["retry"] = retry
        return item

    def disk_item(self):
        return {"module": "save_to_disk", "module-config": {"base_dir": self.disk}}

    def test_stock_rq_worker_runs_pickled_job_with_payload_and_headers(self):
        self.gateway = Gateway({"jobs": {"authorization": "Bearer redis-token",
                                         "chain": [self.rq_item()]}},
                               connections=self.connections())
        payload = {"event": "push", "n": 7, "big": 2 ** 40, "ratio": 0.5, "ok": True,
                   "none": None, "list": [1, "two", {"three": 3}], "text": "h\u00e9llo \u2603"}
        status, _, _ = self.gateway.post("jobs", payload, {**AUTH, "X-GitHub-Event": "push"})
        self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: self.redis.cli("LLEN", "rq:queue:webhooks").strip() == "1"),
                        self.gateway.stderr())
        worker = run_rq_worker(self.redis.url(), "webhooks", self.out)
        jobs = read_jobs(self.out)
        self.assertEqual(len(jobs), 1, worker.stdout + worker.stderr)
        self.assertEqual(jobs[0]["payload"], payload)
        self.assertEqual(jobs[0]["headers"]["x-github-event"], "push")
        self.assertIn("rq:queue:webhooks", self.redis.cli("SMEMBERS", "rq:queues"))

    def test_json_serializer_for_json_workers(self):
        self.gateway = Gateway({"jobs": {"module": "redis_rq", "connection": "redis_local",
                                         "module-config": {"function": "wg_tasks.record_webhook",
                                                           "queue_name": "json_jobs",
                                                           "serializer": "json"}}},
                               connections=self.connections())
        for n in range(3):
            self.assertEqual(self.gateway.post("jobs", {"n": n})[0], 200)
        self.assertTrue(wait_until(lambda: self.redis.cli("LLEN", "rq:queue:json_jobs").strip() == "3"))
        worker = run_rq_worker(self.redis.url(), "json_jobs", self.out,
                               serializer="rq.serializers.JSONSerializer")
        jobs = read_jobs(self.out)
        self.assertEqual(sorted(j["payload"]["n"] for j in jobs), [0, 1, 2], worker.stderr)

    def test_redis_publish_reaches_a_subscriber(self):
        require("redis-cli")
        self.gateway = Gateway({"events": {"module": "redis_publish", "connection": "redis_local",
                                           "module-config": {"channel": "wg_events"}}},
                               connections={"redis_local": {"type": "redis", "host": "127.0.0.1",
                                                            "port": self.redis.port}})
        subscriber = subprocess.Popen(["redis-cli", "-p", str(self.redis.port), "SUBSCRIBE",
                                       "wg_events"], stdout=subprocess.PIPE, text=True)
        try:
            self.assertTrue(wait_until(lambda: self.redis.cli("PUBSUB", "NUMSUB", "wg_events")
                                       .split()[-1] == "1"))
            status, _, _ = self.gateway.post("events", {"hello": "world"}, {"X-Trace": "t1"})
            self.assertEqual(status, 200)
            lines = []
            deadline = time.time() + 10
            while time.time() < deadline and not any(l.startswith("{") for l in lines):
                lines.append(subscriber.stdout.readline())
        finally:
            subscriber.terminate()
            subscriber.wait()
        body = json.loads(next(l for l in lines if l.startswith("{")))
        self.assertEqual(body["payload"], {"hello": "world"})
        self.assertEqual(body["headers"]["x-trace"], "t1")

    def test_top_level_redis_block_like_the_python_project(self):
        self.gateway = Gateway({"events": {"module": "redis_publish",
                                           "redis": {"host": "127.0.0.1", "port": self.redis.port,
                                                     "channel": "legacy", "allowed_hosts": ["127.0.0.1"]}}})
        status, _, _ = self.gateway.post("events", {"a": 1})
        self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: "chain delivered" in self.gateway.stderr()), self.gateway.stderr())

    def test_redis_down_with_continue_on_error_the_other_destination_gets_everything(self):
        self.gateway = Gateway({"jobs": {"chain": [self.rq_item(), self.disk_item()],
                                         "chain-config": {"execution": "parallel"}}},
                               connections=self.connections())
        self.assertEqual(self.gateway.post("jobs", {"n": 0})[0], 200)
        self.assertTrue(wait_until(lambda: len(os.listdir(self.disk)) == 1))
        self.redis.stop()
        for n in range(1, 6):
            self.assertEqual(self.gateway.post("jobs", {"n": n})[0], 200)
        self.assertTrue(wait_until(lambda: len(os.listdir(self.disk)) == 6), self.gateway.stderr())
        self.assertTrue(wait_until(lambda: self.gateway.stderr().count("chain failed") >= 5))
        status, _, health = self.gateway.request("GET", "/health")
        self.assertIn("down", health["components"]["connections"]["redis_local"])

    def test_redis_down_then_back_retries_deliver_everything(self):
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.2, "max_delay": 1.0}
        self.gateway = Gateway({"jobs": {"chain": [self.rq_item(retry=retry)]}},
                               connections=self.connections())
        self.redis.stop()
        for n in range(10):
            self.assertEqual(self.gateway.post("jobs", {"n": n})[0], 200)
        time.sleep(1.5)
        self.redis.start()
        self.assertTrue(wait_until(lambda: self.redis.cli("LLEN", "rq:queue:webhooks").strip() == "10",
                                   timeout=20), self.gateway.stderr())
        run_rq_worker(self.redis.url(), "webhooks", self.out)
        self.assertEqual(sorted(j["payload"]["n"] for j in read_jobs(self.out)), list(range(10)))

    def test_bad_config_is_reported(self):
        webhooks = {"a": {"module": "redis_rq", "module-config": {"function": "os.system"}},
                    "b": {"module": "redis_rq", "connection": "redis_local", "module-config": {}}}
        with self.assertRaises(RuntimeError) as failure:
            Gateway(webhooks, connections=self.connections())
        message = str(failure.exception)
        self.assertIn('/a/module-config/function: functions of module "os" are not allowed', message)
        self.assertIn("/a/module-config: redis_rq needs a \"connection\"", message)
        self.assertIn("/b/module-config/function: required string is missing", message)


if __name__ == "__main__":
    unittest.main()
