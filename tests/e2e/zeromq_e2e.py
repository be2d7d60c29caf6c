"""The `zeromq` module end to end: the real binary sends to ZeroMQ peers of the test's own
(Debian's python3-zmq) on private ports, and the test reads what they received: PUSH to a PULL
peer (every webhook exactly once), PUB with a topic frame to a SUB peer, the gateway binding and
the peer connecting, a peer that is down (an error answer with acknowledge "delivered", a retry
that arrives once the peer is back by default), and config errors.
"""
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest

from gateway import BINARY, Gateway, wait_until
from services import free_port

try:
    import zmq
except ImportError as error:  # pragma: no cover - a setup problem, reported clearly
    raise RuntimeError("pyzmq is missing: run the tests with /usr/bin/python3 after "
                       "`bash scripts/services start` (it installs python3-zmq)") from error

ATTEMPTS = re.compile(r'attempts\\?"\s*:\s*(\d+)')
RETRY = {"enabled": True, "max_attempts": 20, "initial_delay": 0.3, "max_delay": 1.0}


class Peer:
    """A pyzmq socket of `kind` (zmq.PULL or zmq.SUB) that binds a free port (or connects to
    `connect`), collecting every message's frames on a thread of its own."""

    def __init__(self, kind, port=None, connect=None, subscribe=b""):
        self.context = zmq.Context()
        self.socket = self.context.socket(kind)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.RCVTIMEO, 100)
        if kind == zmq.SUB:
            self.socket.setsockopt(zmq.SUBSCRIBE, subscribe)
        if connect:
            self.socket.connect(connect)
            self.port = None
        else:
            self.port = port or free_port()
            self.socket.bind("tcp://127.0.0.1:%d" % self.port)
        self.messages = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _receive(self):
        while self.running:
            try:
                frames = self.socket.recv_multipart()
            except zmq.Again:
                continue
            with self.lock:
                self.messages.append(frames)

    def received(self, count, timeout=15):
        wait_until(lambda: len(self.messages) >= count, timeout=timeout)
        time.sleep(0.3)  # long enough to see a duplicate
        with self.lock:
            return list(self.messages)

    def close(self):
        if not self.running:
            return
        self.running = False
        self.thread.join(5)
        self.socket.close()
        self.context.term()


