"""Starts the real webhook-gateway binary and a local HTTP receiver for end-to-end tests.

Standard library only, so the tests run with any python3 on the machine.
"""
import http.client
import http.server
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse

BINARY = os.environ.get("WG_BINARY", "build/asan/webhook-gateway")


class Gateway:
    """The gateway binary on a free port, with the given webhooks.json and connections.json.

    It runs in `workdir` (a new temporary directory by default), so its spool is
    `workdir/data/spool`; start another Gateway with the same workdir to restart on that spool.
    """

    def __init__(self, webhooks, connections=None, extra_args=(), env=None, workdir=None,
                 listen="127.0.0.1:0"):
        self.dir = workdir or tempfile.mkdtemp(prefix="wg-e2e-")
        self.webhooks_path = os.path.join(self.dir, "webhooks.json")
        self.connections_path = os.path.join(self.dir, "connections.json")
        with open(self.webhooks_path, "w") as f:
            json.dump(webhooks, f)
        with open(self.connections_path, "w") as f:
            json.dump(connections or {}, f)
        # One pair of log files per start, so a restart's "listening on" is its own.
        run = 0
        while os.path.exists(os.path.join(self.dir, "stderr.%d.log" % run)):
            run += 1
        self.stdout_path = os.path.join(self.dir, "stdout.%d.log" % run)
        self.stderr_path = os.path.join(self.dir, "stderr.%d.log" % run)
        args = [BINARY, "--webhooks", self.webhooks_path, "--connections", self.connections_path,
                "--listen", listen, "--threads", "2", "--log-level", "debug", *extra_args]
        self._stdout = open(self.stdout_path, "w")
        self._stderr = open(self.stderr_path, "w")
        self.process = subprocess.Popen(args, stdout=self._stdout, stderr=self._stderr, cwd=self.dir,
                                        env={**os.environ, **(env or {})})
        self.port = self._wait_for_port()

    def _wait_for_port(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                self._close_logs()
                raise RuntimeError("gateway exited at start:\n" + self.stderr())
            match = re.search(r"listening on [^ ]+:(\d+)", self.stderr())
            if match:
                return int(match.group(1))
            time.sleep(0.05)
        raise RuntimeError("gateway did not start:\n" + self.stderr())

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def stdout(self):
        with open(self.stdout_path) as f:
            return f.read()

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers dict with lower-case names, parsed JSON or raw text)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                headers = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            raw = response.read().decode("utf-8", "replace")
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw
            return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed
        finally:
            connection.close()

    def post(self, webhook, body, headers=None):
        return self.request("POST", "/webhook/" + webhook, body, headers)

    def _close_logs(self):
        self._stdout.close()
        self._stderr.close()

    def kill(self):
        """kill -9: no shutdown code runs."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_logs()

    def stop(self, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_logs()
        return self.process.returncode


class TestCertificate:
    """A self-signed certificate made by the openssl command line, valid for `names` (e.g.
    "IP:127.0.0.1", "DNS:localhost"). `ca_file` is what a client must trust: the certificate."""

    def __init__(self, names=("IP:127.0.0.1", "DNS:localhost")):
        directory = tempfile.mkdtemp(prefix="wg-cert-")
        self.key_file = os.path.join(directory, "key.pem")
        self.ca_file = os.path.join(directory, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                        "-subj", "/CN=webhook-gateway test", "-addext",
                        "subjectAltName=" + ",".join(names), "-keyout", self.key_file,
                        "-out", self.ca_file], check=True, capture_output=True)

    def wrap(self, server):
        """Makes an http.server serve TLS with this certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, self.key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)


class Receiver:
    """A local HTTP server that records what the gateway delivers.

    `script` is a list of (status, delay_seconds) answers used in order; the last one repeats.
    With `certificate` (a TestCertificate) it serves https.
    """

    def __init__(self, script=((200, 0),), certificate=None):
        self.script = list(script)
        self.received = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    index = len(receiver.received)
                    status, delay = receiver.script[min(index, len(receiver.script) - 1)]
                    receiver.received.append({"path": self.path, "body": body,
                                              "headers": dict(self.headers), "status": status})
                if delay:
                    time.sleep(delay)
                answer = b'{"ok":true}' if status < 300 else b'{"error":"scripted"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_PUT = do_POST
            do_PATCH = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if certificate:
            certificate.wrap(self.server)
        self.port = self.server.server_address[1]
        self.url = "%s://127.0.0.1:%d/hook" % ("https" if certificate else "http", self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def delivered(self):
        with self.lock:
            return [r for r in self.received if r["status"] < 300]

    def count(self):
        with self.lock:
            return len(self.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FormServer:
    """A local server for the calls the gateway makes with a form body (token introspection,
    reCAPTCHA siteverify): records each call and answers `answer(form) -> (status, JSON value)`,
    where `form` maps each field to its list of values. https with `certificate`."""

    def __init__(self, path, answer, certificate=None):
        self.calls = []
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode(),
                                             keep_blank_values=True)
                with server.lock:
                    server.calls.append({"path": self.path, "form": form,
                                         "authorization": self.headers.get("Authorization"),
                                         "content_type": self.headers.get("Content-Type")})
                status, value = answer(form)
                data = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if certificate:
            certificate.wrap(self.server)
        self.url = "%s://127.0.0.1:%d%s" % ("https" if certificate else "http",
                                           self.server.server_address[1], path)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls_where(self, field, value):
        with self.lock:
            return [c for c in self.calls if c["form"].get(field) == [value]]

    def count(self):
        with self.lock:
            return len(self.calls)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait_until(predicate, timeout=10.0, interval=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def raw_exchange(port, data, read_timeout=5.0):
    """Sends raw bytes, returns everything the server answers until it closes or times out."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except socket.timeout:
            pass
        return b"".join(chunks)
