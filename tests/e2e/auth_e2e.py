"""End to end: basic_auth, header_auth, query_auth, ip_whitelist and json_schema on the real binary.

The client connects from 127.0.0.1, so that is the peer address every ip_whitelist sees.
Basic credentials are written out by hand: base64("alice:s3cret") = "YWxpY2U6czNjcmV0".
"""
import json
import os
import subprocess
import tempfile
import time
import unittest

from gateway import BINARY, Gateway

GOOD_BASIC = "Basic YWxpY2U6czNjcmV0"  # alice:s3cret
WRONG_BASIC = "Basic YWxpY2U6d3Jvbmc="  # alice:wrong


class AuthMethodsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        basic = {"username": "alice", "password": "s3cret"}
        cls.gateway = Gateway({
            "basic": {"module": "log", "basic_auth": basic},
            "header": {"module": "log", "header_auth": {"header_name": "X-Token",
                                                       "api_key": "Key-123"}},
            "query": {"module": "log", "query_auth": {"api_key": "Key-123"}},
            "ip_local": {"module": "log", "ip_whitelist": ["10.0.0.0/8", "127.0.0.0/8"]},
            "ip_denied": {"module": "log", "ip_whitelist": ["10.0.0.0/8", "2001:db8::/32"]},
            # The same list, once behind a trusted proxy (us, 127.0.0.1) and once not.
            "ip_proxied": {"module": "log", "ip_whitelist": ["203.0.113.0/24"],
                           "trusted_proxies": ["127.0.0.1"]},
            "ip_untrusted": {"module": "log", "ip_whitelist": ["203.0.113.0/24"],
                             "trusted_proxies": ["192.0.2.1"]},
            "all": {"module": "log", "basic_auth": basic,
                    "ip_whitelist": ["127.0.0.1"],
                    "query_auth": {"parameter_name": "token", "api_key": "q-key"},
                    "header_auth": {"api_key": "h-key"}},
        })

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def post(self, target, headers=None):
        status, _, body = self.gateway.request("POST", "/webhook/" + target, {"x": 1}, headers)
        return status, body

    def assertRefused(self, answer, status, detail):
        self.assertEqual(answer, (status, {"detail": detail}))

    def test_basic_auth(self):
        status, body = self.post("basic", {"Authorization": GOOD_BASIC})
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("basic"), 401, "Missing Authorization header")
        self.assertRefused(self.post("basic", {"Authorization": "Bearer x"}), 401,
                           "Basic authentication required")
        self.assertRefused(self.post("basic", {"Authorization": WRONG_BASIC}), 401,
                           "Invalid credentials")
        self.assertRefused(self.post("basic", {"Authorization": "Basic YWxpY2U="}), 401,
                           "Invalid basic auth format")  # "alice", no colon
        self.assertRefused(self.post("basic", {"Authorization": "Basic YWxpY2U6czNjcmV0!"}), 401,
                           "Invalid base64 encoding format")
        self.assertRefused(self.post("basic", {"Authorization": "Basic YWxpY2U6czNjcmV"}), 401,
                           "Invalid base64 encoding in Authorization header")
        self.assertRefused(self.post("basic", {"Authorization": "Basic  YWxpY2U6czNjcmV0"}), 401,
                           "Invalid Basic authentication format")

    def test_header_auth(self):
        status, body = self.post("header", {"X-Token": "Key-123"})
        self.assertEqual(status, 200, body)
        status, body = self.post("header", {"x-token": "KEY-123"})
        self.assertEqual(status, 200, body)  # case_sensitive defaults to false
        self.assertRefused(self.post("header"), 401, "Missing required header: X-Token")
        self.assertRefused(self.post("header", {"X-Token": "Key-124"}), 401,
                           "Invalid API key in header: X-Token")

    def test_query_auth(self):
        status, body = self.post("query?api_key=Key-123")
        self.assertEqual(status, 200, body)
        status, body = self.post("query?api_key=key%2D123")  # decoded, then case-insensitive
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("query"), 401, "Missing required query parameter: api_key")
        self.assertRefused(self.post("query?other=Key-123"), 401,
                           "Missing required query parameter: api_key")
        self.assertRefused(self.post("query?api_key=nope"), 401,
                           "Invalid API key in query parameter: api_key")
        self.assertRefused(self.post("query?api_key=" + "k" * 1001), 401,
                           "Invalid query parameter value for: api_key "
                           "(too long or contains invalid characters)")
        self.assertNotIn("nope", self.gateway.stderr() + self.gateway.stdout(),
                         "the received key is never logged")

    def test_ip_whitelist_with_cidr(self):
        status, body = self.post("ip_local")
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("ip_denied"), 403, "IP 127.0.0.1 not in whitelist")
        # Without a trusted proxy, forwarding headers are ignored.
        self.assertRefused(self.post("ip_denied", {"X-Forwarded-For": "10.1.2.3"}), 403,
                           "IP 127.0.0.1 not in whitelist")

    def test_forwarded_for_only_from_a_trusted_proxy(self):
        status, body = self.post("ip_proxied", {"X-Forwarded-For": "203.0.113.9"})
        self.assertEqual(status, 200, body)
        status, body = self.post("ip_proxied", {"X-Real-IP": "203.0.113.9"})
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("ip_proxied"), 403, "IP 127.0.0.1 not in whitelist")
        self.assertRefused(self.post("ip_proxied", {"X-Forwarded-For": "198.51.100.7"}), 403,
                           "IP 198.51.100.7 not in whitelist")
        # A client can prepend anything: the right-most untrusted entry is the one that counts.
        self.assertRefused(
            self.post("ip_proxied", {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}), 403,
            "IP 198.51.100.7 not in whitelist")
        # 127.0.0.1 is not a trusted proxy of this webhook: the header is not honoured.
        self.assertRefused(self.post("ip_untrusted", {"X-Forwarded-For": "203.0.113.9"}), 403,
                           "IP 127.0.0.1 not in whitelist")

    def test_several_methods_must_all_pass(self):
        good = {"Authorization": GOOD_BASIC, "X-API-Key": "h-key"}
        status, body = self.post("all?token=q-key", good)
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("all?token=q-key", {"X-API-Key": "h-key"}), 401,
                           "Missing Authorization header")
        self.assertRefused(self.post("all?token=q-key", {**good, "Authorization": WRONG_BASIC}),
                           401, "Invalid credentials")
        self.assertRefused(self.post("all?token=wrong", good), 401,
                           "Invalid API key in query parameter: token")
        self.assertRefused(self.post("all?token=q-key", {"Authorization": GOOD_BASIC}), 401,
                           "Missing required header: X-API-Key")


