"""Configuration in etcd, end to end: real etcd (Debian's etcd-server), two gateway processes
behind a real nginx, a real redis-server for the shared rate limit.

A change written to etcd must reach both gateways without a restart; a change with an error
must be rejected whole (the running configuration stays); the rate limit must hold across both
processes; losing etcd must not stop the gateways from serving what they have.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from gateway import Gateway, wait_until
from services import EtcdServer, RedisServer, free_port, require

ADMIN_TOKEN = "etcd-admin-token-0123456789"
ADMIN = {"Authorization": "Bearer " + ADMIN_TOKEN}


class Nginx:
    """nginx in front of the given ports, round robin, as an operator would put it."""

    def __init__(self, ports):
        require("nginx")
        self.dir = tempfile.mkdtemp(prefix="wg-nginx-")
        self.port = free_port()
        servers = "".join("    server 127.0.0.1:%d;\n" % port for port in ports)
        temp = "".join("  %s_temp_path %s/%s;\n" % (kind, self.dir, kind)
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write("""worker_processes 1;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
daemon off;
events { worker_connections 256; }
http {
  access_log off;
%(temp)s  upstream gateways {
%(servers)s  }
  server {
    listen 127.0.0.1:%(port)d;
    location / { proxy_pass http://gateways; proxy_next_upstream off; }
  }
}
""" % {"dir": self.dir, "temp": temp, "servers": servers, "port": self.port})
        self.process = subprocess.Popen(["nginx", "-c", os.path.join(self.dir, "nginx.conf"),
                                         "-p", self.dir], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        if not wait_until(self._listening, timeout=10):
            raise RuntimeError("nginx did not start: " + self._error_log())

    def _listening(self):
        import socket
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def _error_log(self):
        path = os.path.join(self.dir, "error.log")
        return open(path).read() if os.path.exists(path) else ""

    def post(self, path, body):
        import http.client
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", path, body=json.dumps(body),
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(3)  # SIGQUIT: graceful
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class EtcdConfigTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = EtcdServer()

    @classmethod
    def tearDownClass(cls):
        cls.etcd.stop()

    def setUp(self):
        self.prefix = "/wg-%s/" % self.id().rsplit(".", 1)[-1][:40]
        self.disk = tempfile.mkdtemp(prefix="wg-etcd-disk-")
        self.gateways = []
        self.cleanups = []

    def tearDown(self):
        for gateway in self.gateways:
            gateway.stop()
        for cleanup in self.cleanups:
            cleanup()
        shutil.rmtree(self.disk, ignore_errors=True)

    def start(self, etcd_port=None, extra_args=(), env=None):
        gateway = Gateway({}, extra_args=["--admin-token", ADMIN_TOKEN,
                                          "--reload-quiet-period", "0.1", *extra_args],
                          env={"CONFIG_BACKEND": "etcd", "ETCD_HOST": "127.0.0.1",
                               "ETCD_PORT": str(etcd_port or self.etcd.port),
                               "ETCD_PREFIX": self.prefix, **(env or {})})
        self.gateways.append(gateway)
        return gateway

    def put_webhook(self, webhook_id, definition, namespace="default"):
        self.etcd.put("%s%s/webhooks/%s" % (self.prefix, namespace, webhook_id), definition)

    def save(self, **options):
        return {"module": "save_to_disk", "module-config": {"base_dir": self.disk},
                "acknowledge": "delivered", **options}

    def served(self, gateway, webhook_id):
        """Whether the gateway's running config has the webhook (without calling it)."""
        status, _, document = gateway.request("GET", "/openapi.json")
        return status == 200 and ("/webhook/" + webhook_id) in document["paths"]

    def config_status(self, gateway):
        status, _, body = gateway.request("GET", "/admin/config-status", headers=ADMIN)
        self.assertEqual(status, 200, body)
        return body

    # --- two instances ----------------------------------------------------------------------

    def test_two_gateways_behind_nginx_follow_etcd_and_share_the_rate_limit(self):
        redis = RedisServer()
        self.cleanups.append(redis.stop)
        self.etcd.put(self.prefix + "global/connections/cache",
                      {"type": "redis", "host": "127.0.0.1", "port": redis.port})
        self.put_webhook("orders", self.save())
        first, second = self.start(), self.start()
        nginx = Nginx([first.port, second.port])
        self.cleanups.append(nginx.stop)
        for gateway in (first, second):
            self.assertEqual(gateway.post("orders", {"n": 1})[0], 200)

        # A change in etcd reaches both processes, with no restart and no signal.
        self.put_webhook("orders", self.save(authorization="Bearer s3cret"))
        for gateway in (first, second):
            self.assertTrue(wait_until(lambda: gateway.post("orders", {"n": 2})[0] == 401,
                                       timeout=10), gateway.stderr()[-2000:])
            status, _, _ = gateway.post("orders", {"n": 3}, {"Authorization": "Bearer s3cret"})
            self.assertEqual(status, 200)
            self.assertEqual(self.config_status(gateway)["last_outcome"],
                             {"trigger": "etcd change", "applied": True})

        # A new webhook with a limit kept in Redis: 6 per hour across both processes.
        self.put_webhook("limited", self.save(rate_limit={
            "max_requests": 6, "window_seconds": 3600, "backend": "redis", "connection": "cache"}))
        for gateway in (first, second):
            self.assertTrue(wait_until(lambda: self.served(gateway, "limited"), timeout=10))
        statuses = [nginx.post("/webhook/limited", {"n": i}) for i in range(10)]
        self.assertEqual(sorted(statuses), [200] * 6 + [429] * 4, statuses)
        accepted = []
        for gateway in (first, second):
            _, _, stats = gateway.request("GET", "/stats")
            accepted.append(stats.get("limited", {}).get("total", 0))
        self.assertEqual(sum(accepted), 6)
        self.assertTrue(all(count >= 1 for count in accepted),
                        "nginx spread the requests over both gateways: %s" % accepted)

        # Deleting the key removes the webhook from both.
        self.etcd.delete(self.prefix + "default/webhooks/orders")
        for gateway in (first, second):
            self.assertTrue(wait_until(lambda: gateway.post("orders", {"n": 4})[0] == 404,
                                       timeout=10))

    def test_namespaces_answer_at_their_own_path(self):
        self.put_webhook("orders", self.save())
        self.put_webhook("orders", self.save(authorization="Bearer tenant"), namespace="tenant1")
        gateway = self.start()
        self.assertEqual(gateway.post("orders", {"n": 1})[0], 200)
        self.assertEqual(gateway.post("default/orders", {"n": 1})[0], 200)
        self.assertEqual(gateway.post("tenant1/orders", {"n": 1})[0], 401)
        status, _, _ = gateway.post("tenant1/orders", {"n": 1}, {"Authorization": "Bearer tenant"})
        self.assertEqual(status, 200)
        status, _, body = gateway.post("tenant2/orders", {"n": 1})
        self.assertEqual((status, body), (404, {"detail": "Webhook ID not found"}))

    # --- bad changes ------------------------------------------------------------------------

    def test_a_change_with_errors_is_rejected_and_the_running_config_stays(self):
        self.put_webhook("orders", self.save())
        gateway = self.start()
        self.put_webhook("broken", "{not json")
        self.put_webhook("orders", {"module": "no_such_module"})
        self.assertTrue(wait_until(
            lambda: self.config_status(gateway)["reloads_rejected"] >= 1, timeout=10))
        time.sleep(0.5)  # both puts may come as two reloads; let them finish
        status = self.config_status(gateway)
        self.assertFalse(status["last_outcome"]["applied"])
        errors = status["last_outcome"]["errors"]
        files = [error["file"] for error in errors]
        self.assertIn("etcd %sdefault/webhooks/broken" % self.prefix, files, errors)
        self.assertTrue(any("no_such_module" in error["message"] for error in errors), errors)
        self.assertEqual(gateway.post("orders", {"n": 1})[0], 200, "the old config still runs")
        self.assertEqual(status["provider"]["backend"], "etcd")

        self.etcd.delete(self.prefix + "default/webhooks/broken")
        self.put_webhook("orders", self.save(authorization="Bearer fixed"))
        self.assertTrue(wait_until(lambda: gateway.post("orders", {"n": 2})[0] == 401,
                                   timeout=10))

    def test_check_config_reads_etcd_and_lists_every_error(self):
        self.put_webhook("one", "[1, 2")
        self.put_webhook("two", {"module": "save_to_disk", "module-config": {"base_dir": 7}})
        result = subprocess.run(
            [os.environ.get("WG_BINARY", "build/asan/webhook-gateway"), "--check-config",
             "--config-backend", "etcd", "--etcd", "127.0.0.1:%d" % self.etcd.port,
             "--etcd-prefix", self.prefix], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("etcd %sdefault/webhooks/one" % self.prefix, result.stderr)
        self.assertIn("base_dir", result.stderr)
        self.assertIn("configuration has 2 errors", result.stderr)

    # --- etcd down --------------------------------------------------------------------------

    def test_no_start_without_etcd(self):
        port = free_port()
        with self.assertRaises(RuntimeError) as raised:
            self.start(etcd_port=port)
        self.assertIn("etcd http://127.0.0.1:%d: /: cannot read the configuration" % port,
                      str(raised.exception))

    def test_etcd_with_authentication(self):
        etcd = EtcdServer()
        self.cleanups.append(etcd.stop)
        etcd.put(self.prefix + "default/webhooks/orders", self.save())
        etcd.enable_auth("etcd-pass-1234")
        with self.assertRaises(RuntimeError) as raised:
            self.start(etcd_port=etcd.port, env={"ETCD_USERNAME": "root",
                                                 "ETCD_PASSWORD": "wrong-pass-9876"})
        self.assertIn('etcd refused the user "root"', str(raised.exception))
        self.assertNotIn("wrong-pass-9876", str(raised.exception))

        gateway = self.start(etcd_port=etcd.port, env={"ETCD_USERNAME": "root",
                                                       "ETCD_PASSWORD": "etcd-pass-1234"})
        self.assertEqual(gateway.post("orders", {"n": 1})[0], 200)
        etcd.put(self.prefix + "default/webhooks/orders", self.save(authorization="Bearer x"))
        self.assertTrue(wait_until(lambda: gateway.post("orders", {"n": 2})[0] == 401,
                                   timeout=10), gateway.stderr()[-2000:])
        self.assertNotIn("etcd-pass-1234", gateway.stderr())

    def test_serves_the_last_config_while_etcd_is_down_and_catches_up_after(self):
        etcd = EtcdServer()
        self.cleanups.append(etcd.stop)
        etcd.put(self.prefix + "default/webhooks/orders", self.save())
        gateway = self.start(etcd_port=etcd.port)
        self.assertTrue(wait_until(
            lambda: gateway.request("GET", "/health")[2]["components"].get("etcd") == "healthy",
            timeout=10))
        etcd.stop()
        self.assertTrue(wait_until(
            lambda: gateway.request("GET", "/health")[2]["components"]["etcd"] == "disconnected",
            timeout=10))
        status, _, health = gateway.request("GET", "/health")
        self.assertEqual(status, 200, "a lost watch is not a reason to take the gateway out")
        self.assertEqual(gateway.post("orders", {"n": 1})[0], 200)

        etcd.start()
        etcd.put(self.prefix + "default/webhooks/orders", self.save(authorization="Bearer later"))
        self.assertTrue(wait_until(lambda: gateway.post("orders", {"n": 2})[0] == 401,
                                   timeout=20), gateway.stderr()[-2000:])
        self.assertEqual(gateway.request("GET", "/health")[2]["components"]["etcd"], "healthy")


if __name__ == "__main__":
    unittest.main()
