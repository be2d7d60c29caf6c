"""End to end against a real PostgreSQL 15: the rows the gateway writes, read back with psycopg2.

Most tests use the server of `bash scripts/services start` (ports from
$WG_SERVICES_DIR/services.env), each with its own table. The outage test runs a private
PostgreSQL (initdb + pg_ctl as the `postgres` user, like scripts/services) so that it can stop
and start it without disturbing anyone else.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
import unittest
import uuid

from services import services_env
from gateway import Gateway, wait_until
from services import free_port, LatencyProxy

try:
    import psycopg2
except ImportError:  # pragma: no cover - explained in setUpModule
    psycopg2 = None

PGBIN = "/usr/lib/postgresql/15/bin"
SERVICES_DIR = os.environ.get("WG_SERVICES_DIR", "/tmp/wg-services")




def setUpModule():
    if psycopg2 is None:
        raise RuntimeError("psycopg2 is missing: run with /usr/bin/python3 (Debian's python3-psycopg2)")


def query(port, database, sql, params=()):
    connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=database)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def chain_results(stderr, message):
    """The parsed `result` of every log line with this message ("chain failed", ...)."""
    results = []
    for line in stderr.splitlines():
        if message in line:
            match = re.search(r'result=("(?:[^"\\]|\\.)*")', line)
            if match:
                results.append(json.loads(json.loads(match.group(1))))
    return results


class PrivatePostgres:
    """A PostgreSQL cluster of our own that the test may stop and start."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="wg-pg-")
        os.chmod(self.dir, 0o755)
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self._as_postgres([PGBIN + "/initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                           "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        self.start()

    def _as_postgres(self, args):
        subprocess.run(["runuser", "-u", "postgres", "--", *args], cwd=self.dir, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def start(self):
        self._as_postgres([PGBIN + "/pg_ctl", "-D", self.data, "-l", self.dir + "/postgres.log",
                           "-w", "-t", "30", "-o",
                           "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off"
                           % (self.port, self.dir), "start"])

    def stop(self):
        self._as_postgres([PGBIN + "/pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "30",
                           "stop"])

    def destroy(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresqlTest(unittest.TestCase):
    def setUp(self):
        env = services_env()
        self.port = int(env["WG_POSTGRES_PORT"])
        self.database = env.get("WG_POSTGRES_DB", "postgres")
        self.table = "wg_e2e_" + uuid.uuid4().hex[:12]
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        query(self.port, self.database, 'DROP TABLE IF EXISTS "%s"' % self.table)

    def connections(self, port=None, database=None):
        return {"pg": {"type": "postgresql", "host": "127.0.0.1", "port": port or self.port,
                       "database": database or self.database, "user": "postgres"}}

    def start(self, module_config, retry=None, module="postgresql", **connection):
        item = {"module": module, "connection": "pg",
                "module-config": {"table": self.table, **module_config}}
        if retry:
            item["retry"] = retry
        self.gateway = Gateway({"events": {"chain": [item]}}, connections=self.connections(**connection))
        return self.gateway

    def rows(self, columns, order="created_at", port=None, database=None):
        return query(port or self.port, database or self.database,
                     'SELECT %s FROM "%s" ORDER BY %s' % (columns, self.table, order))

    def wait_rows(self, count, columns="*", **kwargs):
        def ready():
            try:
                return len(self.rows(columns, **kwargs)) == count
            except psycopg2.Error:  # the table is created by the first delivery
                return False
        self.assertTrue(wait_until(ready, timeout=15), self.gateway.stderr())
        return self.rows(columns, **kwargs)

    def test_json_mode_row_has_exact_payload_and_headers(self):
        gw = self.start({})
        payload = {"event": "push", "n": 7, "big": 2 ** 53, "ratio": 0.5, "ok": True, "none": None,
                   "list": [1, "two", {"three": 3}], "text": "h\u00e9llo \u2603 '); DROP TABLE x; --"}
        status, _, body = gw.post("events", payload, {"X-GitHub-Event": "push"})
        self.assertEqual(status, 200)
        rows = self.wait_rows(1, "webhook_id, delivery_id, payload, headers, timestamp, id")
        webhook_id, delivery_id, stored, headers, timestamp, row_id = rows[0]
        self.assertEqual(webhook_id, "events")
        self.assertEqual(delivery_id, body["id"])
        self.assertEqual(stored, payload)
        self.assertEqual(headers["x-github-event"], "push")
        self.assertEqual(headers["content-type"], "application/json")
        self.assertIsNotNone(timestamp)
        self.assertEqual(len(str(row_id)), 36)
        # More webhooks reuse the table (created once) and the shared connections.
        for n in range(5):
            self.assertEqual(gw.post("events", {"n": n})[0], 200)
        self.wait_rows(6)
        _, _, health = gw.request("GET", "/health")
        self.assertEqual(health["components"]["connections"]["pg"], "connected")
        self.assertEqual(gw.stderr().count("chain failed"), 0, gw.stderr())

    def test_json_mode_upsert_and_no_headers(self):
        gw = self.start({"upsert": True, "include_headers": False}, module="postgres")
        gw.post("events", {"a": 1}, {"X-Trace": "t"})
        gw.post("events", {"a": 2})
        rows = self.wait_rows(2, "payload, headers")
        self.assertEqual(sorted(r[0]["a"] for r in rows), [1, 2])
        self.assertEqual([r[1] for r in rows], [None, None])
        indexes = query(self.port, self.database,
                        "SELECT indexdef FROM pg_indexes WHERE tablename = %s", (self.table,))
        self.assertTrue(any("UNIQUE" in i[0] and "delivery_id" in i[0] for i in indexes), indexes)

    def relational_config(self, mode="relational"):
        return {"storage_mode": mode, "upsert": True, "upsert_key": "order_id",
                "schema": {"fields": {
                    "order_id": {"type": "integer", "constraints": ["UNIQUE", "NOT NULL"]},
                    "status": {"column": "order_status", "type": "string",
                               "constraints": "NOT NULL"},
                    "amount": {"type": "float"},
                    "paid": {"type": "boolean", "default": False},
                    "meta": {"type": "json"}}}}

    def test_relational_upsert_updates_the_row_with_the_same_key(self):
        gw = self.start(self.relational_config())
        gw.post("events", {"order_id": 1, "status": "new", "amount": 9.5, "meta": {"k": [1]}})
        self.assertEqual(self.wait_rows(1, "meta"), [({"k": [1]},)])
        gw.post("events", {"order_id": 1, "status": "paid", "amount": 10, "paid": True})
        gw.post("events", {"order_id": 2, "status": "new", "extra": "ignored"})
        columns = "order_id, order_status, amount, paid, meta, webhook_id"
        self.assertTrue(wait_until(lambda: self.rows(columns, order="order_id") == [
            # An upsert replaces every column it writes: meta was not sent again, so it is NULL.
            (1, "paid", 10.0, True, None, "events"),
            (2, "new", None, False, None, "events")], timeout=15),
                        (self.rows(columns, order="order_id"), gw.stderr()))
        names = [r[0] for r in query(self.port, self.database,
                                     "SELECT column_name FROM information_schema.columns "
                                     "WHERE table_name = %s", (self.table,))]
        self.assertNotIn("payload", names)

    def test_hybrid_stores_payload_headers_and_columns(self):
        gw = self.start(self.relational_config("hybrid"))
        payload = {"order_id": 5, "status": "new", "amount": 1.25, "note": "kept in payload"}
        gw.post("events", payload, {"X-Shop": "s1"})
        rows = self.wait_rows(1, "order_id, order_status, amount, payload, headers")
        self.assertEqual(rows[0][:3], (5, "new", 1.25))
        self.assertEqual(rows[0][3], payload)
        self.assertEqual(rows[0][4]["x-shop"], "s1")
        payload2 = {"order_id": 5, "status": "shipped"}
        gw.post("events", payload2)
        self.assertTrue(wait_until(lambda: self.rows("order_status, payload") == [("shipped", payload2)],
                                   timeout=15), gw.stderr())

    def test_constraint_violation_is_permanent_and_not_retried(self):
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.05, "max_delay": 0.1}
        gw = self.start(self.relational_config(), retry=retry)
        gw.post("events", {"order_id": 3})  # status is NOT NULL
        gw.post("events", {"order_id": "three", "status": "new"})  # not an integer
        self.assertTrue(wait_until(lambda: gw.stderr().count("chain failed") == 2, timeout=15),
                        gw.stderr())
        time.sleep(0.5)
        log = gw.stderr()
        self.assertIn("order_status", log)
        self.assertIn("23502", log)  # not_null_violation, the server's own message
        self.assertIn("22P02", log)  # invalid_text_representation
        failed = chain_results(log, "chain failed")
        self.assertEqual(len(failed), 2, log)
        for result in failed:
            self.assertEqual(result["results"][0]["attempts"], 1, result)
        self.assertEqual(self.rows("order_id"), [])

    def test_one_connection_pipelines_statements_and_keeps_their_errors_apart(self):
        # One I/O thread with one connection, to a server 0.1 s away: statements one at a time
        # would need at least 40 x 0.1 s for the 40 webhooks below; pipelined, they share the
        # round trips. Every fourth webhook has an order_id that is not an integer: its INSERT
        # fails (22P02) among the others in the same pipeline, and must not take them down.
        proxy = LatencyProxy(self.port, delay=0.1)
        self.addCleanup(proxy.close)
        connections = self.connections(port=proxy.port)
        connections["pg"]["pool_max_size"] = 1
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.05, "max_delay": 0.1}
        item = {"module": "postgresql", "connection": "pg", "retry": retry,
                "module-config": {"table": self.table, "storage_mode": "relational",
                                  "schema": {"fields": {"order_id": {"type": "integer"},
                                                        "status": {}}}}}
        gw = self.gateway = Gateway({"events": {"chain": [item]}}, connections=connections,
                                    extra_args=("--threads", "1"))
        self.assertEqual(gw.post("events", {"order_id": 0, "status": "warm-up"})[0], 200)
        self.wait_rows(1)  # the connection is open and the table exists

        payloads = [{"order_id": n if n % 4 else "bad-%d" % n, "status": "s%d" % n}
                    for n in range(1, 41)]
        good = [p["order_id"] for p in payloads if isinstance(p["order_id"], int)]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=40) as pool:
            statuses = list(pool.map(lambda p: gw.post("events", p)[0], payloads))
        self.assertEqual(statuses, [200] * 40)

        def settled():
            return (len(self.rows("order_id")) == 1 + len(good) and
                    gw.stderr().count("chain failed") == 40 - len(good))
        self.assertTrue(wait_until(settled, timeout=30), gw.stderr())
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 2.0, "40 statements took %.2f s: not pipelined" % elapsed)

        self.assertEqual(self.rows("order_id, status", order="order_id"),
                         [(0, "warm-up")] + [(n, "s%d" % n) for n in good])
        failed = chain_results(gw.stderr(), "chain failed")
        self.assertEqual(len(failed), 10)
        for result in failed:  # permanent: not retried
            self.assertEqual(result["results"][0]["attempts"], 1, result)
            self.assertIn("22P02", result["results"][0]["error"], result)
        delivered = chain_results(gw.stderr(), "chain delivered")
        self.assertEqual(len(delivered), 1 + len(good))
        for result in delivered:  # the neighbours of a failure went through at the first attempt
            self.assertEqual(result["results"][0]["attempts"], 1, result)

    def test_bad_config_is_reported_at_start(self):
        webhooks = {
            "a": {"module": "postgresql", "connection": "pg",
                  "module-config": {"table": "x; drop", "storage_mode": "flat"}},
            "b": {"module": "postgresql", "connection": "pg",
                  "module-config": {"storage_mode": "relational", "upsert": True,
                                    "schema": {"fields": {"k": {"type": "integer"}}}}},
            "c": {"module": "postgresql", "module-config": {}},
        }
        with self.assertRaises(RuntimeError) as failure:
            Gateway(webhooks, connections=self.connections())
        message = str(failure.exception)
        self.assertIn("/a/module-config/table", message)
        self.assertIn('/a/module-config/storage_mode: must be "json", "relational" or "hybrid"', message)
        self.assertIn('/b/module-config/upsert_key: "id" is not a schema field', message)
        self.assertIn('/c/module-config: postgresql needs a "connection"', message)