ORDER_SCHEMA = {
    "type": "object",
    "required": ["event", "items"],
    "properties": {
        "event": {"enum": ["order.created", "order.paid"]},
        "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
    },
    "$defs": {"item": {"type": "object", "required": ["sku", "price"],
                       "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{2}-\\d+$"},
                                      "price": {"type": "number", "minimum": 0}}}},
}


class JsonSchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base_dir = tempfile.mkdtemp(prefix="wg-e2e-schema-")
        cls.gateway = Gateway({
            "orders": {"module": "save_to_disk", "module-config": {"base_dir": cls.base_dir},
                       "json_schema": ORDER_SCHEMA},
        })

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def stored(self):
        return sorted(name for name in os.listdir(self.base_dir) if name.endswith(".json"))

    def test_valid_payload_is_delivered(self):
        payload = {"event": "order.paid", "items": [{"sku": "AB-12", "price": 9.5}]}
        status, _, body = self.gateway.post("orders", payload)
        self.assertEqual(status, 200, body)
        path = os.path.join(self.base_dir, body["id"] + ".json")
        deadline = time.time() + 10
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.02)
        with open(path) as f:
            self.assertEqual(json.load(f), payload)

    def test_invalid_payload_is_400_and_not_delivered(self):
        before = self.stored()
        cases = [
            ({"event": "order.paid", "items": [{"sku": "AB-12", "price": -1}]},
             "JSON schema validation failed at /items/0/price (minimum): must be >= 0"),
            ({"event": "order.paid", "items": [{"sku": "ab12", "price": 1}]},
             'JSON schema validation failed at /items/0/sku (pattern): must match the pattern '
             '"^[A-Z]{2}-\\d+$"'),
            ({"event": "order.paid"},
             'JSON schema validation failed at the root (required): missing required property '
             '"items"'),
            ({"event": "order.lost", "items": []},
             'JSON schema validation failed at /event (enum): must be one of '
             '["order.created","order.paid"]'),
        ]
        for payload, detail in cases:
            status, _, body = self.gateway.post("orders", payload)
            self.assertEqual((status, body), (400, {"detail": detail}))
        status, _, body = self.gateway.request("POST", "/webhook/orders", "{not json",
                                               {"Content-Type": "application/json"})
        self.assertEqual((status, body), (400, {"detail": "Malformed JSON payload"}))
        time.sleep(0.3)  # a delivery, had one been accepted, would have been written by now
        self.assertEqual(self.stored(), before, "nothing refused is delivered")


