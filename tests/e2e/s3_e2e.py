"""End to end against the real s3rver of scripts/services, plus a SigV4-verifying proxy."""
import json
import os
import socket
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

from services import services_env as read_services_env
from gateway import Gateway, wait_until
from sigv4_proxy import EMPTY_SHA256, SigV4Proxy, signature, signed_request

AUTH = {"Authorization": "Bearer s3-token"}
# "attempts":N inside the chain result of the log line (quotes may be escaped).
ATTEMPTS = r'attempts\\?"\s*:\s*%d\b'




class S3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = read_services_env()
        cls.port = int(env["WG_S3_PORT"])
        cls.bucket = env.get("WG_S3_BUCKET", "webhooks")
        cls.region = env.get("WG_S3_REGION", "us-east-1")
        cls.access_key = env.get("WG_S3_ACCESS_KEY", "S3RVER")
        cls.secret = env.get("WG_S3_SECRET_KEY", "S3RVER")

    def setUp(self):
        self.gateway = None
        self.proxy = None
        # A prefix of its own per test, so listings only see this test's objects.
        self.prefix = "e2e/" + uuid.uuid4().hex[:12]

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        if self.proxy:
            self.proxy.close()

    # ------------------------------------------------------------------ helpers
    def connection(self, port=None, secret=None):
        return {"type": "s3", "aws_access_key_id": self.access_key,
                "aws_secret_access_key": secret or self.secret, "region": self.region,
                "endpoint_url": "http://127.0.0.1:%d" % (port or self.port)}

    def webhook(self, bucket=None, **config):
        module_config = {"bucket": bucket or self.bucket, "prefix": self.prefix, **config}
        return {"authorization": "Bearer s3-token", "module": "s3", "connection": "store",
                "module-config": module_config}

    def start(self, webhooks, connection=None):
        self.gateway = Gateway(webhooks, connections={"store": connection or self.connection()})
        return self.gateway

    def list_keys(self):
        query = "list-type=2&prefix=" + self.prefix.replace("/", "%2F")
        status, _, body = signed_request(self.port, "GET", "/" + self.bucket, self.access_key,
                                         self.secret, self.region, query=query)
        self.assertEqual(status, 200, body)
        root = ET.fromstring(body)
        # s3rver's namespace differs from AWS's: match on local names.
        return [key.text for contents in root.iter() if contents.tag.endswith("Contents")
                for key in contents if key.tag.endswith("Key")]

    def get_object(self, key):
        path = "/%s/%s" % (self.bucket, key)
        status, headers, body = signed_request(self.port, "GET", path, self.access_key,
                                               self.secret, self.region)
        self.assertEqual(status, 200, body)
        return headers, body

    def wait_for_keys(self, count, extra=""):
        keys = []

        def listed():
            keys[:] = self.list_keys()
            return len(keys) == count
        self.assertTrue(wait_until(listed, timeout=15), (keys, extra, self.gateway.stderr()))
        return keys

    def wait_for_one_key(self):
        return self.wait_for_keys(1)[0]

    # ------------------------------------------------------------------ tests
    def test_json_payload_lands_as_object_with_date_folders(self):
        gw = self.start({"orders": self.webhook()})
        payload = {"event": "order.created", "id": 42, "items": [1, 2, {"sku": "h\u00e9"}]}
        before = time.gmtime()
        status, _, answer = gw.post("orders", payload, AUTH)
        self.assertEqual(status, 200, answer)
        key = self.wait_for_one_key()
        after = time.gmtime()
        # <prefix>/YYYY/MM/DD/HH/webhook_<uuid>.json
        folders = {time.strftime("%Y/%m/%d/%H", t) for t in (before, after)}
        parts = key.split("/")
        self.assertEqual("/".join(parts[:2]), self.prefix)
        self.assertIn("/".join(parts[2:6]), folders)
        self.assertRegex(parts[6], r"^webhook_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-"
                                   r"[0-9a-f]{12}\.json$")
        headers, body = self.get_object(key)
        self.assertEqual(json.loads(body), payload)
        self.assertEqual(body, json.dumps(payload, separators=(",", ":"),
                                          ensure_ascii=False).encode())
        self.assertEqual(headers["content-type"], "application/json")
        self.assertFalse([h for h in headers if h.startswith("x-amz-meta-")], headers)

    def test_blob_bytes_headers_as_metadata_and_placeholders(self):
        hook = self.webhook(filename_pattern="{webhook_id}_{delivery_id}.bin",
                            content_type="application/octet-stream", include_headers=True)
        hook["data_type"] = "blob"
        gw = self.start({"files": hook})
        raw = bytes(range(256)) * 8  # 2 KiB: curl sends Expect: 100-continue for it
        status, _, answer = gw.post("files", raw, {**AUTH, "Content-Type": "application/octet-stream",
                                                   "X-Request-Id": "req  42",
                                                   "X-Source-System": "billing"})
        self.assertEqual(status, 200, answer)
        key = self.wait_for_one_key()
        self.assertTrue(key.endswith("/files_%s.bin" % answer["id"]), key)
        headers, body = self.get_object(key)
        self.assertEqual(body, raw)
        self.assertEqual(headers["content-type"], "application/octet-stream")
        self.assertEqual(headers.get("x-amz-meta-x_request_id"), "req 42", headers)
        self.assertEqual(headers.get("x-amz-meta-x_source_system"), "billing", headers)

    def test_missing_bucket_is_a_permanent_failure(self):
        hook = self.webhook(bucket="no-such-bucket-" + uuid.uuid4().hex[:8])
        hook["retry"] = {"enabled": True, "max_attempts": 4, "initial_delay": 0.05}
        gw = self.start({"orders": hook})
        self.assertEqual(gw.post("orders", {"a": 1}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in gw.stderr()), gw.stderr())
        log = gw.stderr()
        self.assertIn("NoSuchBucket", log)
        self.assertRegex(log, ATTEMPTS % 1)  # permanent: never retried

    def test_refused_connection_is_retryable(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed_port = s.getsockname()[1]
        hook = self.webhook()
        hook["retry"] = {"enabled": True, "max_attempts": 2, "initial_delay": 0.05}
        gw = self.start({"orders": hook}, self.connection(port=closed_port))
        self.assertEqual(gw.post("orders", {"a": 1}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in gw.stderr()), gw.stderr())
        self.assertIn("Failed to connect", gw.stderr())
        self.assertRegex(gw.stderr(), ATTEMPTS % 2)  # retryable: tried again

    def test_verifier_reproduces_the_aws_documentation_example(self):
        # GET Object example of the AWS SigV4 documentation ("Signature Calculations for the
        # Authorization Header: Transferring Payload in a Single Chunk").
        headers = {"host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9",
                   "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": "20130524T000000Z"}
        sig, _ = signature("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "GET", "/test.txt", "",
                           headers, sorted(headers), "20130524T000000Z", "us-east-1", "s3",
                           EMPTY_SHA256)
        self.assertEqual(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")

    def test_signature_checked_by_proxy_right_secret_lands(self):
        self.proxy = SigV4Proxy(self.port, {self.access_key: self.secret})
        hook = self.webhook(include_headers=True)
        gw = self.start({"orders": hook}, self.connection(port=self.proxy.port))
        for n in range(3):  # several uploads over the kept-alive connection
            status, _, _ = gw.post("orders", {"n": n, "pad": "x" * 1500 * n}, {**AUTH, "X-Trace": " a  b "})
            self.assertEqual(status, 200)
        keys = self.wait_for_keys(3, self.proxy.rejected)
        self.assertEqual(self.proxy.rejected, [])
        self.assertEqual(self.proxy.forwarded, 3)
        bodies = sorted(json.loads(self.get_object(k)[1])["n"] for k in keys)
        self.assertEqual(bodies, [0, 1, 2])

    def test_signature_checked_by_proxy_wrong_secret_is_permanent(self):
        self.proxy = SigV4Proxy(self.port, {self.access_key: self.secret})
        hook = self.webhook()
        hook["retry"] = {"enabled": True, "max_attempts": 4, "initial_delay": 0.05}
        gw = self.start({"orders": hook},
                        self.connection(port=self.proxy.port, secret="not-the-secret"))
        self.assertEqual(gw.post("orders", {"a": 1}, AUTH)[0], 200)
        self.assertTrue(wait_until(lambda: "chain failed" in gw.stderr()), gw.stderr())
        self.assertIn("SignatureDoesNotMatch", gw.stderr())
        self.assertRegex(gw.stderr(), ATTEMPTS % 1)
        self.assertEqual(len(self.proxy.rejected), 1, self.proxy.rejected)  # not retried
        self.assertEqual(self.proxy.forwarded, 0)
        self.assertEqual(self.list_keys(), [])

    def test_health_lists_the_connection(self):
        gw = self.start({"orders": self.webhook()})
        status, _, body = gw.request("GET", "/health")
        self.assertEqual(status, 200)
        self.assertIn("store", json.dumps(body))
        gw.post("orders", {"a": 1}, AUTH)
        self.wait_for_one_key()
        self.assertIn("ok", json.dumps(gw.request("GET", "/health")[2]))

    def test_invalid_config_fails_at_start_with_paths(self):
        with self.assertRaises(RuntimeError) as raised:
            self.start({"orders": {"module": "s3", "connection": "store",
                                   "module-config": {"prefix": "/bad"}}},
                       {"type": "s3", "aws_access_key_id": "a", "aws_secret_access_key": "b",
                        "endpoint_url": "ftp://x"})
        message = str(raised.exception)
        self.assertIn("/orders/module-config/bucket", message)
        self.assertIn("/orders/module-config/prefix", message)
        self.assertIn("/store/endpoint_url", message)


if __name__ == "__main__":
    unittest.main()