class PostgresqlOutageTest(unittest.TestCase):
    def setUp(self):
        self.server = PrivatePostgres()
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        self.server.destroy()

    def count(self):
        try:
            return query(self.server.port, "postgres", "SELECT count(*) FROM webhook_events")[0][0]
        except psycopg2.Error:
            return -1

    def test_down_is_retryable_and_rows_arrive_after_restart(self):
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.2, "max_delay": 2.0}
        connections = {"pg": {"type": "postgresql", "host": "127.0.0.1", "port": self.server.port,
                              "connect_timeout": 2}}
        self.gateway = Gateway({
            "events": {"chain": [{"module": "postgresql", "connection": "pg", "retry": retry}]},
            "once": {"chain": [{"module": "postgresql", "connection": "pg"}]}},
            connections=connections)
        gw = self.gateway
        self.assertEqual(gw.post("events", {"n": 0})[0], 200)
        self.assertTrue(wait_until(lambda: self.count() == 1, timeout=15), gw.stderr())

        self.server.stop()
        # Without a retry policy the failure is reported as retryable (and the chain fails).
        self.assertEqual(gw.post("once", {"lost": True})[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in gw.stderr(), timeout=15), gw.stderr())
        failed = chain_results(gw.stderr(), "chain failed")[0]["results"][0]
        # A fresh connection is refused; an idle pooled one finds the server gone: both retryable.
        self.assertRegex(failed["error"], "cannot connect|server closed the connection|"
                                          "terminating connection")
        _, _, health = gw.request("GET", "/health")
        self.assertTrue(health["components"]["connections"]["pg"].startswith("down"), health)

        for n in range(1, 6):
            self.assertEqual(gw.post("events", {"n": n})[0], 200)
        time.sleep(1.5)
        self.server.start()
        self.assertTrue(wait_until(lambda: self.count() == 6, timeout=60), gw.stderr())
        rows = query(self.server.port, "postgres", "SELECT payload FROM webhook_events")
        self.assertEqual(sorted(r[0]["n"] for r in rows), list(range(6)))
        # Delivered by the chain's retries (the module itself never retries).
        delivered = chain_results(gw.stderr(), "chain delivered")
        self.assertTrue(any(r["results"][0]["attempts"] > 1 for r in delivered), gw.stderr())
        self.assertTrue(wait_until(lambda: gw.request("GET", "/health")[2]["components"]
                                   ["connections"]["pg"] == "connected"))


if __name__ == "__main__":
    unittest.main()