class AuthConfigTest(unittest.TestCase):
    def check_config(self, webhooks):
        directory = tempfile.mkdtemp(prefix="wg-e2e-auth-")
        path = os.path.join(directory, "webhooks.json")
        with open(path, "w") as f:
            json.dump(webhooks, f)
        connections = os.path.join(directory, "connections.json")
        with open(connections, "w") as f:
            json.dump({}, f)
        return subprocess.run([BINARY, "--check-config", "--webhooks", path,
                               "--connections", connections],
                              capture_output=True, text=True, timeout=60)

    def test_bad_cidr_and_credentials_refused_with_their_paths(self):
        result = self.check_config({
            "orders": {"module": "log", "ip_whitelist": ["10.0.0.0/8", "10.0.0.0/33"],
                       "trusted_proxies": ["172.16.0.1/12"]},
            "billing": {"module": "log", "basic_auth": {"username": "alice"},
                        "query_auth": {"parameter_name": "api key", "api_key": "k"}},
        })
        self.assertEqual(result.returncode, 1, result.stderr)
        lines = [l for l in result.stderr.splitlines() if l.startswith("webhooks.json: ")]
        self.assertEqual(len(lines), 4, result.stderr)
        self.assertIn('webhooks.json: /orders/ip_whitelist/1: invalid CIDR range "10.0.0.0/33": '
                      'the prefix length must be 0..32', result.stderr)
        self.assertIn('webhooks.json: /orders/trusted_proxies/0: invalid CIDR range '
                      '"172.16.0.1/12": host bits are set (did you mean 172.16.0.0/12?)',
                      result.stderr)
        self.assertIn("webhooks.json: /billing/basic_auth/password: required string is missing",
                      result.stderr)
        self.assertIn("webhooks.json: /billing/query_auth/parameter_name: Invalid parameter name "
                      "configuration", result.stderr)

    def test_bad_json_schema_refused_with_paths(self):
        result = self.check_config({
            "orders": {"module": "log", "json_schema": {
                "properties": {"id": {"type": "int"}, "sku": {"pattern": "^(ab"}},
                "items": {"$ref": "#/definitions/missing"}}},
        })
        self.assertEqual(result.returncode, 1, result.stderr)
        lines = [l for l in result.stderr.splitlines() if l.startswith("webhooks.json: ")]
        self.assertEqual(lines, [
            'webhooks.json: /orders/json_schema/properties/id/type: unknown type "int" (known: '
            'array, boolean, integer, null, number, object, string)',
            'webhooks.json: /orders/json_schema/properties/sku/pattern: invalid regular '
            'expression "^(ab": missing closing parenthesis at offset 4',
            'webhooks.json: /orders/json_schema/items/$ref: "#/definitions/missing" points to '
            'nothing in this schema',
        ], result.stderr)

    def test_valid_config_accepted(self):
        result = self.check_config({
            "orders": {"module": "log", "ip_whitelist": ["2001:db8::/32", "10.0.0.0/8", "::1"],
                       "trusted_proxies": ["127.0.0.1"],
                       "header_auth": {"api_key": "k"}}})
        self.assertEqual(result.returncode, 0, result.stderr)


if __name__ == "__main__":
    unittest.main()
