"""End to end: kill -9 under load and destinations that are down lose no acknowledged webhook.

The gateway runs a sequential chain [save_to_disk, http_webhook] with the default acknowledge
"persisted". Senders post numbered webhooks the way a provider does: anything but a 2xx
(connection refused or reset, timeout, 5xx) means "not acknowledged" and the same number is sent
again. Whatever got a 2xx must end up on disk and at the HTTP destination, at least once.
"""
import glob
import http.client
import http.server
import itertools
import json
import os
import random
import shutil
import socket
import tempfile
import threading
import time
import unittest
from collections import Counter

from gateway import Gateway, Receiver, wait_until

TOKEN = "e2e-secret-token"
AUTH = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
SENDERS = 4
KILLS = 6


def free_port(exclude=()):
    """A free port below the ephemeral range, so no client socket of this machine can take it
    (or connect to itself on it) while nothing listens there."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_low = int(f.read().split()[0])
    candidates = list(range(10000, ephemeral_low)) or list(range(1024, ephemeral_low))
    random.shuffle(candidates)
    for port in [p for p in candidates if p not in exclude][:200]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port below %d" % ephemeral_low)


def numbered_webhook(base_dir, url, retry, timeout=30):
    """A chain [save_to_disk, http_webhook], both items retried."""
    disk = {"module": "save_to_disk", "module-config": {"base_dir": base_dir}, "retry": retry}
    web = {"module": "http_webhook", "retry": retry,
           "module-config": {"url": url, "allowed_hosts": ["127.0.0.1"], "timeout": 5}}
    return {"data_type": "json", "authorization": "Bearer " + TOKEN, "chain": [disk, web],
            "chain-config": {"execution": "sequential", "timeout": timeout}}


class Destination:
    """An HTTP destination on a fixed port that can be down (connection refused), answer 503
    for a while, or answer 200. Records the bodies it answered 200 to."""

    def __init__(self, port):
        self.port = port
        self.url = "http://127.0.0.1:%d/hook" % port
        self.unavailable_until = 0.0  # time.time() before which it answers 503
        self.accepted = []
        self.refused = 0
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        destination = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = 503 if time.time() < destination.unavailable_until else 200
                with destination.lock:
                    if status == 200:
                        destination.accepted.append(body)
                    else:
                        destination.refused += 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # resets by a kill -9
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def numbers(self):
        with self.lock:
            return [json.loads(body)["n"] for body in self.accepted]


class Senders:
    """Threads posting {"n": <unique number>} until stopped; a number is sent again until it
    gets a 2xx. `acknowledged` holds the numbers that got one."""

    def __init__(self, port, webhook, threads=SENDERS):
        self.port = port
        self.path = "/webhook/" + webhook
        self.numbers = itertools.count(1)
        self.acknowledged = set()
        self.attempts = 0
        self.failures = Counter()  # why an attempt was not acknowledged
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def _run(self):
        connection = None
        while not self.stopping.is_set():
            with self.lock:
                number = next(self.numbers)
            while not self.stopping.is_set():
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                try:
                    connection.request("POST", self.path, body=json.dumps({"n": number}),
                                       headers=AUTH)
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    connection = None
                    status = type(error).__name__
                with self.lock:
                    self.attempts += 1
                    if status in range(200, 300):
                        self.acknowledged.add(number)
                        break
                    self.failures[status] += 1
                time.sleep(0.02)  # a provider's retry, shortened
        if connection:
            connection.close()

    def count(self):
        with self.lock:
            return len(self.acknowledged)

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="wg-e2e-crash-")
        self.base_dir = tempfile.mkdtemp(prefix="wg-e2e-crash-disk-")
        self.gateway = None
        self.senders = None
        self.receiver = None
        self.destination = None
        self.passed = False  # set at the end of a test; a failed test keeps its files

    def tearDown(self):
        if self.senders:
            self.senders.stop()
        if self.gateway:
            self.gateway.stop()
        if self.receiver:
            self.receiver.close()
        if self.destination:
            self.destination.stop()
        if not self.passed:
            print("kept for inspection: gateway %s, save_to_disk %s" % (self.workdir, self.base_dir))
            return
        shutil.rmtree(self.workdir, ignore_errors=True)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def start(self, webhooks, port):
        self.gateway = Gateway(webhooks, workdir=self.workdir, listen="127.0.0.1:%d" % port)
        return self.gateway

    def disk_numbers(self):
        numbers = []
        for path in glob.glob(os.path.join(self.base_dir, "*.json")):
            with open(path) as f:
                numbers.append(json.load(f)["n"])
        return numbers

    def dead_letters(self):
        return sorted(glob.glob(os.path.join(self.workdir, "data", "spool", "dead-letters", "*")))

    def spool_settled(self):
        status, _, health = self.gateway.request("GET", "/health")
        spool = health["components"]["spool"]
        # "unfinished": accepted webhooks with chain items still to run.
        return status == 200 and spool["unfinished"] == 0 and spool.get("running", 0) == 0

    def check_gateway_logs(self):
        """No sanitizer report in any run's stderr."""
        for path in sorted(glob.glob(os.path.join(self.workdir, "stderr.*.log"))):
            with open(path) as f:
                text = f.read()
            for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                self.assertNotIn(marker, text, path)

    def recovery_lines(self):
        lines = []
        for path in sorted(glob.glob(os.path.join(self.workdir, "stderr.*.log")),
                           key=lambda p: int(p.split(".")[-2])):
            with open(path) as f:
                lines += [line.strip() for line in f if "spool recovered" in line]
        return lines

    def test_kill_9_under_load_loses_no_acknowledged_webhook(self):
        self.receiver = Receiver()
        # Each kill -9 resets the gateway's connections to it: not worth a traceback.
        self.receiver.server.handle_error = lambda request, address: None
        port = free_port()
        retry = {"enabled": True, "max_attempts": 10, "initial_delay": 0.05, "max_delay": 0.5}
        webhooks = {"orders": numbered_webhook(self.base_dir, self.receiver.url, retry)}
        self.start(webhooks, port)
        self.senders = Senders(port, "orders")

        for kill in range(KILLS):
            # Let the new process take load first, so every kill hits webhooks in flight.
            before = self.senders.count()
            self.assertTrue(wait_until(lambda: self.senders.count() >= before + 20, timeout=20),
                            "no webhook acknowledged after restart %d:\n%s"
                            % (kill, self.gateway.stderr()[-3000:]))
            time.sleep(random.uniform(0.1, 1.5))
            self.gateway.kill()
            time.sleep(random.uniform(0.0, 0.5))
            self.start(webhooks, port)

        before = self.senders.count()
        self.assertTrue(wait_until(lambda: self.senders.count() >= before + 20, timeout=20))
        self.senders.stop()
        acknowledged = set(self.senders.acknowledged)

        def all_delivered():
            on_disk = set(self.disk_numbers())
            received = set(json.loads(r["body"])["n"] for r in self.receiver.delivered())
            return acknowledged <= on_disk and acknowledged <= received

        stopped = time.time()
        settled = wait_until(lambda: all_delivered() and self.spool_settled(), timeout=60,
                             interval=0.5)
        settle_seconds = time.time() - stopped
        disk = Counter(self.disk_numbers())
        received = Counter(json.loads(r["body"])["n"] for r in self.receiver.delivered())
        print("\n  %d kills; %d numbers acknowledged in %d attempts; not acknowledged: %s"
              % (KILLS, len(acknowledged), self.senders.attempts, dict(self.senders.failures)))
        print("  delivery settled %.1f s after the senders stopped" % settle_seconds)
        for line in self.recovery_lines():
            print("  " + line[line.find("spool recovered"):])
        print("  save_to_disk: %d files, %d numbers, %d numbers in more than one file "
              "(%d extra files)" % (sum(disk.values()), len(disk),
                                    sum(1 for c in disk.values() if c > 1),
                                    sum(c - 1 for c in disk.values())))
        print("  http_webhook: %d deliveries, %d numbers, %d numbers delivered more than once "
              "(%d extra deliveries)" % (sum(received.values()), len(received),
                                         sum(1 for c in received.values() if c > 1),
                                         sum(c - 1 for c in received.values())))
        print("  delivered without a 2xx to the sender: disk %d, http %d"
              % (len(set(disk) - acknowledged), len(set(received) - acknowledged)))

        self.assertEqual(sorted(acknowledged - set(disk)), [], "acknowledged, not on disk")
        self.assertEqual(sorted(acknowledged - set(received)), [], "acknowledged, not received")
        self.assertTrue(settled, "the spool did not settle:\n" + self.gateway.stderr()[-3000:])
        self.assertEqual(self.dead_letters(), [])
        self.assertEqual(self.gateway.stop(), 0)
        self.check_gateway_logs()
        self.passed = True

    def check_destination_outage(self, kill_during_outage):
        """40 webhooks accepted while the destination is down, all delivered once it is back."""
        port = free_port()
        self.destination = Destination(free_port(exclude=[port]))
        # Up to 19 retries, each waiting 0..min(0.2 * 2^k, 1.5) s: about 13 s of patience (the
        # outage lasts about 3.5 s; running out of retries before is 5 standard deviations away).
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.2, "max_delay": 1.5}
        webhooks = {"orders": numbered_webhook(self.base_dir, self.destination.url, retry,
                                               timeout=120)}
        if kill_during_outage:
            self.destination.unavailable_until = time.time() + 3600
            self.destination.start()
        self.start(webhooks, port)
        for n in range(1, 41):
            status, _, body = self.gateway.post("orders", {"n": n}, AUTH)
            self.assertEqual(status, 200, body)
            if kill_during_outage and n == 20:
                time.sleep(0.5)
                self.gateway.kill()
                self.start(webhooks, port)
        self.assertTrue(wait_until(lambda: sorted(self.disk_numbers()) == list(range(1, 41))),
                        "save_to_disk is not affected by the outage")
        time.sleep(2.5)
        self.assertEqual(self.destination.numbers(), [])
        _, _, health = self.gateway.request("GET", "/health")
        self.assertEqual(health["components"]["spool"]["unfinished"], 40, "all waiting for retry")
        if kill_during_outage:
            self.assertGreater(self.destination.refused, 40)
            self.destination.unavailable_until = 0
        else:
            self.destination.start()

        self.assertTrue(wait_until(lambda: len(set(self.destination.numbers())) == 40, timeout=30),
                        self.gateway.stderr()[-3000:])
        self.assertTrue(wait_until(self.spool_settled, timeout=10))
        received = Counter(self.destination.numbers())
        if kill_during_outage:
            print("\n  %d deliveries of 40 webhooks after %d answers 503"
                  % (sum(received.values()), self.destination.refused))
        else:
            print("\n  %d deliveries of 40 webhooks after the port opened again"
                  % sum(received.values()))
        self.assertEqual(sorted(received), list(range(1, 41)))
        self.assertEqual(self.dead_letters(), [])
        self.assertEqual(self.gateway.stop(), 0)
        self.check_gateway_logs()
        self.passed = True

    def test_destination_down_receives_everything_when_back(self):
        self.check_destination_outage(kill_during_outage=False)

    def test_destination_answering_503_with_a_kill_9_during_the_outage(self):
        self.check_destination_outage(kill_during_outage=True)


if __name__ == "__main__":
    unittest.main()
