"""The `activemq` module (STOMP SEND) end to end against RabbitMQ's STOMP plugin of
scripts/services: no ActiveMQ broker is packaged for Debian 12, and RabbitMQ speaks the same
STOMP 1.2. What a consumer receives is read back over AMQP with pika: a SEND to /queue/<name>
lands in the durable queue <name>, a SEND to /topic/<name> goes through amq.topic with the
routing key <name>.
"""
import json
import os
import re
import shutil
import tempfile
import time
import unittest
import uuid

import rabbitmq_e2e  # its Broker helper (imported as a module, so its tests do not run here)
from gateway import Gateway, wait_until
from services import CuttableProxy, free_port, services_env

ENV = services_env()
HOST = ENV.get("WG_HOST", "127.0.0.1")
STOMP_PORT = int(ENV["WG_STOMP_PORT"])
AUTH = {"Authorization": "Bearer stomp-token"}
RETRY = {"enabled": True, "max_attempts": 5, "initial_delay": 0.1, "max_delay": 0.2}


class ActivemqTest(unittest.TestCase):
    def setUp(self):
        self.queue = "wg_stomp_" + uuid.uuid4().hex[:12]
        self.broker = rabbitmq_e2e.Broker()
        self.disk = tempfile.mkdtemp(prefix="wg-stomp-disk-")
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        self.broker.delete(self.queue)
        self.broker.close()
        shutil.rmtree(self.disk, ignore_errors=True)

    def start(self, webhook, port=STOMP_PORT, password="guest"):
        connections = {"broker": {"type": "activemq", "host": HOST, "port": port,
                                  "user": "guest", "password": password, "timeout": 3}}
        self.gateway = Gateway({"events": {"authorization": AUTH["Authorization"], **webhook}},
                               connections=connections)

    def item(self, retry=None, **config):
        item = {"module": "activemq", "connection": "broker",
                "module-config": {"destination": self.queue, **config}}
        if retry:
            item["retry"] = retry
        return item

    def test_consumer_gets_the_json_body_headers_and_a_persistent_message(self):
        self.start({"chain": [self.item()]})
        payload = {"event": "push", "n": 7, "text": "h\u00e9llo \u2603", "list": [1, None]}
        status, _, answer = self.gateway.post("events", payload,
                                              {**AUTH, "X-Trace": "a:b\\c", "X-Message-TTL": "1"})
        self.assertEqual(status, 200)
        messages = self.broker.drain(self.queue, 1)
        self.assertEqual(len(messages), 1, self.gateway.stderr()[-3000:])
        properties, body = messages[0]
        self.assertEqual(json.loads(body), payload)
        self.assertEqual(properties.delivery_mode, 2, "persistent")
        self.assertEqual(properties.content_type, "application/json")
        self.assertEqual(properties.headers["x-trace"], "a:b\\c", "escaped and unescaped intact")
        self.assertEqual(properties.headers["webhook-delivery-id"], answer["id"])
        self.assertNotIn("x-message-ttl", properties.headers, "a header the broker acts on")
        self.assertNotIn("stomp-token", json.dumps(properties.headers), "credentials are masked")
        _, _, health = self.gateway.request("GET", "/health")
        self.assertEqual(health["components"]["connections"]["broker"], "connected")

    def test_topic_and_not_persistent(self):
        self.broker.channel.queue_declare(self.queue, durable=False, auto_delete=True)
        self.broker.channel.queue_bind(self.queue, "amq.topic", routing_key="orders." + self.queue)
        self.start({"chain": [self.item(destination="orders." + self.queue,
                                        destination_type="topic", persistent=False)]})
        self.assertEqual(self.gateway.post("events", {"topic": True}, AUTH)[0], 200)
        messages = self.broker.drain(self.queue, 1)
        self.assertEqual([json.loads(body) for _, body in messages], [{"topic": True}],
                         self.gateway.stderr()[-3000:])
        self.assertNotEqual(messages[0][0].delivery_mode, 2)

    def test_many_webhooks_share_one_connection_and_arrive_exactly_once(self):
        self.start({"chain": [self.item()]})
        for n in range(60):
            self.assertEqual(self.gateway.post("events", {"n": n}, AUTH)[0], 200)
        messages = self.broker.drain(self.queue, 60)
        self.assertEqual(sorted(json.loads(body)["n"] for _, body in messages), list(range(60)))

    def test_parallel_chain_to_activemq_and_disk(self):
        self.start({"chain": [self.item(), {"module": "save_to_disk",
                                            "module-config": {"base_dir": self.disk}}],
                    "chain-config": {"execution": "parallel"}})
        for n in range(3):
            self.assertEqual(self.gateway.post("events", {"n": n}, AUTH)[0], 200)
        messages = self.broker.drain(self.queue, 3)
        self.assertEqual(sorted(json.loads(body)["n"] for _, body in messages), [0, 1, 2])
        self.assertTrue(wait_until(lambda: len(os.listdir(self.disk)) == 3))

    def test_a_refused_login_is_a_permanent_failure(self):
        self.start({"chain": [self.item(retry=RETRY)]}, password="not-the-password")
        self.assertEqual(self.gateway.post("events", {"n": 1}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in self.gateway.stderr()),
                        self.gateway.stderr()[-3000:])
        log = self.gateway.stderr()
        self.assertIn("refused the login", log)
        self.assertEqual(re.findall(r'attempts\\?"\s*:\s*(\d+)', log), ["1"])
        self.assertNotIn("not-the-password", log)

    def test_a_message_the_broker_refuses_is_a_permanent_failure(self):
        # The queue exists with other arguments: RabbitMQ answers the SEND with an ERROR.
        self.broker.channel.queue_declare(self.queue, durable=False)
        self.start({"chain": [self.item(retry=RETRY)]})
        self.assertEqual(self.gateway.post("events", {"n": 1}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in self.gateway.stderr()),
                        self.gateway.stderr()[-3000:])
        log = self.gateway.stderr()
        self.assertIn("the broker refused the message", log)
        self.assertEqual(re.findall(r'attempts\\?"\s*:\s*(\d+)', log), ["1"])
        # The next webhook goes out on a new connection.
        self.broker.delete(self.queue)
        self.assertEqual(self.gateway.post("events", {"n": 2}, AUTH)[0], 200)
        self.assertEqual([json.loads(b)["n"] for _, b in self.broker.drain(self.queue, 1)], [2])

    def test_broker_lost_then_back_retries_deliver_everything(self):
        proxy = CuttableProxy(HOST, STOMP_PORT)
        self.addCleanup(proxy.cut)
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.3, "max_delay": 1.0}
        self.start({"chain": [self.item(retry=retry)], "chain-config": {"timeout": 60}},
                   port=proxy.port)
        self.assertEqual(self.gateway.post("events", {"n": 0}, AUTH)[0], 200)
        self.assertEqual([json.loads(b)["n"] for _, b in self.broker.drain(self.queue, 1)], [0])
        proxy.cut()
        self.assertTrue(wait_until(lambda: "down" in self.gateway.request("GET", "/health")[2]
                                   ["components"]["connections"]["broker"], timeout=5))
        for n in range(1, 6):
            self.assertEqual(self.gateway.post("events", {"n": n}, AUTH)[0], 200)
        time.sleep(1.0)
        proxy.start()
        messages = self.broker.drain(self.queue, 5, timeout=30)
        self.assertEqual(sorted(json.loads(b)["n"] for _, b in messages), [1, 2, 3, 4, 5],
                         self.gateway.stderr()[-3000:])

    def test_broker_down_at_start_is_retried(self):
        self.start({"chain": [self.item(retry={"enabled": True, "max_attempts": 3,
                                               "initial_delay": 0.1, "max_delay": 0.1})]},
                   port=free_port())
        self.assertEqual(self.gateway.post("events", {"n": 1}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in self.gateway.stderr(), timeout=20))
        log = self.gateway.stderr()
        self.assertIn("cannot connect", log)
        self.assertRegex(log, r'attempts\\?"\s*:\s*3\b')

    def test_config_errors_are_all_reported_with_their_paths(self):
        with self.assertRaises(RuntimeError) as raised:
            Gateway({"events": {"module": "activemq", "connection": "broker",
                                "module-config": {"destination": "Queue.orders",
                                                  "destination_type": "fanout"}}},
                    connections={"broker": {"type": "activemq", "port": "x"}})
        text = str(raised.exception)
        self.assertIn("/events/module-config/destination", text)
        self.assertIn("/events/module-config/destination_type", text)
        self.assertIn("/broker/port", text)


if __name__ == "__main__":
    unittest.main()
