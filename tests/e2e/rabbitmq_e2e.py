"""End to end against the real RabbitMQ of scripts/services, consumed with pika (Debian's
python3-pika): what a consumer receives, failures the broker reports, and a broker that is down.

Reads the broker's address from "$WG_SERVICES_DIR/services.env" (the test command starts the
services with WG_SERVICES_DIR=/tmp/wg-services-test).
"""
import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import unittest
import uuid

from gateway import Gateway, wait_until
from services import CuttableProxy, free_port, services_env

try:
    import pika
except ImportError as error:  # pragma: no cover - a setup problem, reported clearly
    raise RuntimeError("pika is missing: run the tests with /usr/bin/python3 after "
                       "`bash scripts/services start` (it installs python3-pika)") from error

AUTH = {"Authorization": "Bearer rabbit-token"}




ENV = services_env()
AMQP_URL = ENV["WG_AMQP_URL"]
HOST = ENV.get("WG_HOST", "127.0.0.1")
PORT = int(ENV["WG_RABBITMQ_PORT"])
USER = ENV.get("WG_RABBITMQ_USER", "guest")
PASSWORD = ENV.get("WG_RABBITMQ_PASSWORD", "guest")


class Broker:
    """A pika connection for the test's side: declare, inspect and consume."""

    def __init__(self):
        self.connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        self.channel = self.connection.channel()

    def get(self, queue):
        try:
            method, properties, body = self.channel.basic_get(queue, auto_ack=True)
        except pika.exceptions.ChannelClosedByBroker as closed:
            if closed.reply_code != 404:  # 404: the gateway has not declared the queue yet
                raise
            self.channel = self.connection.channel()
            return None
        return None if method is None else (properties, body)

    def drain(self, queue, count, timeout=30):
        """Consumes until `count` messages arrived (or the timeout), then a little longer to see
        any duplicate."""
        messages = []
        deadline = time.time() + timeout
        while time.time() < deadline and len(messages) < count:
            got = self.get(queue)
            if got is None:
                time.sleep(0.05)
            else:
                messages.append(got)
        time.sleep(0.3)
        while (got := self.get(queue)) is not None:
            messages.append(got)
        return messages

    def message_count(self, queue):
        return self.channel.queue_declare(queue, passive=True).method.message_count

    def delete(self, queue):
        try:
            if self.channel.is_closed:
                self.channel = self.connection.channel()
            self.channel.queue_delete(queue)
        except Exception:  # the queue may never have been created
            pass

    def close(self):
        try:
            self.connection.close()
        except Exception:
            pass


