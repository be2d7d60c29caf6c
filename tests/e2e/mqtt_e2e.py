"""End to end against a private Mosquitto 2.0 broker that the test starts itself, with a
subscriber (Debian's python3-paho-mqtt) receiving what the gateway publishes: topic, payload,
qos, retain flag, the Shelly Gen2 and Tasmota formats, a broker that is down or refuses the login,
and config errors.
"""
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest

from gateway import BINARY, Gateway, TestCertificate, wait_until
from services import MosquittoServer, free_port

try:
    import paho.mqtt.client as mqtt
except ImportError as error:  # pragma: no cover - a setup problem, reported clearly
    raise RuntimeError("paho-mqtt is missing: run the tests with /usr/bin/python3 after "
                       "`bash scripts/services start` (it installs python3-paho-mqtt)") from error

ATTEMPTS = re.compile(r'attempts\\?"\s*:\s*(\d+)')


class Subscriber:
    """A paho client subscribed to `topic` (qos 2, so every message keeps the qos it was published
    with); collects (topic, payload, qos, retain) tuples."""

    def __init__(self, port, topic="#", username=None, password=None):
        self.messages = []
        self.lock = threading.Lock()
        subscribed = threading.Event()
        self.client = mqtt.Client(client_id="wg-e2e-sub-%d" % id(self), clean_session=True,
                                  protocol=mqtt.MQTTv311)
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = lambda c, u, f, rc: c.subscribe(topic, qos=2)
        self.client.on_subscribe = lambda c, u, mid, granted: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError("the subscriber did not get its SUBACK")

    def _on_message(self, client, userdata, message):
        with self.lock:
            self.messages.append((message.topic, message.payload, message.qos, message.retain))

    def received(self, count, timeout=15):
        wait_until(lambda: len(self.messages) >= count, timeout=timeout)
        time.sleep(0.2)  # long enough to see a duplicate
        with self.lock:
            return list(self.messages)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


