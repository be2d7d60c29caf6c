"""The three examples of the original chaining request (shared/seed/webhook-chaining.md), end to
end against real servers: s3rver, Redis with a stock `rq worker`, PostgreSQL and RabbitMQ."""
import json
import os
import shutil
import tempfile
import unittest
import uuid
import xml.etree.ElementTree as ET

import pika
import psycopg2

from gateway import Gateway, wait_until
from postgresql_e2e import query
from services import run_rq_worker, services_env
from sigv4_proxy import signed_request

ENV = services_env()
AUTH = {"Authorization": "Bearer secret"}


class SeedExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_id = uuid.uuid4().hex[:8]
        cls.table = "webhook_events_" + cls.run_id
        cls.queue = "event_queue_" + cls.run_id
        cls.rq_queue = "process_events_" + cls.run_id
        cls.simple_queue = "simple_" + cls.run_id
        cls.prefix = "events-" + cls.run_id
        cls.simple_prefix = "simple-" + cls.run_id
        cls.redis_url = "redis://127.0.0.1:%s" % ENV["WG_REDIS_PORT"]
        connections = {
            "s3_storage": {"type": "s3", "endpoint_url": ENV["WG_S3_ENDPOINT"],
                           "aws_access_key_id": ENV["WG_S3_ACCESS_KEY"],
                           "aws_secret_access_key": ENV["WG_S3_SECRET_KEY"]},
            "redis_local": {"type": "redis-rq", "host": "127.0.0.1", "port": int(ENV["WG_REDIS_PORT"])},
            "postgres_local": {"type": "postgresql", "host": "127.0.0.1",
                               "port": int(ENV["WG_POSTGRES_PORT"]), "database": ENV["WG_POSTGRES_DB"],
                               "user": ENV["WG_POSTGRES_USER"]},
            "rabbitmq_local": {"type": "rabbitmq", "host": "127.0.0.1",
                               "port": int(ENV["WG_RABBITMQ_PORT"]), "user": "guest", "pass": "guest"},
        }
        webhooks = {
            # Example 1: save to S3, then enqueue for a Redis worker (sequential).
            "s3_then_redis": {
                "data_type": "json",
                "chain": [
                    {"module": "s3", "connection": "s3_storage",
                     "module-config": {"bucket": ENV["WG_S3_BUCKET"], "prefix": cls.prefix},
                     "retry": {"enabled": True, "max_attempts": 3}},
                    {"module": "redis_rq", "connection": "redis_local",
                     "module-config": {"queue_name": cls.rq_queue,
                                       "function": "wg_tasks.record_webhook"}},
                ],
                "chain-config": {"execution": "sequential", "continue_on_error": True},
                "authorization": "Bearer secret",
            },
            # Example 2: save to the database and RabbitMQ (parallel); queue_name as a legacy
            # field of the chain item, exactly as the request writes it.
            "db_and_rmq": {
                "data_type": "json",
                "chain": [
                    {"module": "postgresql", "connection": "postgres_local",
                     "module-config": {"table": cls.table}},
                    {"module": "rabbitmq", "connection": "rabbitmq_local", "queue_name": cls.queue},
                ],
                "chain-config": {"execution": "parallel", "continue_on_error": True},
                "authorization": "Bearer secret",
            },
            # Example 3: the simple array form. Each item takes the only connection of its type
            # and the webhook-level module-config.
            "simple_chain": {
                "data_type": "json",
                "chain": ["s3", "redis_rq"],
                "module-config": {"bucket": ENV["WG_S3_BUCKET"], "prefix": cls.simple_prefix,
                                  "function": "wg_tasks.record_webhook",
                                  "queue_name": cls.simple_queue},
                "chain-config": {"execution": "sequential"},
                "authorization": "Bearer secret",
            },
        }
        cls.gateway = Gateway(webhooks, connections=connections)
        cls.out = tempfile.mkdtemp(prefix="wg-seed-rq-")

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        shutil.rmtree(cls.out, ignore_errors=True)

    def s3_objects(self, prefix):
        port = int(ENV["WG_S3_PORT"])
        bucket = ENV["WG_S3_BUCKET"]
        status, _, body = signed_request(port, "GET", "/" + bucket, ENV["WG_S3_ACCESS_KEY"],
                                         ENV["WG_S3_SECRET_KEY"], "us-east-1",
                                         query="list-type=2&prefix=" + prefix.replace("/", "%2F"))
        self.assertEqual(status, 200, body)
        keys = [k.text for c in ET.fromstring(body).iter() if c.tag.endswith("Contents")
                for k in c if k.tag.endswith("Key")]
        objects = {}
        for key in keys:
            status, _, data = signed_request(port, "GET", "/%s/%s" % (bucket, key),
                                             ENV["WG_S3_ACCESS_KEY"], ENV["WG_S3_SECRET_KEY"], "us-east-1")
            self.assertEqual(status, 200)
            objects[key] = json.loads(data)
        return objects

    def rq_jobs(self, queue):
        out = os.path.join(self.out, queue)
        os.makedirs(out, exist_ok=True)
        worker = run_rq_worker(self.redis_url, queue, out)
        jobs = []
        for name in os.listdir(out):
            with open(os.path.join(out, name)) as f:
                jobs.append(json.load(f))
        return jobs, worker

    def test_example_1_s3_then_redis(self):
        payload = {"event": "order.created", "id": 1, "total": 99.5}
        status, _, body = self.gateway.post("s3_then_redis", payload, {**AUTH, "X-Event": "order"})
        self.assertEqual(status, 200, body)
        self.assertTrue(wait_until(lambda: "chain delivered" in self.gateway.stderr()
                                   and body["id"] in self.gateway.stderr(), timeout=20),
                        self.gateway.stderr())
        objects = self.s3_objects(self.prefix + "/")
        self.assertEqual(list(objects.values()), [payload])
        key = next(iter(objects))
        self.assertRegex(key, r"^%s/\d{4}/\d{2}/\d{2}/\d{2}/webhook_[0-9a-f-]{36}\.json$" % self.prefix)
        jobs, worker = self.rq_jobs(self.rq_queue)
        self.assertEqual(len(jobs), 1, worker.stderr)
        self.assertEqual(jobs[0]["payload"], payload)
        self.assertEqual(jobs[0]["headers"]["x-event"], "order")

    def test_example_2_db_and_rabbitmq_in_parallel(self):
        payload = {"event": "user.signup", "user": {"id": 5, "name": "Zo\u00e9"}}
        status, _, body = self.gateway.post("db_and_rmq", payload, {**AUTH, "X-Trace": "t-2"})
        self.assertEqual(status, 200, body)
        port, db = int(ENV["WG_POSTGRES_PORT"]), ENV["WG_POSTGRES_DB"]

        def row():
            try:
                return query(port, db, 'SELECT payload, headers, delivery_id FROM "%s"' % self.table)
            except psycopg2.Error:
                return []
        self.assertTrue(wait_until(lambda: len(row()) == 1, timeout=20), self.gateway.stderr())
        stored_payload, stored_headers, delivery_id = row()[0]
        self.assertEqual(stored_payload, payload)
        self.assertEqual(stored_headers["x-trace"], "t-2")
        self.assertEqual(delivery_id, body["id"])

        connection = pika.BlockingConnection(pika.URLParameters(ENV["WG_AMQP_URL"]))
        try:
            channel = connection.channel()
            message = []

            def got():
                method, properties, data = channel.basic_get(self.queue, auto_ack=True)
                if method:
                    message[:] = [properties, data]
                return bool(message)
            self.assertTrue(wait_until(got, timeout=20), self.gateway.stderr())
            properties, data = message
            self.assertEqual(json.loads(data), payload)
            self.assertEqual(properties.headers["x-trace"], "t-2")
            self.assertEqual(properties.delivery_mode, 2)
            channel.queue_delete(self.queue)
        finally:
            connection.close()

    def test_example_3_simple_array_form(self):
        payload = {"event": "ping", "n": 3}
        status, _, body = self.gateway.post("simple_chain", payload, AUTH)
        self.assertEqual(status, 200, body)
        self.assertTrue(wait_until(lambda: body["id"] in self.gateway.stderr(), timeout=20),
                        self.gateway.stderr())
        self.assertEqual(list(self.s3_objects(self.simple_prefix + "/").values()), [payload])
        jobs, worker = self.rq_jobs(self.simple_queue)
        self.assertEqual([j["payload"] for j in jobs], [payload], worker.stderr)


if __name__ == "__main__":
    unittest.main()
