"""End to end: the hostile-input catalogue of docs/security.md, one test per row.

Each test sends what an attacker (or a broken sender) would, over a real socket, and checks the
answer a user would see, that nothing was delivered, and that the gateway is still serving.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from gateway import BINARY, Gateway, Receiver, raw_exchange, wait_until

TOKEN = "hostile-e2e-bearer-7f3a9c"
ADMIN_TOKEN = "hostile-e2e-admin-token-1b2c"
HEAD = ("POST /webhook/orders HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer %s\r\n"
        "Content-Type: application/json\r\n" % TOKEN).encode()


def status_and_detail(answer):
    """(status code, {"detail": ...} or None) of the first response in raw bytes."""
    if not answer.startswith(b"HTTP/1.1 "):
        return None, None
    status = int(answer[9:12])
    head, _, rest = answer.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    try:
        return status, json.loads(rest[:length])
    except ValueError:
        return status, None


class HostileInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base_dir = tempfile.mkdtemp(prefix="wg-e2e-hostile-")
        webhooks = {
            "orders": {"authorization": "Bearer " + TOKEN, "module": "save_to_disk",
                       "module-config": {"base_dir": cls.base_dir}},
        }
        cls.gateway = Gateway(webhooks, extra_args=["--header-timeout", "1", "--body-timeout", "1",
                                                    "--idle-timeout", "2"])

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        shutil.rmtree(cls.base_dir, ignore_errors=True)

    def setUp(self):
        self.files_before = set(os.listdir(self.base_dir))

    def tearDown(self):
        # Whatever the test sent, the gateway still answers a good request.
        status, _, _ = self.gateway.request("GET", "/")
        self.assertEqual(status, 200, "the gateway stopped serving:\n" + self.gateway.stderr()[-2000:])

    def send(self, data, read_timeout=3):
        return status_and_detail(raw_exchange(self.gateway.port, data, read_timeout=read_timeout))

    def assert_refused(self, data, status, detail_prefix=None):
        got_status, body = self.send(data)
        self.assertEqual(got_status, status, body)
        if detail_prefix is not None:
            self.assertIsNotNone(body)
            self.assertTrue(body["detail"].startswith(detail_prefix), body)
        time.sleep(0.2)  # a wrongly accepted webhook would be on disk by now
        self.assertEqual(set(os.listdir(self.base_dir)), self.files_before, "nothing is delivered")

    # --- the request head -------------------------------------------------------------------

    def test_oversized_head_is_431(self):
        self.assert_refused(HEAD + b"X-Big: " + b"a" * 20000 + b"\r\nContent-Length: 2\r\n\r\n{}",
                            431, "Request header fields too large")

    def test_long_request_target_is_431(self):
        self.assert_refused(b"POST /webhook/" + b"a" * 100000 + b" HTTP/1.1\r\nHost: gw\r\n\r\n", 431)

    def test_too_many_headers_is_400(self):
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(101))
        self.assert_refused(HEAD + many + b"Content-Length: 2\r\n\r\n{}", 400, "Too many headers: ")

    def test_headers_over_8_kib_in_total_are_400(self):
        several = b"".join(b"X-P%d: %s\r\n" % (i, b"v" * 1000) for i in range(10))
        self.assert_refused(HEAD + several + b"Content-Length: 2\r\n\r\n{}", 400, "Headers too large: ")

    def test_control_characters_in_headers_are_400(self):
        self.assert_refused(HEAD + b"X-A: a\x00b\r\nContent-Length: 2\r\n\r\n{}", 400)
        self.assert_refused(HEAD + b"X-A: a\rb\r\nContent-Length: 2\r\n\r\n{}", 400)
        self.assert_refused(HEAD + "X-A: a\u2028b\r\n".encode() + b"Content-Length: 2\r\n\r\n{}", 400,
                            "Invalid header value: contains forbidden character")

    def test_response_splitting_through_the_path_is_not_possible(self):
        # An encoded CR LF in the path never reaches a response header.
        answer = raw_exchange(self.gateway.port,
                              b"POST /webhook/x%0d%0aSet-Cookie:%20a=b HTTP/1.1\r\nHost: gw\r\n"
                              b"Content-Length: 2\r\n\r\n{}")
        self.assertTrue(answer.startswith(b"HTTP/1.1 400"), answer[:200])
        self.assertNotIn(b"\r\nSet-Cookie", answer)

    def test_missing_host_is_400(self):
        self.assert_refused(b"POST /webhook/orders HTTP/1.1\r\nAuthorization: Bearer " +
                            TOKEN.encode() + b"\r\nContent-Length: 2\r\n\r\n{}", 400, "Missing Host header")

    def test_not_http_is_400_and_closed(self):
        for data in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # TLS hello
                     b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"GET /\r\n\r\n"):
            self.assert_refused(data, 400)

    # --- framing of the body ----------------------------------------------------------------

    def test_huge_content_length_is_413_before_the_body(self):
        with socket.create_connection(("127.0.0.1", self.gateway.port), timeout=3) as sock:
            started = time.time()
            sock.sendall(HEAD + b"Content-Length: 99999999999999\r\n\r\n")
            status, body = status_and_detail(sock.recv(65536))
        self.assertEqual(status, 413)
        self.assertEqual(body["detail"], "Payload too large: 99999999999999 bytes (max: 10485760)")
        self.assertLess(time.time() - started, 1, "answered without waiting for a body")

    def test_invalid_content_lengths_are_400(self):
        for value in (b"999999999999999999999999999", b"-1", b"2, 3", b"0x10"):
            self.assert_refused(HEAD + b"Content-Length: " + value + b"\r\n\r\n{}", 400)
        self.assert_refused(HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400)

    def test_content_length_with_chunked_is_400(self):
        # The classic request-smuggling shape: two framings in one request.
        self.assert_refused(HEAD + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"2\r\n{}\r\n0\r\n\r\n", 400)

    def test_transfer_codings_other_than_chunked_are_501(self):
        chunked_body = b"\r\n2\r\n{}\r\n0\r\n\r\n"
        for coding, rest in ((b"gzip, chunked", chunked_body), (b"chunked, chunked", chunked_body),
                             (b"identity", b"Content-Length: 2\r\n\r\n{}")):
            self.assert_refused(HEAD + b"Transfer-Encoding: " + coding + b"\r\n" + rest, 501,
                                "Unsupported Transfer-Encoding: only chunked")

    def test_malformed_chunks_are_400(self):
        for chunk in (b"zz\r\n{}\r\n0\r\n\r\n", b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
                      b"2;" + b"e" * 5000 + b"\r\n{}\r\n0\r\n\r\n"):
            self.assert_refused(HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunk, 400,
                                "Malformed request body: ")

    def test_chunked_body_over_the_limit_is_413(self):
        chunk = b"100000\r\n" + b" " * 0x100000 + b"\r\n"  # 1 MiB per chunk, 11 chunks
        status, body = self.send(HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 11 + b"0\r\n\r\n")
        self.assertEqual(status, 413, body)

    # --- slow senders -----------------------------------------------------------------------

    def test_slowloris_head_is_cut_off(self):
        with socket.create_connection(("127.0.0.1", self.gateway.port), timeout=5) as sock:
            sock.sendall(b"POST /webhook/orders HTTP/1.1\r\n")
            started = time.time()
            closed = False
            while time.time() - started < 5 and not closed:
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                    sock.settimeout(0.2)
                    closed = sock.recv(1024) == b""
                except socket.timeout:
                    pass
                except OSError:
                    closed = True
        self.assertTrue(closed)
        self.assertLess(time.time() - started, 3, "--header-timeout 1")

    def test_slow_body_is_cut_off_and_not_accepted(self):
        with socket.create_connection(("127.0.0.1", self.gateway.port), timeout=5) as sock:
            sock.sendall(HEAD + b"Content-Length: 100\r\n\r\n{\"a\":")
            started = time.time()
            self.assertEqual(sock.recv(65536), b"", "closed without an answer")
        self.assertLess(time.time() - started, 3, "--body-timeout 1")
        self.assertEqual(set(os.listdir(self.base_dir)), self.files_before)

    def test_idle_keep_alive_connection_is_closed(self):
        with socket.create_connection(("127.0.0.1", self.gateway.port), timeout=6) as sock:
            started = time.time()
            self.assertEqual(sock.recv(1024), b"")
        self.assertLess(time.time() - started, 5, "--idle-timeout 2")

    def test_expect_continue_is_not_granted_to_an_unauthenticated_sender(self):
        with socket.create_connection(("127.0.0.1", self.gateway.port), timeout=3) as sock:
            sock.sendall(b"POST /webhook/orders HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\n"
                         b"Authorization: Bearer wrong\r\nContent-Length: 5000000\r\n\r\n")
            answer = sock.recv(65536)
        self.assertTrue(answer.startswith(b"HTTP/1.1 401"), answer[:100])

    # --- the body ---------------------------------------------------------------------------

    def test_deeply_nested_json_is_400(self):
        body = b"[" * 100000 + b"]" * 100000
        self.assert_refused(HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body, 400,
                            "JSON too deeply nested: 51 levels (max: 50)")

    def test_string_over_1_mib_is_400(self):
        body = b'{"s":"' + b"x" * (1024 * 1024 + 1) + b'"}'
        self.assert_refused(HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body, 400,
                            "String too long: 1048577 chars (max: 1048576)")

    def test_invalid_utf8_json_is_400(self):
        body = b'{"a":"\xff\xfe"}'
        self.assert_refused(HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body, 400,
                            "Malformed JSON payload")

    # --- paths ------------------------------------------------------------------------------

    def test_path_traversal_in_the_webhook_id_is_400(self):
        for path in (b"/webhook/..%2f..%2fetc%2fpasswd", b"/webhook/../orders", b"/webhook/%2e%2e"):
            self.assert_refused(HEAD.replace(b"/webhook/orders", path) + b"Content-Length: 2\r\n\r\n{}", 400)


class HostileConfigTest(unittest.TestCase):
    """Limits on what a config file may point the gateway at, checked before serving."""

    def check_config(self, webhooks):
        directory = tempfile.mkdtemp(prefix="wg-e2e-hostile-config-")
        with open(os.path.join(directory, "webhooks.json"), "w") as f:
            json.dump(webhooks, f)
        with open(os.path.join(directory, "connections.json"), "w") as f:
            json.dump({}, f)
        result = subprocess.run([BINARY, "--check-config", "--webhooks", "webhooks.json",
                                 "--connections", "connections.json"], cwd=directory,
                                capture_output=True, text=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)
        return result

    def test_save_to_disk_path_outside_its_base_dir_is_refused(self):
        result = self.check_config({"w": {"module": "save_to_disk",
                                          "module-config": {"path": "../../etc"}},
                                    "v": {"module": "save_to_disk",
                                          "module-config": {"path": "/etc"}}})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn('/w/module-config/path: must not contain ".."', result.stderr)
        self.assertIn('/v/module-config/path: "/etc" resolves outside base_dir', result.stderr)

    def test_http_webhook_to_private_or_metadata_addresses_is_refused(self):
        for url in ("http://127.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/",
                    "http://[::1]/", "http://0x7f000001/", "http://2130706433/", "http://localhost/"):
            result = self.check_config({"w": {"module": "http_webhook", "module-config": {"url": url}}})
            self.assertNotEqual(result.returncode, 0, url)
            self.assertIn("/w/module-config/url: refused destination", result.stderr, url)


class HostileDeliveryTest(unittest.TestCase):
    def setUp(self):
        self.receiver = Receiver()
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        self.receiver.close()

    def test_a_dns_name_resolving_to_a_private_address_is_refused_at_delivery(self):
        name = socket.gethostname()
        try:
            address = socket.gethostbyname(name)
        except OSError:
            self.skipTest("this machine's host name does not resolve")
        if not (address.startswith("127.") or address.startswith("10.") or address.startswith("192.168.")
                or address.startswith("172.")):
            self.skipTest("%s resolves to %s, not a private address" % (name, address))
        url = "http://%s:%d/" % (name, self.receiver.port)
        self.gateway = Gateway({"w": {"module": "http_webhook", "module-config": {"url": url}}},
                               extra_args=["--admin-token", ADMIN_TOKEN])
        status, _, body = self.gateway.post("w", {"n": 1})
        self.assertEqual(status, 200, body)
        admin = {"Authorization": "Bearer " + ADMIN_TOKEN}
        self.assertTrue(wait_until(lambda: self.gateway.request(
            "GET", "/admin/dead-letters", headers=admin)[2]["count"] == 1), self.gateway.stderr())
        _, _, letter = self.gateway.request("GET", "/admin/dead-letters/" + body["id"], headers=admin)
        error = letter["items"][0]["errors"][0]["error"]
        self.assertIn("refused: %s resolves to %s" % (name, address), error)
        self.assertEqual(self.receiver.count(), 0, "nothing reached the private address")


class SecretsNotLoggedTest(unittest.TestCase):
    def test_no_secret_appears_in_any_log_line(self):
        secrets = {"bearer": "bearer-secret-5e1d0c", "basic": "basic-pass-8a7b6c",
                   "hmac": "hmac-secret-0f9e8d", "query": "query-key-3c2b1a",
                   "header": "header-key-4d5e6f", "redis": "redis-password-9a8b7c"}
        webhooks = {
            "bearer": {"authorization": "Bearer " + secrets["bearer"], "module": "log"},
            "basic": {"basic_auth": {"username": "u", "password": secrets["basic"]}, "module": "log"},
            "signed": {"hmac": {"secret": secrets["hmac"], "header": "X-Signature", "algorithm": "sha256"},
                       "module": "log"},
            "query": {"query_auth": {"parameter_name": "api_key", "api_key": secrets["query"]},
                      "module": "log"},
            "header": {"header_auth": {"header_name": "X-API-Key", "api_key": secrets["header"]},
                       "module": "log"},
            "queued": {"module": "redis_rq", "connection": "down",
                       "module-config": {"function": "tasks.handle"}},
        }
        connections = {"down": {"type": "redis-rq", "host": "127.0.0.1", "port": 1,
                                "password": secrets["redis"]}}
        gateway = Gateway(webhooks, connections)  # --log-level debug
        try:
            import base64
            import hashlib
            import hmac as hmac_lib
            body = json.dumps({"n": 1})
            signature = "sha256=" + hmac_lib.new(secrets["hmac"].encode(), body.encode(),
                                                 hashlib.sha256).hexdigest()
            attempts = [
                ("bearer", {"Authorization": "Bearer " + secrets["bearer"]}, ""),
                ("bearer", {"Authorization": "Bearer " + secrets["bearer"] + "x"}, ""),
                ("basic", {"Authorization": "Basic " + base64.b64encode(
                    ("u:" + secrets["basic"]).encode()).decode()}, ""),
                ("basic", {"Authorization": "Basic " + base64.b64encode(
                    ("u:" + secrets["basic"] + "x").encode()).decode()}, ""),
                ("signed", {"X-Signature": signature}, ""),
                ("signed", {"X-Signature": signature[:-1] + "0"}, ""),
                ("query", {}, "?api_key=" + secrets["query"]),
                ("query", {}, "?api_key=" + secrets["query"] + "x"),
                ("header", {"X-API-Key": secrets["header"]}, ""),
                ("header", {"X-API-Key": secrets["header"] + "x"}, ""),
                ("queued", {}, ""),
            ]
            statuses = []
            for webhook, headers, query in attempts:
                status, _, _ = gateway.request("POST", "/webhook/" + webhook + query, body,
                                               {"Content-Type": "application/json", **headers})
                statuses.append(status)
            self.assertEqual(statuses, [200, 401, 200, 401, 200, 401, 200, 401, 200, 401, 200])
            time.sleep(1)  # the redis_rq delivery fails and logs its error
        finally:
            gateway.stop()
        logs = gateway.stdout() + gateway.stderr()
        self.assertIn("bearer", logs, "the log does have lines about these requests")
        for name, secret in secrets.items():
            self.assertNotIn(secret, logs, "the %s secret was logged" % name)


if __name__ == "__main__":
    unittest.main()
