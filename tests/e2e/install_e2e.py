"""End to end: `cmake --install` of the build under test into a DESTDIR gives the binary, a
systemd unit that runs it on the installed example configuration, and that configuration; a
second install keeps a configuration the user edited. (No systemd runs here: the unit's
commands are run by the test as systemd would.)"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from gateway import BINARY  # noqa: E402


def unit_value(unit, key):
    values = re.findall(r"^%s=(.*)$" % key, unit, re.MULTILINE)
    if len(values) != 1:
        raise AssertionError("%s appears %d times in the unit" % (key, len(values)))
    return values[0]


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.build_dir = os.path.dirname(os.path.abspath(BINARY))
        self.destdir = tempfile.mkdtemp(prefix="wg-install-")

    def tearDown(self):
        shutil.rmtree(self.destdir, ignore_errors=True)

    def install(self):
        result = subprocess.run(["cmake", "--install", self.build_dir],
                                env={**os.environ, "DESTDIR": self.destdir},
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def installed(self, path):
        return os.path.join(self.destdir, path.lstrip("/"))

    def find(self, name):
        for root, _, files in os.walk(self.destdir):
            if name in files:
                return os.path.join(root, name)
        self.fail("%s was not installed" % name)

    def test_the_unit_runs_the_installed_binary_on_the_installed_config(self):
        self.install()
        with open(self.find("webhook-gateway.service")) as f:
            unit = f.read()
        self.assertEqual(unit_value(unit, "ExecReload"), "/bin/kill -HUP $MAINPID")
        self.assertEqual(unit_value(unit, "KillSignal"), "SIGTERM")
        for key in ("ExecStartPre", "ExecStart"):
            command = shlex.split(unit_value(unit, key))
            binary = self.installed(command[0])
            self.assertTrue(os.access(binary, os.X_OK), binary)
            config = [self.installed(arg) if arg.startswith("/etc") or "/etc/" in arg else arg
                      for arg in command[1:]]
            for flag in ("--webhooks", "--connections"):
                self.assertTrue(os.path.isfile(config[config.index(flag) + 1]), (key, flag))
        # The check systemd runs before each start passes on the installed example.
        command = shlex.split(unit_value(unit, "ExecStartPre"))
        args = [self.installed(command[0])] + [
            self.installed(arg) if "/etc/" in arg else arg for arg in command[1:]]
        result = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("configuration is valid", result.stdout)

    def test_a_second_install_keeps_an_edited_config(self):
        self.install()
        webhooks = self.find("webhooks.json")
        with open(webhooks, "w") as f:
            f.write('{"mine": {"module": "log"}}')
        output = self.install()
        self.assertIn("Kept: ", output)
        with open(webhooks) as f:
            self.assertEqual(f.read(), '{"mine": {"module": "log"}}')


if __name__ == "__main__":
    unittest.main()
