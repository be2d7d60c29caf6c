"""End to end: oauth2 token introspection (RFC 7662) against a real local HTTP server, with the
gateway's cache and an endpoint that is down; and jwt / oauth2 local JWT checks on the binary.

JWTs are signed by the `openssl` command-line tool, not by the gateway's code.
"""
import base64
import json
import os
import socket
import subprocess
import time
import unittest

from gateway import FormServer, Gateway

# token -> (HTTP status, introspection answer)
ANSWERS = {
    "good-token": (200, {"active": True, "scope": "read webhooks:write", "client_id": "sender"}),
    "cached-token": (200, {"active": True, "scope": "webhooks:write"}),
    "read-only": (200, {"active": True, "scope": "read"}),
    "revoked": (200, {"active": False}),
    "broken-server": (500, {"error": "oops"}),
    "refused-client": (401, {"error": "invalid_client"}),
}


class IntrospectionServer(FormServer):
    """Answers POST /introspect from ANSWERS and records every call; https with `certificate`
    (a gateway.TestCertificate)."""

    def __init__(self, certificate=None):
        super().__init__("/introspect", lambda form: ANSWERS.get(
            form.get("token", [""])[0], (200, {"active": False})), certificate)

    def calls_for(self, token):
        return self.calls_where("token", token)


def closed_port():
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(secret, claims):
    """A JWT signed with HMAC-SHA256 by `openssl dgst`."""
    signing_input = b64url(b'{"alg":"HS256","typ":"JWT"}') + "." + \
        b64url(json.dumps(claims).encode())
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", "key:" + secret, "-binary"],
        input=signing_input.encode(), capture_output=True, check=True).stdout
    return signing_input + "." + b64url(signature)


class Oauth2IntrospectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.idp = IntrospectionServer()
        introspection = {"introspection_endpoint": cls.idp.url, "allowed_hosts": ["127.0.0.1"],
                         "client_id": "gateway", "client_secret": "gw-secret",
                         "required_scope": ["webhooks:write"]}
        cls.gateway = Gateway({
            "introspected": {"module": "log", "oauth2": introspection},
            "down": {"module": "log", "oauth2": {
                "introspection_endpoint": "http://127.0.0.1:%d/introspect" % closed_port(),
                "allowed_hosts": ["127.0.0.1"]}},
            # An async method followed by a synchronous one: both run, in order.
            "with_header": {"module": "log", "oauth2": introspection,
                            "header_auth": {"header_name": "X-Key", "api_key": "k"}},
            "local_jwt": {"module": "log", "oauth2": {"jwt_secret": "jwt-s3cret",
                                                      "required_scope": "webhooks:write"}},
            "jwt": {"module": "log", "jwt": {"secret": "jwt-s3cret", "issuer": "idp"}},
        })

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        cls.idp.close()

    def post(self, webhook, authorization=None, extra=None):
        headers = dict(extra or {})
        if authorization is not None:
            headers["Authorization"] = authorization
        status, response_headers, body = self.gateway.post(webhook, {"x": 1}, headers)
        return status, body, response_headers

    def assertRefused(self, answer, status, detail):
        self.assertEqual(answer[:2], (status, {"detail": detail}))

    def test_active_token_with_scope_passes_and_the_call_is_rfc_7662(self):
        status, body, _ = self.post("introspected", "Bearer good-token")
        self.assertEqual(status, 200, body)
        call = self.idp.calls_for("good-token")[0]
        self.assertEqual(call["path"], "/introspect")
        self.assertEqual(call["form"], {"token": ["good-token"],
                                        "token_type_hint": ["access_token"]})
        self.assertEqual(call["content_type"], "application/x-www-form-urlencoded")
        self.assertEqual(call["authorization"],
                         "Basic " + base64.b64encode(b"gateway:gw-secret").decode())

    def test_answers_are_cached_positive_and_negative(self):
        for _ in range(3):
            status, body, _ = self.post("introspected", "Bearer cached-token")
            self.assertEqual(status, 200, body)
        self.assertEqual(len(self.idp.calls_for("cached-token")), 1)
        for _ in range(3):
            self.assertRefused(self.post("introspected", "Bearer revoked"), 401,
                               "OAuth 2.0 token is not active")
        self.assertEqual(len(self.idp.calls_for("revoked")), 1)

    def test_inactive_unscoped_and_missing_tokens_are_refused(self):
        self.assertRefused(self.post("introspected", "Bearer unknown-token"), 401,
                           "OAuth 2.0 token is not active")
        self.assertRefused(self.post("introspected", "Bearer read-only"), 401,
                           "OAuth 2.0 token missing required scopes")
        self.assertRefused(self.post("introspected"), 401, "OAuth 2.0 Bearer token required")
        self.assertRefused(self.post("introspected", "Bearer "), 401, "Empty OAuth 2.0 token")
        self.assertRefused(self.post("introspected", "Bearer refused-client"), 401,
                           "OAuth 2.0 token introspection failed: HTTP 401")

    def test_a_server_that_is_down_or_failing_gives_503(self):
        status, body, headers = self.post("down", "Bearer good-token")
        self.assertEqual((status, body),
                         (503, {"detail": "OAuth 2.0 token introspection unavailable"}))
        self.assertEqual(headers.get("retry-after"), "5")
        self.assertRefused(self.post("introspected", "Bearer broken-server"), 503,
                           "OAuth 2.0 token introspection failed: HTTP 500")
        # Failures are not cached: the next request asks again.
        self.post("introspected", "Bearer broken-server")
        self.assertEqual(len(self.idp.calls_for("broken-server")), 2)
        # The token never reaches the log.
        time.sleep(0.2)
        self.assertNotIn("good-token", self.gateway.stderr() + self.gateway.stdout())

    def test_methods_after_an_introspection_still_run(self):
        self.assertRefused(self.post("with_header", "Bearer good-token"), 401,
                           "Missing required header: X-Key")
        status, body, _ = self.post("with_header", "Bearer good-token", {"X-Key": "k"})
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("with_header", "Bearer revoked", {"X-Key": "k"}), 401,
                           "OAuth 2.0 token is not active")

    def test_local_jwt_and_jwt_methods(self):
        now = int(time.time())
        good = hs256("jwt-s3cret", {"exp": now + 600, "scope": "webhooks:write", "iss": "idp"})
        status, body, _ = self.post("local_jwt", "Bearer " + good)
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("local_jwt", "Bearer " + hs256("other", {"exp": now + 600})),
                           401, "Invalid OAuth 2.0 token: Invalid JWT signature")
        self.assertRefused(
            self.post("local_jwt", "Bearer " + hs256("jwt-s3cret", {"exp": now - 600,
                                                                     "scope": "webhooks:write"})),
            401, "OAuth 2.0 token expired")
        status, body, _ = self.post("jwt", "Bearer " + good)
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("jwt", "Bearer " + hs256("jwt-s3cret", {"exp": now + 600,
                                                                              "iss": "evil"})),
                           401, "Invalid JWT issuer")
        self.assertRefused(self.post("jwt", "Token x"), 401, "JWT Bearer token required")
        none = b64url(b'{"alg":"none"}') + "." + b64url(b'{"iss":"idp"}') + "."
        self.assertRefused(self.post("jwt", "Bearer " + none), 401, "Invalid JWT algorithm")


if __name__ == "__main__":
    unittest.main()
