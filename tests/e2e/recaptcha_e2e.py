"""End to end: the `recaptcha` method on the binary.

Google's siteverify API cannot be reached from this machine, so a local https server stands in
for it (`verify_url`, trusted through `ssl_ca_cert`): it answers with the documented siteverify
JSON (success, score, action, error-codes) chosen by the token, and records the form the gateway
posts so the test can check the request Google would receive.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from gateway import FormServer, Gateway, TestCertificate  # noqa: E402
from oauth2_e2e import closed_port  # noqa: E402

SECRET = "6Lc-test-secret"
# token -> (HTTP status, siteverify answer)
VERDICTS = {
    "human": (200, {"success": True, "score": 0.9, "action": "checkout",
                    "challenge_ts": "2026-11-29T12:00:00Z", "hostname": "shop.example"}),
    "robot": (200, {"success": True, "score": 0.3, "action": "checkout"}),
    "other-action": (200, {"success": True, "score": 0.9, "action": "login"}),
    "checkbox": (200, {"success": True, "challenge_ts": "2026-11-29T12:00:00Z"}),  # v2: no score
    "expired": (200, {"success": False,
                      "error-codes": ["invalid-input-response", "timeout-or-duplicate"]}),
    "google-down": (500, {"error": "backend"}),
}


def verdict(form):
    """Google's siteverify answer for the posted form."""
    if form.get("secret") != [SECRET]:
        return 200, {"success": False, "error-codes": ["invalid-input-secret"]}
    return VERDICTS.get(form.get("response", [""])[0],
                        (200, {"success": False, "error-codes": ["invalid-input-response"]}))


class SiteVerify(FormServer):
    """The stand-in for https://www.google.com/recaptcha/api/siteverify."""

    def __init__(self, certificate):
        super().__init__("/recaptcha/api/siteverify", verdict, certificate)

    def calls_for(self, token):
        return self.calls_where("response", token)


class RecaptchaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certificate = TestCertificate()
        cls.google = SiteVerify(cls.certificate)

        def recaptcha(**extra):
            return {"secret_key": SECRET, "verify_url": cls.google.url,
                    "allowed_hosts": ["127.0.0.1"], "ssl_ca_cert": cls.certificate.ca_file,
                    **extra}

        cls.gateway = Gateway({
            "v3": {"module": "log", "recaptcha": recaptcha()},
            "v3_action": {"module": "log", "recaptcha": recaptcha(expected_action="checkout",
                                                                  min_score=0.8)},
            "v2": {"module": "log", "recaptcha": recaptcha(version="v2")},
            "custom_header": {"module": "log", "recaptcha": recaptcha(token_field="X-Captcha")},
            "in_body": {"module": "log", "recaptcha": recaptcha(token_source="body")},
            "form": {"module": "log", "data_type": "blob",
                     "recaptcha": recaptcha(token_source="body", version="v2")},
            "with_basic_auth": {"module": "log", "recaptcha": recaptcha(),
                                "basic_auth": {"username": "shop", "password": "pw"}},
            "google_unreachable": {"module": "log", "recaptcha": {
                "secret_key": SECRET, "allowed_hosts": ["127.0.0.1"],
                "verify_url": "https://127.0.0.1:%d/siteverify" % closed_port()}},
        })

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        cls.google.close()

    def post(self, webhook, token=None, header="X-Recaptcha-Token", body=None, headers=None):
        sent = dict(headers or {})
        if token is not None:
            sent[header] = token
        status, response_headers, answer = self.gateway.post(webhook, body or {"order": 1}, sent)
        return status, answer, response_headers

    def assertRefused(self, answer, status, detail):
        self.assertEqual(answer[:2], (status, {"detail": detail}))

    def test_a_human_token_passes_and_google_gets_the_documented_form(self):
        status, body, _ = self.post("v3", "human")
        self.assertEqual(status, 200, body)
        call = self.google.calls_for("human")[0]
        self.assertEqual(call["path"], "/recaptcha/api/siteverify")
        self.assertEqual(call["content_type"], "application/x-www-form-urlencoded")
        # The peer is 127.0.0.1, a proxy's address rather than the sender's: no remoteip.
        self.assertEqual(call["form"], {"secret": [SECRET], "response": ["human"]})

    def test_a_missing_token_is_refused_without_asking_google(self):
        before = self.google.count()
        self.assertRefused(self.post("v3"), 401,
                           "Missing reCAPTCHA token (expected in header: X-Recaptcha-Token)")
        self.assertRefused(self.post("custom_header", "human"), 401,
                           "Missing reCAPTCHA token (expected in header: X-Captcha)")
        self.assertEqual(self.google.count(), before)
        status, body, _ = self.post("custom_header", "human", header="X-Captcha")
        self.assertEqual(status, 200, body)

    def test_refused_tokens_name_googles_error_codes(self):
        self.assertRefused(self.post("v3", "expired"), 401,
                           "reCAPTCHA verification failed: invalid-input-response, "
                           "timeout-or-duplicate")

    def test_a_v3_score_below_the_threshold_is_refused(self):
        self.assertRefused(self.post("v3", "robot"), 401,
                           "reCAPTCHA score 0.30 below threshold 0.5")
        self.assertRefused(self.post("v3_action", "robot"), 401,
                           "reCAPTCHA score 0.30 below threshold 0.8")
        # v2 has no score: success is enough.
        status, body, _ = self.post("v2", "checkbox")
        self.assertEqual(status, 200, body)
        # v3 without a score is a v2 token: refused.
        self.assertRefused(self.post("v3", "checkbox"), 401,
                           "reCAPTCHA score 0.00 below threshold 0.5")

    def test_the_expected_action_must_match(self):
        status, body, _ = self.post("v3_action", "human")
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("v3_action", "other-action"), 401,
                           "reCAPTCHA action does not match")

    def test_google_failing_or_unreachable_gives_503_not_401(self):
        status, body, headers = self.post("v3", "google-down")
        self.assertEqual((status, body), (503, {"detail": "reCAPTCHA verification unavailable"}))
        self.assertEqual(headers.get("retry-after"), "5")
        status, body, _ = self.post("google_unreachable", "human")
        self.assertEqual((status, body), (503, {"detail": "reCAPTCHA verification unavailable"}))

    def test_a_token_in_a_json_body(self):
        status, body, _ = self.post("in_body", body={"order": 2, "g-recaptcha-response": "human"})
        self.assertEqual(status, 200, body)
        status, body, _ = self.post("in_body", body={"order": 3, "recaptcha_token": "human"})
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("in_body", body={"order": 4, "recaptcha_token": "robot"}),
                           401, "reCAPTCHA score 0.30 below threshold 0.5")
        self.assertRefused(self.post("in_body", "human", body={"order": 5}), 401,
                           "Missing reCAPTCHA token (expected in body: recaptcha_token, "
                           "recaptcha or g-recaptcha-response)")

    def test_a_token_in_a_form_body(self):
        status, body, _ = self.post(
            "form", body="name=Ada&g-recaptcha-response=checkbox",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200, body)

    def test_every_method_on_the_webhook_must_pass(self):
        self.assertRefused(self.post("with_basic_auth", "human"), 401,
                           "Missing Authorization header")
        status, body, _ = self.post("with_basic_auth", "human",
                                    headers={"Authorization": "Basic c2hvcDpwdw=="})
        self.assertEqual(status, 200, body)
        self.assertRefused(self.post("with_basic_auth", "expired",
                                     headers={"Authorization": "Basic c2hvcDpwdw=="}), 401,
                           "reCAPTCHA verification failed: invalid-input-response, "
                           "timeout-or-duplicate")

    def test_the_secret_and_tokens_never_reach_the_log(self):
        self.post("v3", "robot")
        log = self.gateway.stderr() + self.gateway.stdout()
        self.assertNotIn(SECRET, log)
        self.assertNotIn("robot", log)

    def test_bad_configs_are_refused_at_start_with_their_paths(self):
        with self.assertRaises(RuntimeError) as failure:
            Gateway({"a": {"module": "log", "recaptcha": {"secret_key": "", "version": "v4",
                                                          "token_source": "cookie",
                                                          "min_score": 2}},
                     "b": {"module": "log", "recaptcha": {
                         "secret_key": "s", "verify_url": "http://169.254.169.254/verify"}}})
        message = str(failure.exception)
        for expected in ("/a/recaptcha/secret_key: reCAPTCHA secret key not configured",
                         "/a/recaptcha/version: must be \"v3\" or \"v2\", got \"v4\"",
                         "/a/recaptcha/token_source: must be \"header\" or \"body\"",
                         "/a/recaptcha/min_score: must be between",
                         "/b/recaptcha/verify_url: refused endpoint host \"169.254.169.254\""):
            self.assertIn(expected, message)


if __name__ == "__main__":
    unittest.main()
