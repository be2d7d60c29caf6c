"""End to end: `hmac` signatures per provider, signed here with Python's standard library only.

Each provider gets a webhook; a correctly signed request is accepted (200), and a wrong signature,
a wrong secret, a stale timestamp or a missing header is refused with 401 and the exact detail.
"""
import base64
import hashlib
import hmac
import json
import time
import unittest
import urllib.parse

from gateway import Gateway

BODY = json.dumps({"event": "order.created", "id": 42}, separators=(",", ":"))
STD_KEY = b"0123456789abcdef01234567"  # the 24 bytes behind the whsec_ secret
STD_SECRET = "whsec_" + base64.b64encode(STD_KEY).decode()
STD_OLD_KEY = b"old-key-old-key-old-key!"
STD_OLD_SECRET = "whsec_" + base64.b64encode(STD_OLD_KEY).decode()


def hex_hmac(secret, message, digest=hashlib.sha256):
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message.encode(), digest).hexdigest()


def b64_hmac(secret, message):
    key = secret.encode() if isinstance(secret, str) else secret
    return base64.b64encode(hmac.new(key, message.encode(), hashlib.sha256).digest()).decode()


def stripe_header(secret, timestamp, body=BODY):
    return "t=%d,v1=%s" % (timestamp, hex_hmac(secret, "%d.%s" % (timestamp, body)))


def slack_headers(secret, timestamp, body=BODY):
    return {"X-Slack-Signature": "v0=" + hex_hmac(secret, "v0:%d:%s" % (timestamp, body)),
            "X-Slack-Request-Timestamp": str(timestamp)}


def std_headers(key, timestamp, prefix="webhook-", msg_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
                body=BODY):
    signature = b64_hmac(key, "%s.%d.%s" % (msg_id, timestamp, body))
    return {prefix + "id": msg_id, prefix + "timestamp": str(timestamp),
            prefix + "signature": "v1," + signature}


class SignaturesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        log = {"module": "log"}
        cls.gateway = Gateway({
            "generic": {**log, "hmac": {"secret": "generic-secret"}},
            "generic_sha1": {**log, "hmac": {"secret": "generic-secret", "algorithm": "sha1",
                                             "header": "X-Hub-Signature"}},
            "github": {**log, "hmac": {"provider": "github", "secrets": ["gh-new", "gh-old"]}},
            "gitlab": {**log, "hmac": {"provider": "gitlab", "secret": "gl-token"}},
            "shopify": {**log, "hmac": {"provider": "shopify", "secret": "shpss_secret"}},
            "stripe": {**log, "hmac": {"provider": "stripe",
                                       "secrets": ["whsec_stripe_new", "whsec_stripe_old"]}},
            "slack": {**log, "hmac": {"provider": "slack", "secret": "slack-signing",
                                      "tolerance": 60}},
            "stdwh": {**log, "hmac": {"provider": "standard_webhooks",
                                      "secrets": [STD_SECRET, STD_OLD_SECRET]}},
            "svix": {**log, "hmac": {"provider": "svix", "secret": STD_SECRET}},
            "twilio": {**log, "hmac": {"provider": "twilio", "secret": "tw-auth-token"}},
            "twilio_form": {**log, "data_type": "form",
                            "hmac": {"provider": "twilio", "secret": "tw-auth-token"}},
        })

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def post(self, webhook, headers, body=BODY):
        status, _, answer = self.gateway.post(
            webhook, body, {"Content-Type": "application/json", **headers})
        return status, answer

    def assertAccepted(self, webhook, headers, body=BODY):
        status, answer = self.post(webhook, headers, body)
        self.assertEqual(status, 200, answer)

    def assertRefused(self, webhook, headers, detail, body=BODY):
        self.assertEqual(self.post(webhook, headers, body), (401, {"detail": detail}))

    def test_generic_hex(self):
        good = hex_hmac("generic-secret", BODY)
        self.assertAccepted("generic", {"X-HMAC-Signature": good})
        self.assertAccepted("generic", {"X-HMAC-Signature": "sha256=" + good.upper()})
        self.assertRefused("generic", {}, "Missing X-HMAC-Signature header")
        self.assertRefused("generic", {"X-HMAC-Signature": "xyz"},
                           "Invalid HMAC signature format (must be hexadecimal)")
        self.assertRefused("generic", {"X-HMAC-Signature": hex_hmac("wrong-secret", BODY)},
                           "Invalid HMAC signature")
        self.assertRefused("generic", {"X-HMAC-Signature": good}, "Invalid HMAC signature",
                           body=BODY + " ")
        self.assertRefused("generic", {"X-HMAC-Signature": "sha1=" + good},
                           "Invalid HMAC signature")

    def test_generic_sha1(self):
        good = hex_hmac("generic-secret", BODY, hashlib.sha1)
        self.assertAccepted("generic_sha1", {"X-Hub-Signature": "sha1=" + good})
        self.assertRefused("generic_sha1", {"X-Hub-Signature": hex_hmac("generic-secret", BODY)},
                           "Invalid HMAC signature")
        self.assertRefused("generic_sha1", {}, "Missing X-Hub-Signature header")

    def test_github_with_rotation(self):
        for secret in ("gh-new", "gh-old"):
            self.assertAccepted("github", {"X-Hub-Signature-256": "sha256=" + hex_hmac(secret, BODY)})
        self.assertRefused("github", {"X-Hub-Signature-256": "sha256=" + hex_hmac("gh-x", BODY)},
                           "Invalid HMAC signature")
        self.assertRefused("github", {}, "Missing X-Hub-Signature-256 header")

    def test_gitlab(self):
        self.assertAccepted("gitlab", {"X-Gitlab-Token": "gl-token"})
        self.assertRefused("gitlab", {"X-Gitlab-Token": "gl-tokeN"}, "Invalid GitLab token")
        self.assertRefused("gitlab", {}, "Missing X-Gitlab-Token header")

    def test_shopify(self):
        self.assertAccepted("shopify", {"X-Shopify-Hmac-Sha256": b64_hmac("shpss_secret", BODY)})
        self.assertRefused("shopify", {"X-Shopify-Hmac-Sha256": b64_hmac("shpss_other", BODY)},
                           "Invalid HMAC signature")
        self.assertRefused("shopify", {"X-Shopify-Hmac-Sha256": "not base64!"},
                           "Invalid HMAC signature format (must be base64)")
        self.assertRefused("shopify", {}, "Missing X-Shopify-Hmac-Sha256 header")

    def test_stripe_with_rotation(self):
        now = int(time.time())
        for secret in ("whsec_stripe_new", "whsec_stripe_old"):
            self.assertAccepted("stripe", {"Stripe-Signature": stripe_header(secret, now)})
        # Stripe itself sends one v1 per active secret while rolling.
        both = "t=%d,v1=%s,v1=%s" % (now, hex_hmac("whsec_gone", "%d.%s" % (now, BODY)),
                                      hex_hmac("whsec_stripe_new", "%d.%s" % (now, BODY)))
        self.assertAccepted("stripe", {"Stripe-Signature": both})
        self.assertRefused("stripe", {"Stripe-Signature": stripe_header("whsec_wrong", now)},
                           "Invalid HMAC signature")
        self.assertRefused("stripe", {"Stripe-Signature": stripe_header("whsec_stripe_new", now)},
                           "Invalid HMAC signature", body=BODY.replace("42", "43"))
        self.assertRefused("stripe",
                           {"Stripe-Signature": stripe_header("whsec_stripe_new", now - 600)},
                           "Webhook timestamp too old (tolerance: 300 seconds)")
        self.assertRefused("stripe",
                           {"Stripe-Signature": stripe_header("whsec_stripe_new", now + 600)},
                           "Webhook timestamp too new (tolerance: 300 seconds)")
        self.assertRefused("stripe", {}, "Missing Stripe-Signature header")
        self.assertRefused("stripe", {"Stripe-Signature": "v1=abc"},
                           "Invalid Stripe-Signature header format (expected t=<timestamp>,v1=<hex>)")

    def test_slack(self):
        now = int(time.time())
        self.assertAccepted("slack", slack_headers("slack-signing", now))
        self.assertRefused("slack", slack_headers("slack-wrong", now), "Invalid HMAC signature")
        self.assertRefused("slack", slack_headers("slack-signing", now - 120),
                           "Webhook timestamp too old (tolerance: 60 seconds)")
        headers = slack_headers("slack-signing", now)
        del headers["X-Slack-Request-Timestamp"]
        self.assertRefused("slack", headers, "Missing X-Slack-Request-Timestamp header")
        self.assertRefused("slack", {}, "Missing X-Slack-Signature header")

    def test_standard_webhooks_with_rotation(self):
        now = int(time.time())
        self.assertAccepted("stdwh", std_headers(STD_KEY, now))
        self.assertAccepted("stdwh", std_headers(STD_OLD_KEY, now))
        # Several space-separated entries; an unknown version is skipped.
        headers = std_headers(STD_KEY, now)
        headers["webhook-signature"] = "v2,AAAA v1,AAAA " + headers["webhook-signature"]
        self.assertAccepted("stdwh", headers)
        self.assertRefused("stdwh", std_headers(b"some-other-key-24-bytes!", now),
                           "Invalid HMAC signature")
        self.assertRefused("stdwh", std_headers(STD_SECRET, now), "Invalid HMAC signature")
        self.assertRefused("stdwh", std_headers(STD_KEY, now - 301),
                           "Webhook timestamp too old (tolerance: 300 seconds)")
        self.assertRefused("stdwh", std_headers(STD_KEY, now + 3600),
                           "Webhook timestamp too new (tolerance: 300 seconds)")
        headers = std_headers(STD_KEY, now)
        del headers["webhook-id"]
        self.assertRefused("stdwh", headers, "Missing webhook-id header")

    def test_svix_header_names(self):
        now = int(time.time())
        self.assertAccepted("svix", std_headers(STD_KEY, now, prefix="svix-"))
        self.assertAccepted("svix", std_headers(STD_KEY, now, prefix="webhook-"))
        self.assertRefused("svix", std_headers(STD_OLD_KEY, now, prefix="svix-"),
                           "Invalid HMAC signature")
        headers = std_headers(STD_KEY, now, prefix="svix-")
        del headers["svix-signature"]
        self.assertRefused("svix", headers, "Missing svix-signature header")

    def twilio_signature(self, url, params=()):
        """base64(HMAC-SHA1(auth token, url + name + value of every field, sorted))."""
        signed = url + "".join(name + value for name, value in sorted(params))
        return base64.b64encode(hmac.new(b"tw-auth-token", signed.encode(),
                                         hashlib.sha1).digest()).decode()

    def test_twilio_form_and_json(self):
        # The URL Twilio called: ours, as the Host header names it.
        url = "http://127.0.0.1:%d/webhook/twilio_form?Account=AC1" % self.gateway.port
        fields = [("CallSid", "CA123"), ("From", "+15551234567"), ("Body", "hi there")]
        form = urllib.parse.urlencode(fields)
        form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
        good = self.twilio_signature(url, fields)
        target = "twilio_form?Account=AC1"
        self.assertAccepted(target, {**form_headers, "X-Twilio-Signature": good}, body=form)
        self.assertRefused(target, {**form_headers, "X-Twilio-Signature": good},
                           "Invalid HMAC signature", body=form.replace("hi", "ho"))
        self.assertRefused("twilio_form?Account=AC2", {**form_headers, "X-Twilio-Signature": good},
                           "Invalid HMAC signature", body=form)
        self.assertRefused(target, form_headers, "Missing X-Twilio-Signature header", body=form)

        # A JSON body: Twilio adds its SHA-256 to the URL and signs the URL alone.
        body_hash = hashlib.sha256(BODY.encode()).hexdigest()
        target = "twilio?bodySHA256=" + body_hash
        json_url = "http://127.0.0.1:%d/webhook/%s" % (self.gateway.port, target)
        self.assertAccepted(target, {"X-Twilio-Signature": self.twilio_signature(json_url)})
        self.assertRefused(target, {"X-Twilio-Signature": self.twilio_signature(json_url)},
                           "Invalid HMAC signature", body=BODY + " ")


class SignatureConfigTest(unittest.TestCase):
    def test_bad_hmac_config_refuses_to_start_with_paths(self):
        with self.assertRaises(RuntimeError) as raised:
            Gateway({"orders": {"module": "log",
                                "hmac": {"provider": "stripe", "algorithm": "md5",
                                         "tolerance": -1}},
                     "legacy": {"module": "log", "hmac": {"secret": "s", "algorithm": "md5"}}})
        message = str(raised.exception)
        self.assertIn("/orders/hmac/algorithm: only without \"provider\"", message)
        self.assertIn("/orders/hmac/tolerance: must be between 1 and 604800, got -1", message)
        self.assertIn("/orders/hmac/secret: HMAC secret not configured", message)
        self.assertIn("/legacy/hmac/algorithm: Unsupported HMAC algorithm: md5", message)


if __name__ == "__main__":
    unittest.main()
