"""End to end against a real MariaDB 10.11 (Debian's mariadb-server): the rows the `mysql` module
writes, read back with Debian's python3-mysqldb. Each test class starts a private server
(services.MariadbServer) that it may stop and start; each test has its own table.
"""
import datetime
import json
import time
import unittest
import uuid

from gateway import Gateway, wait_until
import postgresql_e2e
from services import MariadbServer

RETRY = {"enabled": True, "max_attempts": 5, "initial_delay": 0.05, "max_delay": 0.1}


class MysqlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = MariadbServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.table = "wg_e2e_" + uuid.uuid4().hex[:12]
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        self.server.execute("DROP TABLE IF EXISTS `%s`" % self.table, database="gw")

    def connections(self, **settings):
        return {"db": {"type": "mysql", "host": "127.0.0.1", "port": self.server.port,
                       "database": "gw", "user": "root", **settings}}

    def start(self, module_config, retry=None, module="mysql", webhook=None, **connection):
        item = {"module": module, "connection": "db",
                "module-config": {"table": self.table, **module_config}}
        if retry:
            item["retry"] = retry
        self.gateway = Gateway({"events": {"chain": [item], **(webhook or {})}},
                               connections=self.connections(**connection))
        return self.gateway

    def rows(self, columns, order="created_at, id"):
        return self.server.execute("SELECT %s FROM `%s` ORDER BY %s" % (columns, self.table, order),
                                   database="gw")

    def wait_rows(self, count, columns="*", **kwargs):
        def ready():
            try:
                return len(self.rows(columns, **kwargs)) == count
            except Exception:  # the table is created by the first delivery
                return False
        self.assertTrue(wait_until(ready, timeout=15), self.gateway.stderr())
        return self.rows(columns, **kwargs)

    def test_json_mode_row_has_exact_payload_headers_and_utc_timestamp(self):
        gw = self.start({})
        payload = {"event": "push", "n": 7, "big": 2 ** 53, "ratio": 0.5, "ok": True, "none": None,
                   "list": [1, "two", {"three": 3}],
                   "text": "h\u00e9llo \u2603 \U0001F600 '); DROP TABLE x; --"}
        before = datetime.datetime.utcnow() - datetime.timedelta(seconds=1)
        status, _, body = gw.post("events", payload, {"X-GitHub-Event": "push"})
        self.assertEqual(status, 200)
        rows = self.wait_rows(1, "webhook_id, delivery_id, payload, headers, timestamp, id")
        webhook_id, delivery_id, stored, headers, timestamp, row_id = rows[0]
        self.assertEqual(webhook_id, "events")
        self.assertEqual(delivery_id, body["id"])
        self.assertEqual(json.loads(stored), payload)  # utf8mb4: the emoji survives
        self.assertEqual(json.loads(headers)["x-github-event"], "push")
        # The receive time, in UTC whatever the server's time zone.
        self.assertLess(abs(timestamp - before), datetime.timedelta(seconds=10))
        self.assertEqual(len(row_id), 36)
        for n in range(5):
            self.assertEqual(gw.post("events", {"n": n})[0], 200)
        self.wait_rows(6)
        _, _, health = gw.request("GET", "/health")
        self.assertEqual(health["components"]["connections"]["db"], "connected")
        self.assertEqual(gw.stderr().count("chain failed"), 0, gw.stderr())

    def test_mariadb_alias_json_upsert_and_no_headers(self):
        gw = self.start({"upsert": True, "include_headers": False}, module="mariadb", type="mariadb")
        gw.post("events", {"a": 1}, {"X-Trace": "t"})
        gw.post("events", {"a": 2})
        rows = self.wait_rows(2, "payload, headers")
        self.assertEqual(sorted(json.loads(r[0])["a"] for r in rows), [1, 2])
        self.assertEqual([r[1] for r in rows], [None, None])
        unique = self.server.execute(
            "SELECT column_name FROM information_schema.statistics WHERE table_schema = 'gw' "
            "AND table_name = %s AND non_unique = 0", (self.table,))
        self.assertIn(("delivery_id",), unique)

    def relational_config(self, mode="relational"):
        return {"storage_mode": mode, "upsert": True, "upsert_key": "order_id",
                "schema": {"fields": {
                    "order_id": {"type": "string", "constraints": ["UNIQUE", "NOT NULL"]},
                    "status": {"column": "order_status", "type": "string",
                               "constraints": "NOT NULL"},
                    "amount": {"type": "float"},
                    "count": {"type": "integer"},
                    "paid": {"type": "boolean", "default": False},
                    "at": {"type": "datetime"},
                    "meta": {"type": "json"}}}}

    def test_relational_upsert_updates_the_row_with_the_same_key(self):
        gw = self.start(self.relational_config())
        gw.post("events", {"order_id": "A-1", "status": "new", "amount": 9.5, "count": 2,
                           "at": "2024-05-01T10:00:00.25+02:00", "meta": {"k": [1]}})
        self.assertEqual(self.wait_rows(1, "meta, at"),
                         (('{"k":[1]}', datetime.datetime(2024, 5, 1, 8, 0, 0, 250000)),))
        gw.post("events", {"order_id": "A-1", "status": "paid", "amount": 10, "paid": True,
                           "at": "2024-05-02T00:00:00Z"})
        gw.post("events", {"order_id": "B-2", "status": "new", "extra": "ignored"})
        columns = "order_id, order_status, amount, count, paid, at, meta, webhook_id"
        expected = (
            # An upsert replaces every column it writes: count and meta were not sent again.
            ("A-1", "paid", 10.0, None, 1, datetime.datetime(2024, 5, 2), None, "events"),
            ("B-2", "new", None, None, 0, None, None, "events"))
        self.assertTrue(wait_until(lambda: self.rows(columns, order="order_id") == expected,
                                   timeout=15),
                        (self.rows(columns, order="order_id"), gw.stderr()))
        names = [r[0] for r in self.server.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'gw' "
            "AND table_name = %s", (self.table,))]
        self.assertNotIn("payload", names)

    def test_hybrid_stores_payload_headers_and_columns(self):
        gw = self.start(self.relational_config("hybrid"))
        payload = {"order_id": "C-5", "status": "new", "amount": 1.25, "note": "kept in payload"}
        gw.post("events", payload, {"X-Shop": "s1"})
        rows = self.wait_rows(1, "order_id, order_status, amount, payload, headers")
        self.assertEqual(rows[0][:3], ("C-5", "new", 1.25))
        self.assertEqual(json.loads(rows[0][3]), payload)
        self.assertEqual(json.loads(rows[0][4])["x-shop"], "s1")
        payload2 = {"order_id": "C-5", "status": "shipped"}
        gw.post("events", payload2)
        self.assertTrue(wait_until(
            lambda: [(s, json.loads(p)) for s, p in self.rows("order_status, payload")] ==
            [("shipped", payload2)], timeout=15), gw.stderr())

    def test_bad_rows_fail_permanently_and_are_not_retried(self):
        gw = self.start(self.relational_config(), retry=RETRY)
        gw.post("events", {"order_id": "D-3"})  # status is NOT NULL
        gw.post("events", {"order_id": "D-4", "status": "new", "count": "three"})  # not an integer
        gw.post("events", {"order_id": "D-5", "status": "new", "count": 5})
        self.assertTrue(wait_until(lambda: gw.stderr().count("chain failed") == 2, timeout=15),
                        gw.stderr())
        time.sleep(0.5)
        log = gw.stderr()
        failed = postgresql_e2e.chain_results(log, "chain failed")
        self.assertEqual(len(failed), 2, log)
        errors = " ".join(result["results"][0]["error"] for result in failed)
        self.assertIn("insert into `%s` failed" % self.table, errors)
        self.assertIn("order_status", errors)  # the server's own message names the column
        self.assertIn("error 1048", errors)    # ER_BAD_NULL_ERROR: "cannot be null"
        self.assertIn("error 1366", errors)    # ER_TRUNCATED_WRONG_VALUE_FOR_FIELD (strict mode)
        for result in failed:
            self.assertEqual(result["results"][0]["attempts"], 1, result)
        self.assertEqual(self.rows("order_id, count", order="order_id"), (("D-5", 5),))

    def test_wrong_password_is_permanent_and_never_logged(self):
        self.server.execute("CREATE USER IF NOT EXISTS 'hooks'@'%' IDENTIFIED BY 'right-pass'")
        self.server.execute("GRANT ALL ON gw.* TO 'hooks'@'%'")
        gw = self.start({}, retry=RETRY, user="hooks", password="wrong-pass-4711",
                        webhook={"acknowledge": "delivered"})
        status, _, body = gw.post("events", {"n": 1})
        self.assertEqual(status, 502, body)
        result = body["results"][0]
        self.assertEqual(result["attempts"], 1, result)  # permanent: not retried
        self.assertIn("Access denied for user 'hooks'", result["error"])
        self.assertIn("error 1045", result["error"])
        self.assertNotIn("wrong-pass-4711", gw.stderr())
        self.assertNotIn("wrong-pass-4711", json.dumps(body))
        gw.stop()
        self.gateway = gw = self.start({}, user="hooks", password="right-pass",
                                       webhook={"acknowledge": "delivered"})
        self.assertEqual(gw.post("events", {"n": 2})[0], 200)
        self.assertEqual([json.loads(p)["n"] for (p,) in self.rows("payload")], [2])

    def test_bad_config_is_reported_at_start_with_every_path(self):
        webhooks = {
            "a": {"module": "mysql", "connection": "db",
                  "module-config": {"table": "x; drop", "storage_mode": "flat"}},
            "b": {"module": "mysql", "connection": "db",
                  "module-config": {"storage_mode": "relational", "upsert": True,
                                    "schema": {"fields": {"k": {"type": "money"}}}}},
            "c": {"module": "mariadb", "module-config": {}},
        }
        connections = self.connections()
        connections["bad"] = {"type": "mysql", "port": 70000, "ssl_cert": "c.pem"}
        with self.assertRaises(RuntimeError) as failure:
            Gateway(webhooks, connections=connections)
        message = str(failure.exception)
        self.assertIn("/a/module-config/table", message)
        self.assertIn('/a/module-config/storage_mode: must be "json", "relational" or "hybrid"',
                      message)
        self.assertIn('/b/module-config/schema/fields/k/type: unknown type "money"', message)
        self.assertIn('/b/module-config/upsert_key: "id" is not a schema field', message)
        self.assertIn('/c/module-config: mysql needs a "connection"', message)
        self.assertIn("/bad/port", message)
        self.assertIn("/bad/ssl_key: ssl_cert and ssl_key go together", message)