class MqttTest(unittest.TestCase):
    def setUp(self):
        self.broker = MosquittoServer()
        self.addCleanup(self.broker.close)
        self.gateway = None
        self.subscriber = Subscriber(self.broker.port)
        self.addCleanup(self.subscriber.close)

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()

    def connections(self, port=None, **settings):
        return {"broker": {"type": "mqtt", "host": "127.0.0.1", "port": port or self.broker.port,
                           "timeout": 3, **settings}}

    def start(self, webhooks, **connection):
        self.gateway = Gateway(webhooks, connections=self.connections(**connection))

    def item(self, retry=None, **config):
        item = {"module": "mqtt", "connection": "broker", "module-config": config}
        if retry:
            item["retry"] = retry
        return item

    def test_topic_payload_qos_and_retain_as_configured(self):
        self.start({"q0": {"chain": [self.item(topic="events", topic_prefix="wg", qos=0)]},
                    "q1": {"chain": [self.item(topic="wg/q1")]},
                    "kept": {"chain": [self.item(topic="wg/kept", qos=2, retained=True)]},
                    "text": {"data_type": "text", "chain": [self.item(topic="wg/text")]}})
        payload = {"event": "push", "n": 7, "list": [1, "two", None], "text": "h\u00e9llo"}
        self.assertEqual(self.gateway.post("q0", payload)[0], 200)
        self.assertEqual(self.gateway.post("q1", {"n": 1})[0], 200)
        self.assertEqual(self.gateway.post("kept", {"n": 2})[0], 200)
        status, _, _ = self.gateway.request("POST", "/webhook/text", "plain words",
                                            {"Content-Type": "text/plain"})
        self.assertEqual(status, 200)
        messages = {m[0]: m for m in self.subscriber.received(4)}
        self.assertEqual(len(self.subscriber.messages), 4, self.gateway.stderr())
        topic, body, qos, retain = messages["wg/events"]
        self.assertEqual(json.loads(body), payload)
        self.assertEqual(body, json.dumps(payload, separators=(",", ":"),
                                          ensure_ascii=False).encode())
        self.assertEqual((qos, retain), (0, False))
        self.assertEqual(messages["wg/q1"][1:], (b'{"n":1}', 1, False))  # qos 1 by default
        # A live subscriber gets a retained message without the flag (MQTT 3.1.1 §3.3.1.3) ...
        self.assertEqual(messages["wg/kept"][1:], (b'{"n":2}', 2, False))
        self.assertEqual(messages["wg/text"][1], b"plain words")
        # ... and one that subscribes afterwards gets it from the broker, flagged as retained.
        late = Subscriber(self.broker.port, "wg/#")
        self.addCleanup(late.close)
        self.assertEqual(late.received(1), [("wg/kept", b'{"n":2}', 2, True)])
        self.assertTrue(wait_until(lambda: self.gateway.stderr().count("chain delivered") == 4))
        _, _, health = self.gateway.request("GET", "/health")
        self.assertEqual(health["components"]["connections"]["broker"], "connected")

    def test_shelly_gen2_and_tasmota_formats(self):
        self.start({
            "shelly": {"chain": [self.item(topic="shellies/plug/rpc", shelly_gen2_format=True,
                                           device_id="shellyplug-1")]},
            "tasmota": {"chain": [self.item(tasmota_format=True, device_name="plug2",
                                            command="POWER")]},
            "tele": {"chain": [self.item(tasmota_format=True, tasmota_type="tele")]}})
        self.assertEqual(self.gateway.post("shelly", {"on": True})[0], 200)
        self.assertEqual(self.gateway.post("tasmota", ["ON"])[0], 200)
        self.assertEqual(self.gateway.post("tele", {"temp": 21.5})[0], 200)
        messages = {m[0]: json.loads(m[1]) for m in self.subscriber.received(3)}
        self.assertEqual(messages, {
            "shellies/plug/rpc": {"id": "shellyplug-1", "source": "webhook",
                                  "params": {"on": True}},
            "cmnd/plug2/POWER": {"data": ["ON"]},
            "tele/webhook/telemetry": {"temp": 21.5}}, self.gateway.stderr())

    def test_legacy_top_level_topic(self):
        self.start({"events": {"module": "mqtt", "connection": "broker", "topic": "legacy/t"}})
        self.assertEqual(self.gateway.post("events", {"legacy": True})[0], 200)
        self.assertEqual(self.subscriber.received(1), [("legacy/t", b'{"legacy":true}', 1, False)],
                         self.gateway.stderr())

    def test_broker_down_the_spool_keeps_the_webhooks_until_it_is_back(self):
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.3, "max_delay": 1.0}
        # Retained messages: whatever arrives while nobody is subscribed yet is still seen.
        self.start({"n%d" % n: {"chain": [self.item(retry=retry, topic="down/%d" % n,
                                                    retained=True)],
                                "chain-config": {"timeout": 60}} for n in range(3)})
        self.assertEqual(self.gateway.post("n0", {"n": 0})[0], 200)
        self.assertEqual(self.subscriber.received(1)[0][:2], ("down/0", b'{"n":0}'))
        self.subscriber.close()
        self.broker.stop()
        for n in range(3):
            self.assertEqual(self.gateway.post("n%d" % n, {"n": n, "late": True})[0], 200)
        state = lambda: self.gateway.request("GET", "/health")[2]["components"]["connections"][
            "broker"]
        self.assertTrue(wait_until(lambda: "Connection refused" in state()), state())
        time.sleep(1.0)
        self.broker.start()  # same port; retained messages of before are gone (no persistence)
        later = Subscriber(self.broker.port, "down/#")
        self.addCleanup(later.close)
        got = later.received(3, timeout=30)
        self.assertEqual(sorted((t, json.loads(b)["n"]) for t, b, _, _ in got),
                         [("down/0", 0), ("down/1", 1), ("down/2", 2)],
                         self.gateway.stderr()[-3000:])
        self.assertTrue(all(json.loads(b)["late"] for _, b, _, _ in got))
        self.assertTrue(wait_until(lambda: self.gateway.request("GET", "/health")[2]
                                   ["components"]["connections"]["broker"] == "connected"))

    def test_broker_down_with_acknowledge_delivered_is_not_a_2xx(self):
        self.start({"sync": {"acknowledge": "delivered", "chain": [self.item(topic="sync")]}},
                   port=free_port())
        status, _, body = self.gateway.post("sync", {"n": 1})
        self.assertEqual(status, 502, body)
        self.assertEqual(body["results"][0]["status"], "failed")
        self.assertRegex(body["results"][0]["error"],
                         r'mqtt "broker": cannot connect to 127\.0\.0\.1:\d+: Connection refused')

    def test_acknowledge_delivered_answers_after_the_broker_acknowledged(self):
        self.start({"sync": {"acknowledge": "delivered",
                             "chain": [self.item(topic="sync", qos=2)]}})
        status, _, body = self.gateway.post("sync", {"n": 1})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["results"][0]["status"], "delivered")
        self.assertEqual(self.subscriber.received(1), [("sync", b'{"n":1}', 2, False)])

    def test_many_webhooks_arrive_exactly_once(self):
        total = 300
        self.start({"events": {"chain": [self.item(topic="many")]}})
        failures = []

        def send(numbers):
            for n in numbers:
                status = self.gateway.post("events", {"n": n})[0]
                if status != 200:
                    failures.append((n, status))

        threads = [threading.Thread(target=send, args=(range(i, total, 8),)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(failures, [])
        messages = self.subscriber.received(total, timeout=60)
        self.assertEqual(sorted(json.loads(b)["n"] for _, b, _, _ in messages), list(range(total)),
                         self.gateway.stderr()[-3000:])


class MqttLoginTest(unittest.TestCase):
    def setUp(self):
        self.broker = MosquittoServer(users={"gateway": "right-password"})
        self.addCleanup(self.broker.close)
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()

    def start(self, password):
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.1, "max_delay": 0.2}
        self.gateway = Gateway(
            {"events": {"chain": [{"module": "mqtt", "connection": "broker", "retry": retry,
                                   "module-config": {"topic": "secure/events"}}]}},
            connections={"broker": {"type": "mqtt", "host": "127.0.0.1", "port": self.broker.port,
                                    "username": "gateway", "password": password,
                                    "client_id": "wg-e2e-gateway", "mqtt_version": "5"}})

    def test_refused_login_is_a_permanent_failure(self):
        self.start("wrong-password")
        for n in range(2):
            self.assertEqual(self.gateway.post("events", {"n": n})[0], 200)
        self.assertTrue(wait_until(lambda: self.gateway.stderr().count("chain failed") == 2),
                        self.gateway.stderr())
        log = self.gateway.stderr()
        self.assertIn("connection refused by the broker", log)
        self.assertEqual(ATTEMPTS.findall(log), ["1", "1"], "permanent: not retried")

    def test_right_password_over_mqtt_5(self):
        self.start("right-password")
        subscriber = Subscriber(self.broker.port, "secure/#", "gateway", "right-password")
        self.addCleanup(subscriber.close)
        self.assertEqual(self.gateway.post("events", {"n": 1})[0], 200)
        self.assertEqual(subscriber.received(1), [("secure/events", b'{"n":1}', 1, False)],
                         self.gateway.stderr())
        self.assertIn("as wg-e2e-gateway (p5", self.broker.log())


class MqttTlsTest(unittest.TestCase):
    def setUp(self):
        self.certificate = TestCertificate()
        self.broker = MosquittoServer(certificate=self.certificate)
        self.addCleanup(self.broker.close)
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()

    def start(self, ca_file):
        self.gateway = Gateway(
            {"events": {"acknowledge": "delivered",
                        "chain": [{"module": "mqtt", "connection": "broker",
                                   "module-config": {"topic": "tls/events"}}]}},
            connections={"broker": {"type": "mqtt", "host": "127.0.0.1", "port": self.broker.port,
                                    "tls": True, "tls_ca_cert_file": ca_file}})

    def test_publishes_over_tls_to_a_broker_it_trusts(self):
        self.start(self.certificate.ca_file)
        status, _, body = self.gateway.post("events", {"n": 1})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["results"][0]["status"], "delivered")
        self.assertIn("New client connected", self.broker.log())

    def test_refuses_a_broker_whose_certificate_it_does_not_trust(self):
        self.start(TestCertificate().ca_file)
        status, _, body = self.gateway.post("events", {"n": 1})
        self.assertEqual(status, 502, body)
        self.assertIn("TLS error", body["results"][0]["error"])
        self.assertNotIn("New client connected", self.broker.log())


class MqttConfigTest(unittest.TestCase):
    def test_config_errors_name_their_json_paths(self):
        directory = tempfile.mkdtemp(prefix="wg-e2e-mqtt-")
        webhooks = {"hook": {"module": "mqtt", "connection": "broker",
                             "module-config": {"topic": "home/+/light", "qos": 3,
                                               "format": "xml"}},
                    "tasmota": {"module": "mqtt", "connection": "broker",
                                "module-config": {"tasmota_format": True, "tasmota_type": "cmd"}}}
        connections = {"broker": {"type": "mqtt", "host": "127.0.0.1", "mqtt_version": "4",
                                  "keepalive": 0}}
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
                'connections.json: /broker/mqtt_version: unknown MQTT version "4"',
                "connections.json: /broker/keepalive: must be between 5 and 65535, got 0",
                'webhooks.json: /hook/module-config/topic: must not contain the wildcards',
                "webhooks.json: /hook/module-config/qos: must be between 0 and 2, got 3",
                'webhooks.json: /hook/module-config/format: unknown format "xml"',
                'webhooks.json: /tasmota/module-config/tasmota_type: unknown Tasmota type "cmd"'):
            self.assertIn(line, result.stderr)


if __name__ == "__main__":
    unittest.main()
