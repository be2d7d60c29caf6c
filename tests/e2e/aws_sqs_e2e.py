"""End to end: the aws_sqs module against sqslite, the SQS stand-in of tools/sqslite (npm, pinned),
behind the SigV4-verifying proxy of sigv4_proxy.py.

sqslite speaks the query API the module uses (CreateQueue, GetQueueUrl, SendMessage with message
attributes and its 10-attribute limit, ReceiveMessage, AWS.SimpleQueueService.NonExistentQueue)
and keeps queues in memory. It does not check signatures: the proxy does, and it also rejects a
signature for any service but "sqs". It ignores MessageDeduplicationId and DelaySeconds, so those
are not checked here (only that FIFO sends are accepted); the unit tests check the forms sent.
Every message is read back with ReceiveMessage: body, attributes, delivery id.
"""
import base64
import json
import time
import unittest
import uuid

from gateway import Gateway, wait_until
from services import SqsStandIn
from sigv4_proxy import SigV4Proxy

AUTH = {"Authorization": "Bearer sqs-token"}
ACCESS_KEY = "AKIDSQSTEST"
SECRET = "sqs-secret-key"
# "attempts":N inside the chain result of the log line (quotes may be escaped).
ATTEMPTS = r'attempts\\?"\s*:\s*%d\b'


class AwsSqsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sqs = SqsStandIn()

    @classmethod
    def tearDownClass(cls):
        cls.sqs.close()

    def setUp(self):
        self.gateway = None
        self.proxy = SigV4Proxy(self.sqs.port, {ACCESS_KEY: SECRET}, service="sqs",
                                upstream_host=self.sqs.host)
        self.name = "wg-" + uuid.uuid4().hex[:12]  # a queue of its own per test

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        self.proxy.close()
        if self.sqs.process.poll() is not None:  # a test stopped it
            self.sqs.start()

    # ------------------------------------------------------------------ helpers
    def connection(self, secret=SECRET, **extra):
        return {"type": "aws_sqs", "aws_access_key_id": ACCESS_KEY,
                "aws_secret_access_key": secret, "region_name": "us-east-1",
                "endpoint_url": "http://127.0.0.1:%d" % self.proxy.port, **extra}

    def webhook(self, retry=None, **config):
        hook = {"authorization": AUTH["Authorization"], "module": "aws_sqs", "connection": "queue",
                "module-config": config}
        if retry:
            hook["retry"] = retry
        return hook

    def start(self, webhooks, connection=None):
        self.gateway = Gateway(webhooks, connections={"queue": connection or self.connection()})
        return self.gateway

    def receive(self, count, queue_url=None):
        url = queue_url or self.sqs.queue_url(self.name)
        messages = []

        def received():
            try:
                messages.extend(self.sqs.receive(url))
            except RuntimeError:  # the gateway has not created the queue yet
                return False
            return len(messages) >= count
        wait_until(received, timeout=15, interval=0.05)
        self.assertEqual(len(messages), count, (messages, self.gateway.stderr()[-3000:]))
        return messages

    def assert_fails_permanently(self, text):
        gw = self.gateway
        self.assertTrue(wait_until(lambda: "chain failed" in gw.stderr(), timeout=15),
                        gw.stderr())
        self.assertIn(text, gw.stderr())
        self.assertRegex(gw.stderr(), ATTEMPTS % 1)  # permanent: never retried

    # ------------------------------------------------------------------ tests
    def test_json_body_exact_and_at_most_ten_attributes_delivery_id_first(self):
        url = self.sqs.create_queue(self.name)
        gw = self.start({"orders": self.webhook(queue_url=url)})
        payload = {"event": "order.created", "id": 42, "items": [1, 2, {"sku": "h\u00e9 <&>"}]}
        # Headers named a-00 .. a-13 sort before every header the client adds; a-01's value is
        # too long (> 256) and is skipped, so the 9 header slots go to a-00, a-02 .. a-09.
        headers = {**AUTH, **{"A-%02d" % n: "value %d" % n for n in range(14)}}
        headers["A-01"] = "x" * 257
        status, _, answer = gw.post("orders", payload, headers)
        self.assertEqual(status, 200, answer)
        [message] = self.receive(1, url)
        self.assertEqual(message["body"],
                         json.dumps(payload, separators=(",", ":"), ensure_ascii=False))
        attributes = message["attributes"]
        self.assertEqual(len(attributes), 10, attributes)
        self.assertEqual(attributes["webhook-delivery-id"], ("String", answer["id"]))
        expected = {"a-%02d" % n: ("String", "value %d" % n) for n in [0] + list(range(2, 10))}
        self.assertEqual({k: v for k, v in attributes.items() if k != "webhook-delivery-id"},
                         expected)
        self.assertEqual(self.proxy.rejected, [])
        self.assertEqual(self.proxy.forwarded, 1)  # queue_url: no lookup

    def test_blob_text_as_is_and_binary_as_base64(self):
        self.sqs.create_queue(self.name)
        hook = self.webhook(queue_name=self.name)
        hook["data_type"] = "blob"
        gw = self.start({"files": hook})
        text = "plain text, caf\u00e9".encode()
        raw = bytes(range(256))
        for body in (text, raw):
            status, _, answer = gw.post("files", body, {**AUTH,
                                                         "Content-Type": "application/octet-stream"})
            self.assertEqual(status, 200, answer)
        messages = self.receive(2)
        by_body = {m["body"]: m for m in messages}
        self.assertIn(text.decode(), by_body)
        self.assertNotIn("webhook-body-encoding", by_body[text.decode()]["attributes"])
        encoded = base64.b64encode(raw).decode()
        self.assertIn(encoded, by_body)
        self.assertEqual(by_body[encoded]["attributes"]["webhook-body-encoding"],
                         ("String", "base64"))

    def test_queue_name_is_created_then_looked_up_once(self):
        self.assertIsNone(self.sqs.get_queue_url(self.name))
        gw = self.start({"orders": self.webhook(queue_name=self.name)})
        ids = []
        for n in range(3):
            status, _, answer = gw.post("orders", {"n": n}, AUTH)
            self.assertEqual(status, 200, answer)
            ids.append(answer["id"])
            if n == 0:  # the first delivery creates the queue and caches its URL
                self.receive(1)
        self.assertEqual(self.sqs.get_queue_url(self.name), self.sqs.queue_url(self.name))
        messages = self.receive(2)
        self.assertEqual(sorted(json.loads(m["body"])["n"] for m in messages), [1, 2])
        self.assertEqual(sorted(m["attributes"]["webhook-delivery-id"][1] for m in messages),
                         sorted(ids[1:]))
        # GetQueueUrl, CreateQueue, then three SendMessage: no lookup per webhook.
        self.assertEqual(self.proxy.forwarded, 5)
        self.assertEqual(self.proxy.rejected, [])

    def test_existing_queue_name_and_fifo_queue(self):
        self.sqs.create_queue(self.name)
        fifo = self.name + ".fifo"
        gw = self.start({"plain": self.webhook(queue_name=self.name, create_queue=False),
                         "ordered": self.webhook(queue_name=fifo,
                                                 message_group_id="{webhook_id}")})
        self.assertEqual(gw.post("plain", {"q": "plain"}, AUTH)[0], 200)
        self.assertEqual(gw.post("ordered", {"q": "fifo"}, AUTH)[0], 200)
        self.assertEqual(json.loads(self.receive(1)[0]["body"]), {"q": "plain"})
        [message] = self.receive(1, self.sqs.queue_url(fifo))  # created as a FIFO queue
        self.assertEqual(json.loads(message["body"]), {"q": "fifo"})

    def test_n_webhooks_n_messages(self):
        url = self.sqs.create_queue(self.name)
        gw = self.start({"orders": self.webhook(queue_url=url)})
        ids = set()
        for n in range(25):
            status, _, answer = gw.post("orders", {"n": n}, AUTH)
            self.assertEqual(status, 200, answer)
            ids.add(answer["id"])
        messages = self.receive(25, url)
        self.assertEqual(sorted(json.loads(m["body"])["n"] for m in messages), list(range(25)))
        self.assertEqual({m["attributes"]["webhook-delivery-id"][1] for m in messages}, ids)
        self.assertEqual(self.sqs.receive(url), [])  # no duplicates

    def test_stand_in_down_then_back_is_delivered_after_retry(self):
        retry = {"enabled": True, "max_attempts": 20, "initial_delay": 0.1, "max_delay": 0.3}
        gw = self.start({"orders": self.webhook(queue_name=self.name, retry=retry)})
        self.assertEqual(gw.post("orders", {"n": 1}, AUTH)[0], 200)
        self.receive(1)  # queue created, URL cached
        self.sqs.stop()
        status, _, answer = gw.post("orders", {"n": 2}, AUTH)
        self.assertEqual(status, 200, answer)  # persisted; delivery retried in the background
        self.assertTrue(wait_until(lambda: self.proxy.upstream_failures >= 2, timeout=15),
                        gw.stderr())  # tried, and tried again
        self.sqs.start()  # an empty stand-in: the cached queue is gone, so it is created again
        [message] = self.receive(1)
        self.assertEqual(json.loads(message["body"]), {"n": 2})
        self.assertEqual(message["attributes"]["webhook-delivery-id"][1], answer["id"])
        self.assertTrue(wait_until(lambda: gw.stderr().count("chain delivered") >= 2), gw.stderr())

    def test_acknowledge_delivered_with_stand_in_down_is_not_2xx(self):
        url = self.sqs.create_queue(self.name)
        hook = self.webhook(queue_url=url)
        hook["acknowledge"] = "delivered"
        gw = self.start({"orders": hook})
        status, _, body = gw.post("orders", {"n": 1}, AUTH)
        self.assertEqual(status, 200, body)
        self.sqs.stop()
        status, _, body = gw.post("orders", {"n": 2}, AUTH)
        self.assertGreaterEqual(status, 500, body)
        self.assertEqual(body["results"][0]["status"], "failed", body)
        self.assertIn("502", body["results"][0]["error"])

    def test_wrong_secret_is_a_permanent_failure(self):
        url = self.sqs.create_queue(self.name)
        hook = self.webhook(queue_url=url,
                            retry={"enabled": True, "max_attempts": 4, "initial_delay": 0.05})
        self.start({"orders": hook}, self.connection(secret="not-the-secret"))
        self.assertEqual(self.gateway.post("orders", {"a": 1}, AUTH)[0], 200)
        self.assert_fails_permanently("SignatureDoesNotMatch")
        self.assertEqual(len(self.proxy.rejected), 1, self.proxy.rejected)
        self.assertEqual(self.proxy.forwarded, 0)
        self.assertEqual(self.sqs.receive(url), [])
        self.assertNotIn("not-the-secret", self.gateway.stderr())

    def test_missing_queue_is_a_permanent_failure_unless_created(self):
        retry = {"enabled": True, "max_attempts": 4, "initial_delay": 0.05}
        self.start({"by_url": self.webhook(queue_url=self.sqs.queue_url(self.name), retry=retry)})
        self.assertEqual(self.gateway.post("by_url", {"a": 1}, AUTH)[0], 200)
        self.assert_fails_permanently("AWS.SimpleQueueService.NonExistentQueue")
        self.gateway.stop()
        self.start({"by_name": self.webhook(queue_name=self.name, create_queue=False,
                                            retry=retry)})
        self.assertEqual(self.gateway.post("by_name", {"a": 1}, AUTH)[0], 200)
        self.assert_fails_permanently("aws_sqs GetQueueUrl %s: HTTP 400 "
                                      "AWS.SimpleQueueService.NonExistentQueue" % self.name)
        self.assertIsNone(self.sqs.get_queue_url(self.name))

    def test_health_lists_the_connection(self):
        url = self.sqs.create_queue(self.name)
        gw = self.start({"orders": self.webhook(queue_url=url)})
        self.assertIn("not used yet", json.dumps(gw.request("GET", "/health")[2]))
        gw.post("orders", {"a": 1}, AUTH)
        self.receive(1, url)
        # The message can reach the queue before the gateway has read SendMessage's answer,
        # which is what turns the connection "ok".
        health = lambda: json.dumps(gw.request("GET", "/health")[2])
        self.assertTrue(wait_until(lambda: '"queue": "ok"' in health(), timeout=5), health())

    def test_invalid_config_fails_at_start_with_paths(self):
        with self.assertRaises(RuntimeError) as raised:
            self.start({"a": {"module": "aws_sqs", "connection": "queue",
                              "module-config": {"queue_name": "bad name", "delay_seconds": 901}},
                        "b": {"module": "aws_sqs", "connection": "queue", "module-config": {}},
                        "c": {"module": "aws_sqs", "connection": "queue",
                              "module-config": {"queue_name": "o.fifo"}}},
                       {"type": "aws_sqs", "aws_access_key_id": "a", "region_name": "US",
                        "endpoint_url": "ftp://x"})
        message = str(raised.exception)
        for path in ("/queue/aws_secret_access_key", "/queue/region_name", "/queue/endpoint_url"):
            self.assertIn(path, message)
        # The connection is invalid, so the webhooks report that; with a valid one, their own.
        with self.assertRaises(RuntimeError) as raised:
            self.start({"a": {"module": "aws_sqs", "connection": "queue",
                              "module-config": {"queue_name": "bad name", "delay_seconds": 901}},
                        "b": {"module": "aws_sqs", "connection": "queue", "module-config": {}},
                        "c": {"module": "aws_sqs", "connection": "queue",
                              "module-config": {"queue_name": "o.fifo"}},
                        "d": {"module": "aws_sqs", "connection": "queue",
                              "module-config": {"queue_url": "https://example.com/1/q"}}},
                       {"type": "aws_sqs", "aws_access_key_id": "a", "aws_secret_access_key": "b"})
        message = str(raised.exception)
        for path in ("/a/module-config/queue_name", "/a/module-config/delay_seconds",
                     "/b/module-config: aws_sqs needs exactly one of",
                     "/c/module-config/message_group_id", "/d/module-config/queue_url"):
            self.assertIn(path, message)


if __name__ == "__main__":
    unittest.main()