class ZeromqTest(unittest.TestCase):
    def setUp(self):
        self.gateway = None
        self.peers = []

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        for peer in self.peers:
            peer.close()

    def peer(self, kind, **options):
        peer = Peer(kind, **options)
        self.peers.append(peer)
        return peer

    def start(self, webhooks):
        self.gateway = Gateway(webhooks)

    @staticmethod
    def item(endpoint, retry=None, **config):
        item = {"module": "zeromq",
                "module-config": {"endpoint": endpoint, "allowed_hosts": ["127.0.0.1"], **config}}
        if retry:
            item["retry"] = retry
        return item

    def health(self):
        return self.gateway.request("GET", "/health")[2]["components"]["connections"]

    def test_push_delivers_every_webhook_exactly_once(self):
        pull = self.peer(zmq.PULL)
        endpoint = "tcp://127.0.0.1:%d" % pull.port
        self.start({"events": {"chain": [self.item(endpoint, socket_type="PUSH")]},
                    "files": {"data_type": "blob",
                              "chain": [self.item(endpoint, socket_type="PUSH")]},
                    "sync": {"acknowledge": "delivered",
                             "chain": [self.item(endpoint, socket_type="PUSH")]}})
        total = 120
        failures = []

        def send(numbers):
            for n in numbers:
                status = self.gateway.post("events", {"n": n, "text": "h\u00e9llo"})[0]
                if status != 200:
                    failures.append((n, status))

        threads = [threading.Thread(target=send, args=(range(i, total, 6),)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(failures, [])
        messages = pull.received(total, timeout=60)
        self.assertEqual(len(messages), total, self.gateway.stderr()[-3000:])
        self.assertTrue(all(len(frames) == 1 for frames in messages), "one frame each")
        self.assertEqual(sorted(json.loads(frames[0])["n"] for frames in messages),
                         list(range(total)))
        self.assertEqual(messages[0][0], json.dumps(
            json.loads(messages[0][0]), separators=(",", ":"), ensure_ascii=False).encode())

        # A blob's bytes as they came; acknowledge "delivered" answers once ZeroMQ took it.
        blob = bytes([0, 255, 1, 2]) + b"\r\n"
        status, _, _ = self.gateway.request("POST", "/webhook/files", blob,
                                            {"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200)
        status, _, body = self.gateway.post("sync", {"sync": True})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["results"][0]["status"], "delivered")
        messages = pull.received(total + 2)
        self.assertEqual(len(messages), total + 2)
        self.assertEqual(sorted(frames[0] for frames in messages[total:]),
                         sorted([blob, b'{"sync":true}']))
        self.assertEqual(self.health()["zeromq PUSH " + endpoint], "connected")

    def test_pub_sends_the_topic_frame_to_a_subscriber(self):
        sub = self.peer(zmq.SUB, subscribe=b"orders")
        endpoint = "tcp://127.0.0.1:%d" % sub.port
        self.start({"orders": {"chain": [self.item(endpoint, topic="orders")]},
                    "text": {"data_type": "text",
                             "chain": [self.item(endpoint, topic="orders.text")]},
                    "other": {"chain": [self.item(endpoint, topic="invoices")]}})
        # The very first message is not lost while the subscriber connects: a fresh PUB socket
        # waits for the first subscription.
        self.assertEqual(self.gateway.post("orders", {"order": 1})[0], 200)
        self.assertEqual(sub.received(1), [[b"orders", b'{"order":1}']], self.gateway.stderr())
        self.assertEqual(self.gateway.post("other", {"invoice": 1})[0], 200)
        status, _, _ = self.gateway.request("POST", "/webhook/text", "plain words",
                                            {"Content-Type": "text/plain"})
        self.assertEqual(status, 200)
        self.assertEqual(self.gateway.post("orders", {"order": 2})[0], 200)
        self.assertTrue(wait_until(lambda: self.gateway.stderr().count("chain delivered") == 4),
                        self.gateway.stderr())
        got = sub.received(3)
        self.assertEqual(sorted(got), [[b"orders", b'{"order":1}'], [b"orders", b'{"order":2}'],
                                       [b"orders.text", b"plain words"]],
                         "the subscriber filters out the invoices topic")

    def test_bind_mode_peers_connect_to_the_gateway(self):
        push_port, pub_port = free_port(), free_port()
        self.start({
            "work": {"acknowledge": "delivered", "chain": [{
                "module": "zeromq", "module-config": {
                    "endpoint": "tcp://127.0.0.1:%d" % push_port, "socket_type": "PUSH",
                    "bind": True}}]},
            "news": {"acknowledge": "delivered", "chain": [{
                "module": "zeromq", "module-config": {
                    "endpoint": "tcp://127.0.0.1:%d" % pub_port, "bind": True,
                    "topic": "news"}}]}})
        self.assertEqual(self.health()["zeromq PUSH tcp://127.0.0.1:%d (bind)" % push_port],
                         "not used yet")
        # The peers connect first; ZeroMQ retries until the gateway has bound the port.
        pull = self.peer(zmq.PULL, connect="tcp://127.0.0.1:%d" % push_port)
        sub = self.peer(zmq.SUB, connect="tcp://127.0.0.1:%d" % pub_port)
        for n in range(3):
            status, _, body = self.gateway.post("work", {"job": n})
            self.assertEqual(status, 200, body)
            status, _, body = self.gateway.post("news", {"headline": n})
            self.assertEqual(status, 200, body)
        self.assertEqual(pull.received(3), [[b'{"job":%d}' % n] for n in range(3)])
        self.assertEqual(sub.received(3), [[b"news", b'{"headline":%d}' % n] for n in range(3)])
        self.assertEqual(self.health()["zeromq PUSH tcp://127.0.0.1:%d (bind)" % push_port],
                         "bound")

    def test_peer_down_with_acknowledge_delivered_is_an_error_answer(self):
        endpoint = "tcp://127.0.0.1:%d" % free_port()
        self.start({"sync": {"acknowledge": "delivered",
                             "chain": [self.item(endpoint, socket_type="PUSH", timeout=0.5)]}})
        started = time.time()
        status, _, body = self.gateway.post("sync", {"n": 1})
        self.assertGreaterEqual(status, 500, body)
        self.assertEqual(body["results"][0]["status"], "failed")
        self.assertEqual(body["results"][0]["error"],
                         "zeromq PUSH %s: no peer took the message within 500 ms (none "
                         "connected, or its queue is full)" % endpoint)
        self.assertLess(time.time() - started, 10)
        self.assertTrue(self.health()["zeromq PUSH " + endpoint].startswith("down: no peer"))

    def test_peer_down_the_webhook_arrives_once_the_peer_is_back(self):
        port = free_port()
        endpoint = "tcp://127.0.0.1:%d" % port
        self.start({"events": {"chain": [self.item(endpoint, retry=RETRY, socket_type="PUSH",
                                                   timeout=0.3)],
                               "chain-config": {"timeout": 60}}})
        for n in range(3):
            self.assertEqual(self.gateway.post("events", {"n": n})[0], 200)
        state = lambda: self.health()["zeromq PUSH " + endpoint]
        self.assertTrue(wait_until(lambda: state().startswith("down: no peer took the message")),
                        state())
        time.sleep(1.0)
        pull = self.peer(zmq.PULL, port=port)
        messages = pull.received(3, timeout=30)
        self.assertEqual(sorted(json.loads(frames[0])["n"] for frames in messages), [0, 1, 2],
                         self.gateway.stderr()[-3000:])
        self.assertTrue(wait_until(lambda: self.gateway.stderr().count("chain delivered") == 3))
        attempts = [int(a) for a in ATTEMPTS.findall(self.gateway.stderr())]
        self.assertTrue(attempts and max(attempts) > 1, "delivered by a retry")


class ZeromqConfigTest(unittest.TestCase):
    def check(self, webhooks):
        directory = tempfile.mkdtemp(prefix="wg-e2e-zmq-")
        path = os.path.join(directory, "webhooks.json")
        with open(path, "w") as f:
            json.dump(webhooks, f)
        return subprocess.run([BINARY, "--check-config", "--webhooks", path],
                              capture_output=True, text=True, timeout=60, cwd=directory)

    def test_config_errors_name_their_json_paths(self):
        def hook(**config):
            return {"module": "zeromq", "module-config": config}

        result = self.check({
            "local": hook(endpoint="tcp://localhost:5555"),
            "private": hook(endpoint="tcp://192.168.1.20:5555", socket_type="PUSH"),
            "inproc": hook(endpoint="inproc://events"),
            "port": hook(endpoint="tcp://events.example.com:99999"),
            "req": hook(endpoint="tcp://events.example.com:5555", socket_type="REQ"),
            "topic": hook(endpoint="tcp://events.example.com:5555", socket_type="PUSH",
                          topic="t"),
            "missing": hook(socket_type="PUB"),
        })
        self.assertEqual(result.returncode, 1, result.stderr)
        for line in (
                'webhooks.json: /local/module-config/endpoint: refused endpoint host "localhost": '
                'loopback host name (list it in allowed_hosts to allow it)',
                'webhooks.json: /private/module-config/endpoint: refused endpoint host '
                '"192.168.1.20": private address',
                "webhooks.json: /inproc/module-config/endpoint: inproc:// only reaches sockets "
                "inside the gateway's own process",
                'webhooks.json: /port/module-config/endpoint: port "99999" must be a number from '
                '1 to 65535',
                'webhooks.json: /req/module-config/socket_type: "REQ" is not supported',
                'webhooks.json: /topic/module-config/topic: only used with "socket_type": "PUB"',
                "webhooks.json: /missing/module-config/endpoint: required string is missing",
                "configuration has 7 errors"):
            self.assertIn(line, result.stderr)

    def test_a_valid_config_checks_without_opening_a_socket(self):
        port = free_port()
        result = self.check({"bound": {"module": "zeromq", "module-config": {
            "endpoint": "tcp://127.0.0.1:%d" % port, "bind": True, "socket_type": "PUSH"}}})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("configuration is valid: 1 webhook(s)", result.stdout)


if __name__ == "__main__":
    unittest.main()
