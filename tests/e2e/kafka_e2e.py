"""End to end against librdkafka's mock cluster, because no Kafka broker can be installed here
(Debian 12 ships only Kafka clients; see services.KafkaMockCluster): tests/e2e/kafka_mock runs
it as a separate process on a random loopback port, speaking the real Kafka wire protocol. A
consumer (Debian's python3-confluent-kafka, also librdkafka) reads the topic back: value, key
(static and from a JSON pointer), headers, partition; the cluster going down and coming back,
permanent failures, and config errors with their JSON paths.
"""
import json
import os
import re
import subprocess
import tempfile
import time
import unittest

from gateway import BINARY, Gateway, wait_until
from services import KafkaMockCluster

try:
    from confluent_kafka import Consumer, TopicPartition
except ImportError as error:  # pragma: no cover - a setup problem, reported clearly
    raise RuntimeError("confluent-kafka is missing: run the tests with /usr/bin/python3 after "
                       "`bash scripts/services start` (it installs python3-confluent-kafka)"
                       ) from error

ATTEMPTS = re.compile(r'attempts\\?"\s*:\s*(\d+)')
PARTITIONS = 3


def read_topic(cluster, topic, count, timeout=30):
    """Every message of `topic` from the start, once `count` arrived (or the timeout passed),
    as (key, value, headers, partition) tuples."""
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap_servers,
                         "group.id": "wg-e2e", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    messages = []
    deadline = time.time() + timeout
    try:
        while time.time() < deadline and len(messages) < count:
            message = consumer.poll(0.2)
            if message is None or message.error():
                continue
            messages.append((message.key(), message.value(), message.headers() or [],
                             message.partition()))
        # a little longer, to see a duplicate
        end = time.time() + 0.5
        while time.time() < end:
            message = consumer.poll(0.1)
            if message is not None and not message.error():
                messages.append((message.key(), message.value(), message.headers() or [],
                                 message.partition()))
    finally:
        consumer.close()
    return messages


