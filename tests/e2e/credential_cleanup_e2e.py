"""End to end: credential_cleanup. What save_to_disk writes, and what the spool holds on disk,
has credential-like payload fields and headers masked (or removed); the sender's secrets never
reach the disk."""
import glob
import json
import os
import shutil
import tempfile
import unittest

from gateway import Gateway, wait_until

SECRET = "hunter2-do-not-store"
PAYLOAD = {"user": "alice", "password": SECRET, "author": "bob",
           "card": {"number": "4111", "api_key": SECRET}, "items": [{"token": SECRET}]}
HEADERS = {"Authorization": "Bearer " + SECRET, "X-Api-Key": SECRET, "X-Request-Id": "r-1"}


class CredentialCleanupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base_dir = tempfile.mkdtemp(prefix="wg-e2e-cleanup-")

        def disk(name, cleanup=None):
            directory = os.path.join(cls.base_dir, name)
            os.makedirs(directory)
            webhook = {"module": "save_to_disk",
                       "module-config": {"base_dir": directory, "include_headers": True}}
            if cleanup is not None:
                webhook["credential_cleanup"] = cleanup
            return webhook

        cls.gateway = Gateway({
            "masked": disk("masked"),  # the default: enabled, mask
            "removed": disk("removed", {"mode": "remove", "fields": ["user"]}),
            "kept": disk("kept", {"enabled": False}),
            "form": {**disk("form"), "data_type": "form"},
        })

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        shutil.rmtree(cls.base_dir, ignore_errors=True)

    def saved(self, name, body=PAYLOAD, headers=None):
        status, _, answer = self.gateway.post(name, body, {**HEADERS, **(headers or {})})
        self.assertEqual(status, 200, answer)
        pattern = os.path.join(self.base_dir, name, "*.json")
        self.assertTrue(wait_until(lambda: len(glob.glob(pattern)) == 1), self.gateway.stderr())
        with open(glob.glob(pattern)[0]) as f:
            return json.load(f)

    def test_masked_by_default(self):
        saved = self.saved("masked")
        self.assertEqual(saved["payload"], {
            "user": "alice", "password": "***REDACTED***", "author": "***REDACTED***",
            "card": {"number": "4111", "api_key": "***REDACTED***"},
            "items": [{"token": "***REDACTED***"}]})
        self.assertEqual(saved["headers"]["authorization"], "***REDACTED***")
        self.assertEqual(saved["headers"]["x-api-key"], "***REDACTED***")
        self.assertEqual(saved["headers"]["x-request-id"], "r-1")

    def test_removed(self):
        saved = self.saved("removed")
        self.assertEqual(saved["payload"], {"card": {"number": "4111"}, "items": [{}]})
        self.assertNotIn("authorization", saved["headers"])
        self.assertNotIn("x-api-key", saved["headers"])
        self.assertEqual(saved["headers"]["x-request-id"], "r-1")

    def test_disabled(self):
        saved = self.saved("kept")
        self.assertEqual(saved["payload"], PAYLOAD)
        self.assertEqual(saved["headers"]["authorization"], "Bearer " + SECRET)

    def test_form_fields(self):
        saved = self.saved("form", body="user=alice&client_secret=" + SECRET,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(saved["payload"], {"user": "alice", "client_secret": "***REDACTED***"})

    def test_the_spool_never_holds_the_secret(self):
        directory = tempfile.mkdtemp(prefix="wg-e2e-cleanup-spool-")
        gateway = Gateway({"masked": {"module": "save_to_disk",
                                      "module-config": {"base_dir": directory}}})
        try:
            status, _, answer = gateway.post("masked", PAYLOAD, HEADERS)
            self.assertEqual(status, 200, answer)
            self.assertTrue(wait_until(lambda: glob.glob(os.path.join(directory, "*.json"))),
                            gateway.stderr())
        finally:
            gateway.stop()
        spool = os.path.join(gateway.dir, "data", "spool")
        files = [os.path.join(root, name) for root, _, names in os.walk(spool) for name in names]
        self.assertTrue(files, "the webhook went through the spool")
        for path in files:
            with open(path, "rb") as f:
                self.assertNotIn(SECRET.encode(), f.read(), path)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
