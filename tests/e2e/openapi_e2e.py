"""End to end: GET /openapi.json describes the loaded webhooks — a path per webhook, the
credentials each needs, its payload schema — and never contains a secret."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from gateway import Gateway  # noqa: E402

SECRETS = ("gh-webhook-secret", "basic-pw-123", "query-key-456", "bearer-token-789")
ORDER_SCHEMA = {"type": "object", "required": ["id"],
                "properties": {"id": {"type": "integer", "minimum": 1}}}


class OpenApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gateway = Gateway({
            "github": {"module": "log", "hmac": {"provider": "github",
                                                 "secret": SECRETS[0]}},
            "orders": {"module": "log", "json_schema": ORDER_SCHEMA,
                       "basic_auth": {"username": "shop", "password": SECRETS[1]},
                       "query_auth": {"parameter_name": "key", "api_key": SECRETS[2]},
                       "rate_limit": {"max_requests": 10, "window_seconds": 60}},
            "files": {"module": "log", "data_type": "blob",
                      "authorization": "Bearer " + SECRETS[3],
                      "acknowledge": "delivered"},
            "open": {"module": "log"},
        })

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def document(self):
        status, headers, body = self.gateway.request("GET", "/openapi.json")
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        return body

    def test_one_post_operation_per_webhook(self):
        document = self.document()
        self.assertEqual(document["openapi"], "3.0.3")
        self.assertEqual(sorted(document["paths"]),
                         ["/webhook/files", "/webhook/github", "/webhook/open", "/webhook/orders"])
        operation = document["paths"]["/webhook/open"]["post"]
        self.assertEqual(operation["operationId"], "post_webhook_open")
        self.assertNotIn("security", operation)
        self.assertNotIn("401", operation["responses"])

    def test_every_method_of_a_webhook_is_one_requirement(self):
        document = self.document()
        orders = document["paths"]["/webhook/orders"]["post"]
        self.assertEqual(orders["security"], [{"orders_basic_auth": [], "orders_query_auth": []}])
        schemes = document["components"]["securitySchemes"]
        self.assertEqual(schemes["orders_basic_auth"]["type"], "http")
        self.assertEqual(schemes["orders_basic_auth"]["scheme"], "basic")
        self.assertEqual((schemes["orders_query_auth"]["in"], schemes["orders_query_auth"]["name"]),
                         ("query", "key"))
        self.assertEqual((schemes["github_hmac"]["in"], schemes["github_hmac"]["name"]),
                         ("header", "X-Hub-Signature-256"))
        self.assertEqual(schemes["files_authorization"]["scheme"], "bearer")
        self.assertIn("429", orders["responses"])

    def test_payload_schema_and_media_type(self):
        document = self.document()
        orders = document["paths"]["/webhook/orders"]["post"]
        self.assertEqual(orders["requestBody"]["content"]["application/json"]["schema"],
                         ORDER_SCHEMA)
        files = document["paths"]["/webhook/files"]["post"]
        self.assertEqual(list(files["requestBody"]["content"]), ["application/octet-stream"])
        self.assertIn("502", files["responses"])

    def test_no_secret_is_in_the_document(self):
        text = json.dumps(self.document())
        for secret in SECRETS:
            self.assertNotIn(secret, text)

    def test_only_get(self):
        status, _, body = self.gateway.request("POST", "/openapi.json", "{}")
        self.assertEqual((status, body), (405, {"detail": "Method Not Allowed"}))


if __name__ == "__main__":
    unittest.main()
