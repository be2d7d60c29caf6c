"""End to end: the HTTP surface of the real binary — errors, limits, timeouts, shutdown."""
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest

from gateway import BINARY, Gateway, raw_exchange

TOKEN = "e2e-secret-token"


class HttpSurfaceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base_dir = tempfile.mkdtemp(prefix="wg-e2e-http-")
        cls.gateway = Gateway(
            {"orders": {"authorization": "Bearer " + TOKEN, "module": "save_to_disk",
                        "module-config": {"base_dir": cls.base_dir}},
             "notes": {"data_type": "text", "module": "log"},
             "form": {"data_type": "form", "module": "log"}},
            extra_args=["--max-body-bytes", "1024", "--header-timeout", "1", "--idle-timeout", "2"])

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def test_root_and_health(self):
        status, headers, body = self.gateway.request("GET", "/")
        self.assertEqual((status, body), (200, {"message": "200 OK"}))
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertEqual(headers["x-frame-options"], "DENY")
        status, _, body = self.gateway.request("GET", "/health")
        self.assertEqual(status, 200)
        self.assertEqual(body["status"], "healthy")
        self.assertIn("work_queue", body["components"])

    def test_accepts_and_stores(self):
        status, _, body = self.gateway.post("orders", {"x": 1}, {"Authorization": "Bearer " + TOKEN})
        self.assertEqual(status, 200)
        path = os.path.join(self.base_dir, body["id"] + ".json")
        deadline = time.time() + 5
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.02)
        with open(path) as f:
            self.assertEqual(json.load(f), {"x": 1})

    def test_namespaced_route(self):
        status, _, _ = self.gateway.request("POST", "/webhook/team-a/orders", {"x": 1},
                                            {"Authorization": "Bearer " + TOKEN})
        self.assertEqual(status, 200)
        status, _, body = self.gateway.request("POST", "/webhook/bad.ns/orders", {"x": 1})
        self.assertEqual((status, body), (400, {"detail": "Invalid namespace format"}))

    def test_401_without_or_with_wrong_token(self):
        status, _, body = self.gateway.post("orders", {"x": 1})
        self.assertEqual(status, 401)
        self.assertEqual(body, {"detail": "Invalid Bearer token format: must start with 'Bearer '"})
        status, _, body = self.gateway.post("orders", {"x": 1}, {"Authorization": "Bearer wrong"})
        self.assertEqual((status, body), (401, {"detail": "Unauthorized"}))

    def test_404_unknown_webhook_and_path(self):
        status, _, body = self.gateway.post("nope", {"x": 1})
        self.assertEqual((status, body), (404, {"detail": "Webhook ID not found"}))
        status, _, body = self.gateway.request("GET", "/nothing-here")
        self.assertEqual((status, body), (404, {"detail": "Not Found"}))

    def test_405_wrong_method(self):
        status, _, body = self.gateway.request("GET", "/webhook/orders")
        self.assertEqual((status, body), (405, {"detail": "Method Not Allowed"}))

    def test_400_invalid_id(self):
        status, _, body = self.gateway.post("stats", {"x": 1})
        self.assertEqual((status, body), (400, {"detail": "Webhook ID 'stats' is reserved and cannot be used"}))

    def test_400_malformed_json(self):
        status, _, body = self.gateway.request("POST", "/webhook/orders", "{not json",
                                               {"Authorization": "Bearer " + TOKEN})
        self.assertEqual((status, body), (400, {"detail": "Malformed JSON payload"}))

    def test_400_too_deep(self):
        deep = "[" * 51 + "]" * 51
        status, _, body = self.gateway.request("POST", "/webhook/orders", "[" * 52 + "1" + "]" * 52,
                                               {"Authorization": "Bearer " + TOKEN})
        self.assertEqual(status, 400)
        self.assertIn("JSON too deeply nested", body["detail"])
        status, _, _ = self.gateway.request("POST", "/webhook/orders", deep,
                                            {"Authorization": "Bearer " + TOKEN})
        self.assertEqual(status, 200)

    def test_413_from_content_length_before_the_body(self):
        # Declares 10 MB but sends nothing: the answer must come without waiting for the body.
        head = ("POST /webhook/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n" % TOKEN)
        started = time.time()
        answer = raw_exchange(self.gateway.port, head.encode(), read_timeout=5)
        self.assertLess(time.time() - started, 3)
        self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer[:200])
        self.assertIn(b'{"detail":"Payload too large: 10000000 bytes (max: 1024)"}', answer)

    def test_413_for_chunked_body_over_the_limit(self):
        chunk = b"x" * 800
        data = (b"POST /webhook/notes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 2 + b"0\r\n\r\n")
        answer = raw_exchange(self.gateway.port, data)
        self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer[:200])

    def test_text_and_form_data_types(self):
        status, _, _ = self.gateway.request("POST", "/webhook/notes", "plain text",
                                            {"Content-Type": "text/plain"})
        self.assertEqual(status, 200)
        status, _, body = self.gateway.request("POST", "/webhook/notes", b"\xff\xfe", {})
        self.assertEqual(status, 400)
        status, _, _ = self.gateway.request("POST", "/webhook/form", "a=1&b=two",
                                            {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)

    def test_keep_alive_serves_several_requests(self):
        data = b"".join(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" for _ in range(3))
        answer = raw_exchange(self.gateway.port, data, read_timeout=1)
        self.assertEqual(answer.count(b"HTTP/1.1 200 OK"), 3)

    def test_slow_header_is_cut_off(self):
        with socket.create_connection(("127.0.0.1", self.gateway.port), timeout=10) as sock:
            sock.sendall(b"POST /webhook/orders HTTP/1.1\r\nHost: x\r\n")
            started = time.time()
            closed = False
            while time.time() - started < 6:
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    closed = True
                    break
                sock.settimeout(0.3)
                try:
                    if sock.recv(1024) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
            self.assertTrue(closed, "a sender that never finishes its head is disconnected")
            self.assertLess(time.time() - started, 4)

    def test_header_too_large_is_rejected(self):
        head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
        answer = raw_exchange(self.gateway.port, head)
        self.assertTrue(answer.startswith(b"HTTP/1.1 431"), answer[:100])

    def test_too_many_headers_is_400(self):
        headers = {"X-H%d" % i: "v" for i in range(101)}
        status, _, body = self.gateway.request("POST", "/webhook/notes", "x", headers)
        self.assertEqual(status, 400)
        self.assertTrue(body["detail"].startswith("Too many headers:"), body)


class CommandLineTest(unittest.TestCase):
    def run_binary(self, *args, env=None):
        return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=60,
                              env={**os.environ, **(env or {})})

    def test_check_config_reports_three_errors_with_paths(self):
        directory = tempfile.mkdtemp(prefix="wg-e2e-check-")
        webhooks = os.path.join(directory, "webhooks.json")
        with open(webhooks, "w") as f:
            json.dump({"orders": {"chain": [{"module": "reddis"}, "log"],
                                  "chain-config": {"execution": "sideways"}},
                       "billing": {"module": "log", "authorization": "{$WG_E2E_UNSET_TOKEN}"}}, f)
        result = self.run_binary("--check-config", "--webhooks", webhooks, "--connections",
                                 os.path.join(directory, "none.json"))
        self.assertNotEqual(result.returncode, 0)
        lines = [l for l in result.stderr.splitlines() if l.startswith("webhooks.json: ")]
        self.assertEqual(len(lines), 3, result.stderr)  # plus the missing connections file
        self.assertIn('webhooks.json: /orders/chain/0/module: unknown module "reddis"', result.stderr)
        self.assertIn("webhooks.json: /orders/chain-config/execution:", result.stderr)
        self.assertIn("webhooks.json: /billing/authorization: environment variable WG_E2E_UNSET_TOKEN",
                      result.stderr)
        self.assertIn("none.json: /: file not found", result.stderr)

    def test_check_config_accepts_the_examples(self):
        root = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
        result = self.run_binary("--check-config", "--webhooks", os.path.join(root, "webhooks.json"),
                                 "--connections", os.path.join(root, "connections.json"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("configuration is valid", result.stdout)

    def test_help_and_bad_flags(self):
        result = self.run_binary("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("--webhooks FILE", result.stdout)
        result = self.run_binary("--threads", "zero")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn('--threads: "zero" must be 1..256', result.stderr)

    def test_sigterm_stops_gracefully(self):
        gateway = Gateway({"default": {"module": "log"}})
        status, _, _ = gateway.post("anything", {"a": 1})
        self.assertEqual(status, 200)
        started = time.time()
        self.assertEqual(gateway.stop(), 0)
        self.assertLess(time.time() - started, 5)
        self.assertIn("stopped", gateway.stderr())

    def test_default_webhook_when_no_file(self):
        directory = tempfile.mkdtemp(prefix="wg-e2e-default-")
        process = subprocess.Popen([BINARY, "--listen", "127.0.0.1:0", "--threads", "1"], cwd=directory,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = ""
            deadline = time.time() + 20
            while "listening on" not in line and time.time() < deadline:
                line = process.stderr.readline()
            port = int(line.rsplit(":", 1)[1].split()[0])
            import http.client
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("POST", "/webhook/whatever", body='{"hello":"world"}')
            self.assertEqual(connection.getresponse().status, 200)
        finally:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    unittest.main()
