"""End to end: outbound https. http_webhook delivers to a local https receiver whose
certificate (made by the openssl command line) is trusted through `ssl_ca_cert`; a certificate
the gateway does not trust, or one made for another host name, is refused; oauth2 introspects
over https. Python's ssl module serves TLS; the gateway's side is OpenSSL through Boost.Beast.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from gateway import Gateway, Receiver, TestCertificate  # noqa: E402
from oauth2_e2e import IntrospectionServer  # noqa: E402


def https_item(receiver, ca_file=None):
    config = {"url": receiver.url, "allowed_hosts": ["127.0.0.1"], "timeout": 5}
    if ca_file:
        config["ssl_ca_cert"] = ca_file
    return {"module": "http_webhook", "module-config": config}


class OutboundTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certificate = TestCertificate()
        cls.receiver = Receiver(certificate=cls.certificate)
        # Valid, trusted, but made for another name than the URL's host.
        cls.other_name = TestCertificate(names=("DNS:hooks.example.com",))
        cls.misnamed = Receiver(certificate=cls.other_name)
        cls.idp = IntrospectionServer(certificate=cls.certificate)
        cls.gateway = Gateway({
            "trusted": {"acknowledge": "delivered",
                        "chain": [https_item(cls.receiver, cls.certificate.ca_file)]},
            "untrusted": {"acknowledge": "delivered", "chain": [https_item(cls.receiver)]},
            "misnamed": {"acknowledge": "delivered",
                         "chain": [https_item(cls.misnamed, cls.other_name.ca_file)]},
            "introspected": {"module": "log", "oauth2": {
                "introspection_endpoint": cls.idp.url, "allowed_hosts": ["127.0.0.1"],
                "ssl_ca_cert": cls.certificate.ca_file}},
        })

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        for server in (cls.receiver, cls.misnamed, cls.idp):
            server.close()

    def test_delivers_over_https_to_a_trusted_certificate(self):
        before = len(self.receiver.delivered())
        status, _, body = self.gateway.post("trusted", {"order": 7})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["results"][0]["status"], "delivered")
        delivered = self.receiver.delivered()[before:]
        self.assertEqual([json.loads(r["body"]) for r in delivered], [{"order": 7}])
        self.assertEqual(delivered[0]["headers"]["Host"], "127.0.0.1:%d" % self.receiver.port)

    def test_keep_alive_connections_are_reused_over_tls(self):
        before = len(self.receiver.delivered())
        for n in range(5):
            status, _, body = self.gateway.post("trusted", {"n": n})
            self.assertEqual(status, 200, body)
        self.assertEqual([json.loads(r["body"])["n"] for r in self.receiver.delivered()[before:]],
                         list(range(5)))

    def test_a_certificate_the_system_does_not_trust_is_refused(self):
        before = self.receiver.count()
        status, _, body = self.gateway.post("untrusted", {"order": 8})
        self.assertEqual(status, 502, body)
        self.assertEqual(body["results"][0]["status"], "failed")
        self.assertIn("certificate verify failed", body["results"][0]["error"])
        self.assertEqual(self.receiver.count(), before, "no request was sent")

    def test_a_certificate_for_another_host_name_is_refused(self):
        status, _, body = self.gateway.post("misnamed", {"order": 9})
        self.assertEqual(status, 502, body)
        self.assertIn("certificate verify failed", body["results"][0]["error"])
        self.assertEqual(self.misnamed.count(), 0)

    def test_oauth2_introspection_over_https(self):
        status, _, body = self.gateway.post("introspected", {"x": 1},
                                            {"Authorization": "Bearer good-token"})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(self.idp.calls_for("good-token")), 1)
        status, _, body = self.gateway.post("introspected", {"x": 1},
                                            {"Authorization": "Bearer revoked"})
        self.assertEqual((status, body), (401, {"detail": "OAuth 2.0 token is not active"}))

    def test_an_unreadable_ca_file_stops_the_start_with_its_path(self):
        receiver_url = "https://hooks.example.com/in"
        with self.assertRaises(RuntimeError) as failure:
            Gateway({"orders": {"module": "http_webhook", "module-config": {
                "url": receiver_url, "ssl_ca_cert": "/nonexistent/ca.pem"}}})
        self.assertIn("/orders/module-config/ssl_ca_cert: cannot load CA certificates from "
                      "\"/nonexistent/ca.pem\"", str(failure.exception))

    def test_plain_http_schemes_other_than_http_and_https_are_refused(self):
        with self.assertRaises(RuntimeError) as failure:
            Gateway({"orders": {"module": "http_webhook", "module-config": {
                "url": "ftp://hooks.example.com/in"}}})
        self.assertIn("/orders/module-config/url: scheme \"ftp\" is not allowed (http or https "
                      "only)", str(failure.exception))


if __name__ == "__main__":
    unittest.main()