class MysqlOutageTest(unittest.TestCase):
    def setUp(self):
        self.server = MariadbServer()
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        self.server.close()

    def count(self):
        try:
            return self.server.execute("SELECT count(*) FROM webhook_events", database="gw")[0][0]
        except Exception:
            return -1

    def test_down_is_retryable_and_rows_arrive_after_restart(self):
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.2, "max_delay": 1.0}
        connections = {"db": {"type": "mysql", "host": "127.0.0.1", "port": self.server.port,
                              "database": "gw", "connect_timeout": 2}}
        item = {"module": "mysql", "connection": "db"}
        self.gateway = gw = Gateway({
            "events": {"chain": [dict(item, retry=retry)]},
            "sync": {"chain": [item], "acknowledge": "delivered"}}, connections=connections)
        self.assertEqual(gw.post("events", {"n": 0})[0], 200)
        self.assertTrue(wait_until(lambda: self.count() == 1, timeout=15), gw.stderr())

        self.server.stop()
        # With acknowledge "delivered" the sender learns that nothing was stored.
        status, _, body = gw.post("sync", {"lost": True})
        self.assertEqual(status, 502, body)
        self.assertRegex(body["results"][0]["error"],
                         r'mysql "db" \(127\.0\.0\.1:\d+\): (cannot connect: )?'
                         r"(Can't connect|Lost connection|Server has gone away|MySQL server has gone away)")
        _, _, health = gw.request("GET", "/health")
        self.assertTrue(health["components"]["connections"]["db"].startswith("down"), health)

        # Accepted while the server is down: kept, retried, and written once it is back.
        for n in range(1, 6):
            self.assertEqual(gw.post("events", {"n": n})[0], 200)
        time.sleep(1.0)
        self.server.start()
        self.assertTrue(wait_until(lambda: self.count() == 6, timeout=30),
                        (self.count(), gw.stderr()[-3000:]))
        stored = sorted(json.loads(p)["n"] for (p,) in self.server.execute(
            "SELECT payload FROM webhook_events", database="gw"))
        self.assertEqual(stored, [0, 1, 2, 3, 4, 5])  # each once
        self.assertTrue(wait_until(lambda: gw.request("GET", "/health")[2]["components"]
                                   ["connections"]["db"] == "connected", timeout=10))


if __name__ == "__main__":
    unittest.main()
