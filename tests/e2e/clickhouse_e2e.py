"""End to end against a real ClickHouse (Debian 12's clickhouse-server 18.16, started privately by
the test: services.ClickhouseServer), over its HTTP interface. Rows are read back with
SELECT ... FORMAT JSONEachRow."""
import json
import re
import time
import unittest
import uuid

from gateway import Gateway, wait_until
from services import ClickhouseServer

TOKEN = "Bearer ch-token-do-not-store"
AUTH = {"Authorization": TOKEN}


def chain_results(stderr, message):
    """The parsed `result` of every log line with this message ("chain failed", ...)."""
    results = []
    for line in stderr.splitlines():
        if message in line:
            match = re.search(r'result=("(?:[^"\\]|\\.)*")', line)
            if match:
                results.append(json.loads(json.loads(match.group(1))))
    return results


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class ClickhouseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ClickhouseServer(users={"writer": "s3cret-pw"})

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.gateway = None
        if self.server.process.poll() is not None:
            self.server.start()  # a test that stopped it failed half-way

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()

    # ------------------------------------------------------------------ helpers
    def connection(self, **settings):
        return {"type": "clickhouse", "host": "127.0.0.1", "port": self.server.http_port,
                **settings}

    def item(self, retry=None, **module_config):
        item = {"module": "clickhouse", "connection": "warehouse", "module-config": module_config}
        if retry:
            item["retry"] = retry
        return item

    def start(self, webhooks, **connection):
        self.gateway = Gateway(webhooks, connections={"warehouse": self.connection(**connection)})
        return self.gateway

    def table_name(self):
        return "e2e_" + uuid.uuid4().hex[:10]

    def count(self, table):
        try:
            return int(self.server.query("SELECT count() FROM `%s`" % table))
        except RuntimeError:
            return -1  # not created yet

    def wait_for_rows(self, table, count, timeout=15):
        self.assertTrue(wait_until(lambda: self.count(table) >= count, timeout=timeout),
                        self.gateway.stderr()[-3000:])
        time.sleep(0.2)  # no extra rows after that
        rows = self.server.rows("SELECT *, toUnixTimestamp(timestamp) AS ts, "
                                "toUnixTimestamp(created_at) AS created FROM `%s`" % table)
        self.assertEqual(len(rows), count, rows)
        return rows

    # ------------------------------------------------------------------ tests
    def test_one_row_per_webhook_with_id_payload_and_headers(self):
        table = self.table_name()
        gw = self.start({"orders": {"authorization": TOKEN,
                                    "chain": [self.item(table=table)]}})
        sent = {}
        before = int(time.time())
        for n in range(5):
            payload = {"order": n, "note": "h\u00e9 \"quoted\"\n", "items": [1, {"sku": "x"}]}
            status, _, answer = gw.post("orders", payload, {**AUTH, "X-Request-Id": "req-%d" % n})
            self.assertEqual(status, 200, answer)
            sent[answer["id"]] = (n, payload)
        rows = self.wait_for_rows(table, 5)
        after = int(time.time())
        self.assertEqual(sorted(r["id"] for r in rows), sorted(sent))
        for row in rows:
            n, payload = sent[row["id"]]
            self.assertEqual(row["webhook_id"], "orders")
            # The payload column is the payload's JSON text, exactly.
            self.assertEqual(row["payload"], compact(payload))
            headers = json.loads(row["headers"])
            self.assertEqual(headers["x-request-id"], "req-%d" % n)
            self.assertEqual(headers["content-type"], "application/json")
            self.assertNotIn("ch-token-do-not-store", row["headers"])  # credentials cleaned
            self.assertTrue(before <= row["ts"] <= after, (before, row, after))
            self.assertTrue(before <= row["created"] <= after + 1, (before, row, after))
        # The table has the Python project's schema, created by the gateway.
        columns = self.server.rows("DESCRIBE TABLE `%s`" % table)
        self.assertEqual([(c["name"], c["type"]) for c in columns],
                         [("id", "String"), ("webhook_id", "String"), ("timestamp", "DateTime"),
                          ("payload", "String"), ("headers", "String"),
                          ("created_at", "DateTime")])
        engine = self.server.query("SELECT engine FROM system.tables WHERE name = '%s'" % table)
        self.assertEqual(engine.strip(), b"MergeTree")
        self.assertTrue(wait_until(lambda: gw.request("GET", "/health")[2]["components"]
                                   ["connections"]["warehouse"] == "ok"))

    def test_default_table_name_and_a_name_the_python_project_rejected(self):
        self.server.query("DROP TABLE IF EXISTS webhook_logs")
        self.server.query("DROP TABLE IF EXISTS webhook_updates")
        gw = self.start({"logs": {"chain": [self.item()]},
                         "updates": {"chain": [self.item(table="webhook_updates",
                                                         include_headers=False,
                                                         engine="StripeLog")]}})
        self.assertEqual(gw.post("logs", {"a": 1})[0], 200)
        self.assertEqual(gw.post("updates", {"b": 2}, {"X-Request-Id": "r"})[0], 200)
        logs = self.wait_for_rows("webhook_logs", 1)
        self.assertEqual((logs[0]["webhook_id"], logs[0]["payload"]), ("logs", '{"a":1}'))
        self.assertNotEqual(logs[0]["headers"], "{}")
        updates = self.wait_for_rows("webhook_updates", 1)
        self.assertEqual((updates[0]["webhook_id"], updates[0]["payload"]), ("updates", '{"b":2}'))
        self.assertEqual(updates[0]["headers"], "{}")  # include_headers false
        engine = self.server.query("SELECT engine FROM system.tables WHERE name = "
                                   "'webhook_updates'")
        self.assertEqual(engine.strip(), b"StripeLog")

    def test_blob_bytes_are_stored_exactly(self):
        table = self.table_name()
        gw = self.start({"files": {"data_type": "blob", "chain": [self.item(table=table)]}})
        raw = bytes(range(256)) + b'"\\{}'
        status, _, answer = gw.post("files", raw, {"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200, answer)
        self.assertTrue(wait_until(lambda: self.count(table) == 1), gw.stderr()[-3000:])
        stored = self.server.query("SELECT hex(payload), id FROM `%s` FORMAT TSV" % table)
        hex_payload, row_id = stored.decode().strip().split("\t")
        self.assertEqual(bytes.fromhex(hex_payload), raw)
        self.assertEqual(row_id, answer["id"])

    def test_server_down_then_back_the_webhooks_arrive(self):
        table = self.table_name()
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.2, "max_delay": 1.0}
        gw = self.start({"events": {"chain": [self.item(retry=retry, table=table)],
                                    "chain-config": {"timeout": 60}}})
        self.assertEqual(gw.post("events", {"n": 0})[0], 200)
        self.wait_for_rows(table, 1)
        self.server.stop()
        try:
            for n in range(1, 4):
                self.assertEqual(gw.post("events", {"n": n})[0], 200)
            state = lambda: gw.request("GET", "/health")[2]["components"]["connections"][
                "warehouse"]
            self.assertTrue(wait_until(lambda: state().startswith("down"), timeout=15), state())
            self.assertIn("Connection refused", state())
            time.sleep(1.0)
        finally:
            self.server.start()
        rows = self.wait_for_rows(table, 4, timeout=60)
        self.assertEqual(sorted(json.loads(r["payload"])["n"] for r in rows), [0, 1, 2, 3])
        delivered = chain_results(gw.stderr(), "chain delivered")
        self.assertTrue(any(r["results"][0]["attempts"] > 1 for r in delivered), gw.stderr())
        self.assertTrue(wait_until(lambda: gw.request("GET", "/health")[2]["components"]
                                   ["connections"]["warehouse"] == "ok"))

    def test_acknowledge_delivered_with_the_server_down_is_not_a_2xx(self):
        table = self.table_name()
        gw = self.start({"sync": {"acknowledge": "delivered", "chain": [self.item(table=table)]}})
        status, _, body = gw.post("sync", {"n": 1})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["results"][0]["status"], "delivered")
        self.assertEqual(self.count(table), 1)  # acknowledged: the row is there
        self.server.stop()
        try:
            status, _, body = gw.post("sync", {"n": 2})
            self.assertEqual(status, 502, body)
            self.assertEqual(body["results"][0]["status"], "failed")
            self.assertRegex(body["results"][0]["error"],
                             r"clickhouse \"warehouse\": .*(Connection refused|end of stream)")
        finally:
            self.server.start()

    def test_an_incompatible_table_is_a_permanent_failure_not_retried(self):
        table = self.table_name()
        self.server.query("CREATE TABLE `%s` (id UInt64) ENGINE = Memory" % table)
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.05, "max_delay": 0.1}
        gw = self.start({"events": {"chain": [self.item(retry=retry, table=table)]},
                         "sync": {"acknowledge": "delivered",
                                  "chain": [self.item(retry=retry, table=table)]}})
        self.assertEqual(gw.post("events", {"n": 1})[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in gw.stderr()), gw.stderr())
        time.sleep(0.5)
        failed = chain_results(gw.stderr(), "chain failed")
        self.assertEqual(len(failed), 1, gw.stderr())
        result = failed[0]["results"][0]
        self.assertEqual(result["attempts"], 1, result)  # permanent: never retried
        self.assertIn("INSERT INTO `%s`" % table, result["error"])
        self.assertIn("Code: 27", result["error"])  # ClickHouse's own error text
        # With acknowledge "delivered" the sender sees it too.
        status, _, body = gw.post("sync", {"n": 2})
        self.assertNotEqual(status // 100, 2, body)
        self.assertIn("Cannot parse input", body["results"][0]["error"])
        self.assertEqual(self.count(table), 0)

    def test_a_wrong_password_is_permanent_and_never_logged(self):
        table = self.table_name()
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.05, "max_delay": 0.1}
        gw = self.start({"sync": {"acknowledge": "delivered",
                                  "chain": [self.item(retry=retry, table=table)]}},
                        user="writer", password="not-the-password")
        status, _, body = gw.post("sync", {"n": 1})
        self.assertNotEqual(status // 100, 2, body)
        result = body["results"][0]
        self.assertEqual(result["attempts"], 1, result)
        self.assertIn("Wrong password for user writer", result["error"])
        self.assertNotIn("not-the-password", gw.stderr() + gw.stdout() + json.dumps(body))
        self.gateway.stop()
        # The right one works.
        gw = self.start({"sync": {"acknowledge": "delivered", "chain": [self.item(table=table)]}},
                        user="writer", password="s3cret-pw")
        status, _, body = gw.post("sync", {"n": 2})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.count(table), 1)
        self.assertNotIn("s3cret-pw", gw.stderr() + gw.stdout())

    def test_a_table_dropped_behind_the_gateways_back_is_created_again(self):
        table = self.table_name()
        retry = {"enabled": True, "max_attempts": 5, "initial_delay": 0.05, "max_delay": 0.1}
        gw = self.start({"events": {"acknowledge": "delivered",
                                    "chain": [self.item(retry=retry, table=table)]}})
        self.assertEqual(gw.post("events", {"n": 1})[0], 200)
        self.server.query("DROP TABLE `%s`" % table)
        status, _, body = gw.post("events", {"n": 2})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["results"][0]["attempts"], 2, body)
        rows = self.wait_for_rows(table, 1)
        self.assertEqual(rows[0]["payload"], '{"n":2}')

    def test_the_native_protocol_port_is_a_clear_load_error(self):
        with self.assertRaises(RuntimeError) as failure:
            Gateway({"events": {"chain": [self.item()]}},
                    connections={"warehouse": {"type": "clickhouse", "host": "127.0.0.1",
                                               "port": 9000}})
        message = str(failure.exception)
        self.assertIn("/warehouse/port: 9000 is ClickHouse's native protocol port", message)
        self.assertIn("HTTP interface", message)
        self.assertIn("8123", message)

    def test_config_errors_name_their_json_paths(self):
        webhooks = {
            "a": {"chain": [self.item(table="bad-name", engine="Memory")]},
            "b": {"module": "clickhouse", "module-config": {}},
        }
        with self.assertRaises(RuntimeError) as failure:
            Gateway(webhooks, connections={"warehouse": self.connection()})
        message = str(failure.exception)
        self.assertIn('/a/chain/0/module-config/table: "bad-name" is not a table name', message)
        self.assertIn('/a/chain/0/module-config/engine: "Memory" is not supported', message)
        self.assertIn('clickhouse needs a "connection" of type "clickhouse"', message)


if __name__ == "__main__":
    unittest.main()
