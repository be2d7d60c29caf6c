"""The `websocket` module end to end: the real binary sends to a real WebSocket server
(Debian's python3-websockets, run in a thread of the test) and the test reads what the server
received: the message, its framing (text or binary), the handshake headers; a refused
handshake, a server that is down and one that never completes the close handshake.
"""
import asyncio
import base64
import hashlib
import http
import json
import re
import shutil
import socket
import tempfile
import threading
import time
import unittest

from gateway import Gateway, wait_until
from services import free_port

try:
    import websockets
    import websockets.server
except ImportError as error:  # pragma: no cover - a setup problem, reported clearly
    raise RuntimeError("websockets is missing: run the tests with /usr/bin/python3 after "
                       "`bash scripts/services start` (it installs python3-websockets)") from error

AUTH = {"Authorization": "Bearer ws-token"}
RETRY = {"enabled": True, "max_attempts": 3, "initial_delay": 0.1, "max_delay": 0.1}


class Server:
    """A WebSocket server on a free port. `mode`: "ok" (records and closes normally), "reply"
    (answers each message), "refuse" (answers the handshake with 403)."""

    def __init__(self, mode="ok", port=None):
        self.mode = mode
        self.port = port or free_port()
        self.received = []  # (path, headers dict, message)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)

        async def refuse(path, headers):
            if self.mode == "refuse":
                return http.HTTPStatus.FORBIDDEN, [], b"no\n"
            return None

        async def handler(connection, path):
            async for message in connection:
                self.received.append((path, connection.request_headers, message))
                if self.mode == "reply":
                    await connection.send("thanks")

        async def main():
            self.server = await websockets.serve(handler, "127.0.0.1", self.port,
                                                 process_request=refuse, close_timeout=1)
            self.ready.set()
            await self.server.wait_closed()

        self.loop.run_until_complete(main())

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.thread.join(10)


class SilentServer:
    """Accepts the WebSocket handshake by hand, then reads and never answers anything: not even
    the close frame, which every WebSocket library would answer by itself."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(4096)
            key = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", request).group(1)
            accept = base64.b64encode(hashlib.sha1(
                key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
            connection.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                               b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                               b"\r\n\r\n")

    def stop(self):
        self.listener.close()
        for connection in self.connections:
            connection.close()


class WebsocketTest(unittest.TestCase):
    def setUp(self):
        self.gateway = None
        self.servers = []
        self.disk = tempfile.mkdtemp(prefix="wg-ws-disk-")

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        for server in self.servers:
            server.stop()
        shutil.rmtree(self.disk, ignore_errors=True)

    def server(self, mode="ok"):
        server = Server(mode)
        self.servers.append(server)
        return server

    def start(self, port, retry=None, webhook=None, **config):
        item = {"module": "websocket",
                "module-config": {"url": "ws://127.0.0.1:%d/hooks/in?x=1" % port,
                                  "allowed_hosts": ["127.0.0.1"], "timeout": 2, **config}}
        if retry:
            item["retry"] = retry
        self.gateway = Gateway({"events": {"authorization": AUTH["Authorization"],
                                           "chain": [item], **(webhook or {})}})

    def test_json_message_with_headers_reaches_the_server(self):
        server = self.server()
        self.start(server.port, include_headers=True, headers={"X-Source": "gateway"})
        payload = {"event": "push", "n": 1, "text": "h\u00e9llo"}
        self.assertEqual(self.gateway.post("events", payload, {**AUTH, "X-Trace": "t-1"})[0], 200)
        self.assertTrue(wait_until(lambda: len(server.received) == 1), self.gateway.stderr())
        path, headers, message = server.received[0]
        self.assertEqual(path, "/hooks/in?x=1")
        self.assertEqual(headers["X-Source"], "gateway")
        self.assertIsInstance(message, str, "a text message")
        body = json.loads(message)
        self.assertEqual(body["payload"], payload)
        self.assertEqual(body["headers"]["x-trace"], "t-1")
        self.assertNotIn("ws-token", message, "credentials are masked")
        self.assertTrue(wait_until(lambda: "chain delivered" in self.gateway.stderr()))

    def test_raw_format_and_blob_as_binary(self):
        server = self.server()
        self.start(server.port, format="raw", webhook={"data_type": "blob"})
        status, _, _ = self.gateway.request("POST", "/webhook/events", body=b"\x00\x01bytes",
                                            headers={**AUTH,
                                                     "Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200)
        self.assertTrue(wait_until(lambda: len(server.received) == 1), self.gateway.stderr())
        self.assertEqual(server.received[0][2], b"\x00\x01bytes")

    def test_acknowledge_delivered_waits_for_the_reply_when_asked(self):
        server = self.server("reply")
        self.start(server.port, wait_for_response=True, webhook={"acknowledge": "delivered"})
        status, _, _ = self.gateway.post("events", {"n": 1}, AUTH)
        self.assertEqual(status, 200)
        self.assertEqual(len(server.received), 1, "received before the 200")

    def test_a_refused_handshake_is_permanent(self):
        server = self.server("refuse")
        self.start(server.port, retry=RETRY)
        self.assertEqual(self.gateway.post("events", {"n": 1}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in self.gateway.stderr()))
        log = self.gateway.stderr()
        self.assertIn("refused the WebSocket handshake with 403", log)
        self.assertEqual(re.findall(r'attempts\\?"\s*:\s*(\d+)', log), ["1"])

    def test_server_down_is_retried_and_delivered_once_it_is_up(self):
        port = free_port()
        self.start(port, retry={"enabled": True, "max_attempts": 20, "initial_delay": 0.2,
                                "max_delay": 0.5})
        self.assertEqual(self.gateway.post("events", {"n": 1}, AUTH)[0], 200)
        time.sleep(1.0)  # a few refused attempts
        late = Server(port=port)  # now the server comes up where the gateway keeps trying
        self.servers.append(late)
        self.assertTrue(wait_until(lambda: len(late.received) == 1, timeout=15),
                        self.gateway.stderr()[-2000:])
        self.assertEqual(json.loads(late.received[0][2])["payload"], {"n": 1})

    def test_no_close_handshake_is_not_delivered(self):
        server = SilentServer()
        self.servers.append(server)
        self.start(server.port, retry={"enabled": True, "max_attempts": 2, "initial_delay": 0.1,
                                       "max_delay": 0.1})
        self.assertEqual(self.gateway.post("events", {"n": 1}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in self.gateway.stderr(), timeout=20),
                        self.gateway.stderr()[-2000:])
        self.assertIn("did not complete the close handshake", self.gateway.stderr())

    def test_ssrf_rules_and_config_errors(self):
        with self.assertRaises(RuntimeError) as raised:
            Gateway({"a": {"module": "websocket",
                           "module-config": {"url": "ws://127.0.0.1:9/x", "format": "yaml"}},
                     "b": {"module": "websocket", "module-config": {"url": "http://example.com/"}},
                     "c": {"module": "websocket",
                           "module-config": {"url": "ws://169.254.169.254/latest"}}})
        text = str(raised.exception)
        self.assertIn("/a/module-config/url", text)
        self.assertIn("/a/module-config/format", text)
        self.assertIn("/b/module-config/url: must be a ws:// or wss:// URL", text)
        self.assertIn("/c/module-config/url", text)


if __name__ == "__main__":
    unittest.main()