class KafkaTest(unittest.TestCase):
    def setUp(self):
        topics = {name: PARTITIONS for name in ("events", "keyed", "plain", "down", "sync")}
        self.cluster = KafkaMockCluster(topics)
        self.addCleanup(self.cluster.close)
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()

    def start(self, webhooks, **settings):
        connections = {"events": {"type": "kafka",
                                  "bootstrap_servers": self.cluster.bootstrap_servers,
                                  **settings}}
        self.gateway = Gateway(webhooks, connections=connections)

    def item(self, retry=None, **config):
        item = {"module": "kafka", "connection": "events", "module-config": config}
        if retry:
            item["retry"] = retry
        return item

    def health(self):
        return self.gateway.request("GET", "/health")[2]["components"]["connections"]["events"]

    def test_value_keys_and_headers_as_configured(self):
        self.start({"static": {"chain": [self.item(topic="events", key="fixed-key",
                                                   forward_headers=True)]},
                    "pointer": {"chain": [self.item(topic="keyed", key_pointer="/order/id")]},
                    "plain": {"chain": [self.item(topic="plain", partition=2)]}})
        payload = {"event": "push", "n": 7, "text": "h\u00e9llo", "list": [1, None]}
        status, _, _ = self.gateway.post("static", payload, {"X-Event": "push"})
        self.assertEqual(status, 200)
        for order in ("A-1", "B-2", "A-1"):
            self.assertEqual(self.gateway.post("pointer", {"order": {"id": order}})[0], 200)
        self.assertEqual(self.gateway.post("plain", [1, 2])[0], 200)

        [(key, value, headers, _)] = read_topic(self.cluster, "events", 1)
        self.assertEqual(key, b"fixed-key")
        self.assertEqual(value, json.dumps(payload, separators=(",", ":"),
                                           ensure_ascii=False).encode())
        headers = dict(headers)
        self.assertEqual(headers.get("x-event"), b"push", headers)
        self.assertEqual(headers.get("content-type"), b"application/json", headers)

        keyed = read_topic(self.cluster, "keyed", 3)
        self.assertEqual(sorted((k, json.loads(v)["order"]["id"]) for k, v, _, _ in keyed),
                         [(b"A-1", "A-1"), (b"A-1", "A-1"), (b"B-2", "B-2")])
        self.assertTrue(all(h == [] for _, _, h, _ in keyed), "headers only when asked")
        by_key = {}
        for key, _, _, partition in keyed:
            by_key.setdefault(key, set()).add(partition)
        self.assertEqual(len(by_key[b"A-1"]), 1, "the same key, the same partition")

        self.assertEqual(read_topic(self.cluster, "plain", 1), [(None, b"[1,2]", [], 2)])
        self.assertTrue(wait_until(lambda: self.gateway.stderr().count("chain delivered") == 5))
        self.assertEqual(self.health(), "connected")

    def test_legacy_top_level_topic(self):
        self.start({"legacy": {"module": "kafka", "connection": "events", "topic": "plain"}})
        self.assertEqual(self.gateway.post("legacy", {"legacy": True})[0], 200)
        self.assertEqual([v for _, v, _, _ in read_topic(self.cluster, "plain", 1)],
                         [b'{"legacy":true}'], self.gateway.stderr())

    def test_acknowledge_delivered_answers_after_the_delivery_report(self):
        self.start({"sync": {"acknowledge": "delivered", "chain": [self.item(topic="sync")]}})
        status, _, body = self.gateway.post("sync", {"n": 1})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["results"][0]["status"], "delivered")
        self.assertEqual([v for _, v, _, _ in read_topic(self.cluster, "sync", 1)], [b'{"n":1}'])

    def test_cluster_down_the_webhooks_are_delivered_after_it_returns(self):
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.3, "max_delay": 1.0}
        self.start({"n%d" % n: {"chain": [self.item(retry=retry, topic="down", key="n%d" % n)],
                                "chain-config": {"timeout": 120}} for n in range(3)},
                   timeout=1)
        self.assertEqual(self.gateway.post("n0", {"n": 0, "late": False})[0], 200)
        self.assertEqual(len(read_topic(self.cluster, "down", 1)), 1)
        self.cluster.down()
        for n in range(3):
            self.assertEqual(self.gateway.post("n%d" % n, {"n": n, "late": True})[0], 200)
        self.assertTrue(wait_until(lambda: "Connection refused" in self.health(), timeout=20),
                        self.health())
        time.sleep(2.5)  # longer than the connection's timeout: attempts have failed meanwhile
        self.assertNotIn("chain delivered webhook=n1", self.gateway.stderr())
        self.cluster.up()
        got = read_topic(self.cluster, "down", 4, timeout=60)
        late = sorted((k, json.loads(v)["n"]) for k, v, _, _ in got if json.loads(v)["late"])
        self.assertEqual(late, [(b"n0", 0), (b"n1", 1), (b"n2", 2)],
                         self.gateway.stderr()[-3000:])
        self.assertTrue(wait_until(lambda: self.health() == "connected", timeout=20))

    def test_cluster_down_with_acknowledge_delivered_is_not_a_2xx(self):
        self.start({"sync": {"acknowledge": "delivered", "chain": [self.item(topic="sync")]}},
                   timeout=1)
        self.cluster.down()
        status, _, body = self.gateway.post("sync", {"n": 1})
        self.assertEqual(status, 502, body)
        self.assertEqual(body["results"][0]["status"], "failed")
        self.assertIn('kafka "events": delivery to topic "sync" failed: Local: Message timed out',
                      body["results"][0]["error"])

    def test_permanent_failures_are_not_retried(self):
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.1, "max_delay": 0.2}
        self.start({"partition": {"acknowledge": "delivered",
                                  "chain": [self.item(retry=retry, topic="events", partition=7)]},
                    "pointer": {"acknowledge": "delivered",
                                "chain": [self.item(retry=retry, topic="events",
                                                    key_pointer="/order/id")]}})
        status, _, body = self.gateway.post("partition", {"n": 1})
        self.assertEqual(status, 502, body)
        self.assertIn("Unknown partition", body["results"][0]["error"])
        self.assertEqual(body["results"][0]["attempts"], 1, body)
        status, _, body = self.gateway.post("pointer", {"order": {}})
        self.assertEqual(status, 502, body)
        self.assertIn('key_pointer "/order/id": the payload has no value there',
                      body["results"][0]["error"])
        self.assertEqual(body["results"][0]["attempts"], 1, body)
        self.assertEqual(read_topic(self.cluster, "events", 1, timeout=2), [])


class KafkaConfigTest(unittest.TestCase):
    def test_config_errors_name_their_json_paths(self):
        directory = tempfile.mkdtemp(prefix="wg-e2e-kafka-")
        webhooks = {"hook": {"module": "kafka", "connection": "events",
                             "module-config": {"topic": "bad topic", "key": "k",
                                               "key_pointer": "order/id", "partition": -2}},
                    "nokey": {"module": "kafka", "connection": "events",
                              "module-config": {"topic": "__consumer_offsets"}}}
        connections = {"events": {"type": "kafka", "bootstrap_servers": "k1:9092,k2",
                                  "security_protocol": "carrier_pigeon"}}
        paths = {}
        for name, content in (("webhooks", webhooks), ("connections", connections)):
            paths[name] = os.path.join(directory, name + ".json")
            with open(paths[name], "w") as f:
                json.dump(content, f)
        result = subprocess.run([BINARY, "--check-config", "--webhooks", paths["webhooks"],
                                 "--connections", paths["connections"]],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1, result.stderr)
        for line in (
                'connections.json: /events/bootstrap_servers: "k2" is not host:port',
                'connections.json: /events/security_protocol: refused by librdkafka',
                "webhooks.json: /hook/module-config/topic: may only contain",
                'webhooks.json: /hook/module-config/key_pointer: "key" (a static key) and',
                "webhooks.json: /hook/module-config/key_pointer: must be a JSON pointer",
                "webhooks.json: /hook/module-config/partition:",
                'webhooks.json: /nokey/module-config/topic: must not start with "__"'):
            self.assertIn(line, result.stderr)


if __name__ == "__main__":
    unittest.main()