class RabbitmqTest(unittest.TestCase):
    def setUp(self):
        self.queue = "wg_e2e_" + uuid.uuid4().hex[:12]
        self.broker = Broker()
        self.disk = tempfile.mkdtemp(prefix="wg-rabbit-disk-")
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        self.broker.delete(self.queue)
        self.broker.close()
        shutil.rmtree(self.disk, ignore_errors=True)

    def connections(self, password=PASSWORD, port=PORT, key="pass"):
        return {"rabbit": {"type": "rabbitmq", "host": HOST, "port": port, "user": USER,
                           key: password, "vhost": "/", "timeout": 3}}

    def item(self, retry=None, **config):
        item = {"module": "rabbitmq", "connection": "rabbit",
                "module-config": {"queue_name": self.queue, **config}}
        if retry:
            item["retry"] = retry
        return item

    def disk_item(self):
        return {"module": "save_to_disk", "module-config": {"base_dir": self.disk}}

    def start(self, webhook, **connections):
        self.gateway = Gateway({"events": {"authorization": AUTH["Authorization"], **webhook}},
                               connections=self.connections(**connections))

    def test_consumer_gets_the_json_body_headers_and_a_persistent_message(self):
        self.start({"chain": [self.item()]})
        payload = {"event": "push", "n": 7, "ok": True, "none": None,
                   "list": [1, "two", {"three": 3}], "text": "h\u00e9llo \u2603"}
        status, _, answer = self.gateway.post("events", payload, {**AUTH, "X-Trace": "t-1"})
        self.assertEqual(status, 200)
        messages = self.broker.drain(self.queue, 1)
        self.assertEqual(len(messages), 1, self.gateway.stderr())
        properties, body = messages[0]
        self.assertEqual(body, json.dumps(payload, separators=(",", ":"),
                                          ensure_ascii=False).encode())
        self.assertEqual(properties.delivery_mode, 2)
        self.assertEqual(properties.content_type, "application/json")
        self.assertEqual(properties.message_id, answer["id"])
        self.assertEqual(properties.headers["x-trace"], "t-1")
        self.assertEqual(properties.headers["content-type"], "application/json")
        # The queue is durable: declaring it non-durable is refused by the broker.
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as refused:
            self.broker.channel.queue_declare(self.queue, durable=False)
        self.assertEqual(refused.exception.reply_code, 406)
        self.broker.channel = self.broker.connection.channel()
        self.assertTrue(wait_until(lambda: "chain delivered" in self.gateway.stderr()))
        status, _, health = self.gateway.request("GET", "/health")
        self.assertEqual(health["components"]["connections"]["rabbit"], "connected")

    def test_legacy_top_level_queue_name_and_password_key(self):
        self.gateway = Gateway({"events": {"module": "rabbitmq", "connection": "rabbit",
                                           "queue_name": self.queue}},
                               connections=self.connections(key="password"))
        self.assertEqual(self.gateway.post("events", {"legacy": True})[0], 200)
        messages = self.broker.drain(self.queue, 1)
        self.assertEqual([json.loads(body) for _, body in messages], [{"legacy": True}],
                         self.gateway.stderr())

    def test_parallel_chain_delivers_to_rabbitmq_and_disk(self):
        self.start({"chain": [self.item(), self.disk_item()],
                    "chain-config": {"execution": "parallel"}})
        for n in range(3):
            self.assertEqual(self.gateway.post("events", {"n": n}, AUTH)[0], 200)
        messages = self.broker.drain(self.queue, 3)
        self.assertEqual(sorted(json.loads(body)["n"] for _, body in messages), [0, 1, 2])
        self.assertTrue(wait_until(lambda: len(os.listdir(self.disk)) == 3))

    def test_wrong_password_is_a_permanent_failure(self):
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.1, "max_delay": 0.2}
        self.start({"chain": [self.item(retry=retry)]}, password="not-the-password")
        for n in range(3):  # the later ones arrive while the connection is down
            self.assertEqual(self.gateway.post("events", {"n": n}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: self.gateway.stderr().count("chain failed") == 3),
                        self.gateway.stderr())
        log = self.gateway.stderr()
        self.assertIn("ACCESS_REFUSED", log)
        # Permanent: no retry, for every one of them.
        self.assertEqual(re.findall(r'attempts\\?"\s*:\s*(\d+)', log), ["1", "1", "1"])
        self.assertFalse(self._queue_exists(self.queue))

    def _queue_exists(self, queue):
        try:
            self.broker.message_count(queue)
            return True
        except pika.exceptions.ChannelClosedByBroker:
            self.broker.channel = self.broker.connection.channel()
            return False

    def test_queue_declared_with_other_arguments_is_a_permanent_failure(self):
        self.broker.channel.queue_declare(self.queue, durable=False)
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.1, "max_delay": 0.2}
        self.start({"chain": [self.item(retry=retry)]})
        self.assertEqual(self.gateway.post("events", {"n": 1}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in self.gateway.stderr()),
                        self.gateway.stderr())
        log = self.gateway.stderr()
        self.assertIn("PRECONDITION_FAILED", log)
        self.assertRegex(log, r'attempts\\?"\s*:\s*1\b')
        self.assertEqual(self.broker.message_count(self.queue), 0)

    def test_missing_exchange_and_unroutable_mandatory_message_are_permanent(self):
        self.gateway = Gateway(
            {"missing": {"module": "rabbitmq", "connection": "rabbit",
                         "module-config": {"exchange": "wg_no_such_exchange", "routing_key": "k"}},
             "unroutable": {"module": "rabbitmq", "connection": "rabbit",
                            "module-config": {"exchange": "amq.direct", "mandatory": True,
                                              "routing_key": "wg-nobody-" + self.queue}},
             "bound": {"module": "rabbitmq", "connection": "rabbit",
                       "module-config": {"exchange": "amq.direct", "queue_name": self.queue,
                                         "declare_queue": True, "mandatory": True}}},
            connections=self.connections())
        self.assertEqual(self.gateway.post("missing", {"n": 1})[0], 200)
        self.assertTrue(wait_until(lambda: "NOT_FOUND" in self.gateway.stderr()),
                        self.gateway.stderr())
        self.assertEqual(self.gateway.post("unroutable", {"n": 2})[0], 200)
        self.assertTrue(wait_until(lambda: "NO_ROUTE" in self.gateway.stderr()),
                        self.gateway.stderr())
        self.assertEqual(self.gateway.stderr().count("chain failed"), 2)
        # With declare_queue the queue is bound to the exchange by its name and gets the message.
        self.assertEqual(self.gateway.post("bound", {"n": 3})[0], 200)
        messages = self.broker.drain(self.queue, 1)
        self.assertEqual([json.loads(body) for _, body in messages], [{"n": 3}],
                         self.gateway.stderr())

    def test_broker_unreachable_fails_retryably_and_the_other_destination_gets_everything(self):
        retry = {"enabled": True, "max_attempts": 3, "initial_delay": 0.1, "max_delay": 0.2}
        self.start({"chain": [self.item(retry=retry), self.disk_item()],
                    "chain-config": {"execution": "parallel", "continue_on_error": True}},
                   port=free_port())
        for n in range(5):
            self.assertEqual(self.gateway.post("events", {"n": n}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: len(os.listdir(self.disk)) == 5), self.gateway.stderr())
        self.assertTrue(wait_until(lambda: self.gateway.stderr().count("chain failed") >= 5,
                                   timeout=20), self.gateway.stderr())
        log = self.gateway.stderr()
        self.assertRegex(log, r'attempts\\?"\s*:\s*3\b')  # retryable: every attempt was made
        self.assertIn("cannot connect", log)
        _, _, health = self.gateway.request("GET", "/health")
        self.assertIn("down", health["components"]["connections"]["rabbit"])

    def test_broker_lost_then_back_retries_deliver_everything_once(self):
        proxy = CuttableProxy(HOST, PORT)
        self.addCleanup(proxy.cut)
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.3, "max_delay": 1.0}
        self.start({"chain": [self.item(retry=retry)], "chain-config": {"timeout": 60}},
                   port=proxy.port)
        self.assertEqual(self.gateway.post("events", {"n": 0}, AUTH)[0], 200)
        self.assertEqual([json.loads(b)["n"] for _, b in self.broker.drain(self.queue, 1)], [0])
        proxy.cut()
        self.assertTrue(wait_until(lambda: "down" in self.gateway.request("GET", "/health")[2]
                                   ["components"]["connections"]["rabbit"], timeout=5))
        for n in range(1, 6):
            self.assertEqual(self.gateway.post("events", {"n": n}, AUTH)[0], 200)
        time.sleep(1.0)
        proxy.start()
        messages = self.broker.drain(self.queue, 5, timeout=30)
        self.assertEqual(sorted(json.loads(b)["n"] for _, b in messages), [1, 2, 3, 4, 5],
                         self.gateway.stderr()[-3000:])
        self.assertTrue(wait_until(lambda: self.gateway.request("GET", "/health")[2]
                                   ["components"]["connections"]["rabbit"] == "connected"))

    def test_many_webhooks_arrive_exactly_once(self):
        total = 500
        self.start({"chain": [self.item()]})
        failures = []

        def send(numbers):
            for n in numbers:
                status = self.gateway.post("events", {"n": n}, AUTH)[0]
                if status != 200:
                    failures.append((n, status))

        threads = [threading.Thread(target=send, args=(range(i, total, 10),)) for i in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(failures, [])
        messages = self.broker.drain(self.queue, total, timeout=60)
        numbers = sorted(json.loads(body)["n"] for _, body in messages)
        self.assertEqual(numbers, list(range(total)), self.gateway.stderr()[-3000:])
        self.assertTrue(all(p.delivery_mode == 2 for p, _ in messages))


if __name__ == "__main__":
    unittest.main()
