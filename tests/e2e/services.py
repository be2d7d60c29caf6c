"""Real servers started by the tests themselves, on free private ports."""
import base64
import json
import os
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def services_env():
    """The ports of the services `bash scripts/services start` runs (its services.env)."""
    directory = os.environ.get("WG_SERVICES_DIR", "/tmp/wg-services-test")
    path = os.path.join(directory, "services.env")
    if not os.path.exists(path):
        raise RuntimeError("%s is missing: start the services first, e.g. "
                           "`WG_SERVICES_DIR=%s bash scripts/services start`" % (path, directory))
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key] = value
    return values


def require(binary):
    path = shutil.which(binary)
    if not path:
        raise RuntimeError("%s is not installed: run `bash scripts/services start` "
                           "(the test command does)" % binary)
    return path


class RedisServer:
    """A private redis-server; can be stopped and started again on the same port."""

    def __init__(self):
        require("redis-server")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="wg-redis-")
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.cli("PING").strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def cli(self, *args):
        result = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True,
                                text=True, timeout=10)
        return result.stdout

    def url(self):
        return "redis://127.0.0.1:%d" % self.port


class MosquittoServer:
    """A private mosquitto 2.0 broker on a free port; can be stopped and started again on the
    same port. `users` ({name: password}) turns anonymous access off. Nothing is persisted, so a
    restart forgets retained messages."""

    def __init__(self, users=None, certificate=None):
        require("mosquitto")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="wg-mosquitto-")
        # Started as root, mosquitto drops to the `mosquitto` user before it reads the password
        # and key files: they must be readable by others (test files only).
        os.chmod(self.dir, 0o755)
        self.log_path = os.path.join(self.dir, "mosquitto.log")
        lines = ["listener %d 127.0.0.1" % self.port, "persistence false", "log_dest stderr",
                 "log_type all"]
        if certificate:  # a gateway.TestCertificate: TLS only on this listener
            for name, source in (("certfile", certificate.ca_file),
                                 ("keyfile", certificate.key_file)):
                target = os.path.join(self.dir, name + ".pem")
                shutil.copyfile(source, target)
                os.chmod(target, 0o644)
                lines.append("%s %s" % (name, target))
        if users:
            password_file = os.path.join(self.dir, "passwords")
            open(password_file, "w").close()
            for name, password in users.items():
                subprocess.run([require("mosquitto_passwd"), "-b", password_file, name, password],
                               check=True, capture_output=True, timeout=10)
            os.chmod(password_file, 0o644)
            lines += ["allow_anonymous false", "password_file " + password_file]
        else:
            lines.append("allow_anonymous true")  # 2.0 refuses anonymous clients once a listener is set
        self.config_path = os.path.join(self.dir, "mosquitto.conf")
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.process = None
        self._log = None
        self.start()

    def start(self):
        self._log = open(self.log_path, "a")
        self.process = subprocess.Popen(["mosquitto", "-c", self.config_path],
                                        stdout=self._log, stderr=self._log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("mosquitto exited at start:\n" + self.log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start:\n" + self.log())

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self._log:
            self._log.close()
            self._log = None

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class KafkaMockCluster:
    """librdkafka's mock cluster (tests/e2e/kafka_mock), a process of its own on a random
    loopback port. It is a stand-in: Debian 12 packages no Kafka broker and none can be installed
    here, but it speaks the real Kafka wire protocol, idempotent producers included, and keeps
    the messages in memory. `down()` makes every broker drop its connections and refuse new ones;
    `up()` lets them accept again (same port)."""

    def __init__(self, topics, brokers=1):
        binary = os.environ.get("WG_KAFKA_MOCK") or os.path.join(
            os.path.dirname(os.path.abspath(os.environ.get("WG_BINARY",
                                                           "build/asan/webhook-gateway"))),
            "tests", "kafka_mock")
        if not os.path.exists(binary):
            raise RuntimeError("%s is missing: build the tests (cmake --build --preset asan)"
                               % binary)
        args = [binary, "--brokers", str(brokers)]
        for name, partitions in topics.items():
            args += ["--topic", "%s:%d" % (name, partitions)]
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True,
                                        env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})
        self.bootstrap_servers = self.process.stdout.readline().strip()
        if not self.bootstrap_servers:
            raise RuntimeError("kafka_mock did not print its bootstrap servers")

    def _command(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError("kafka_mock %s: %s" % (command, answer))

    def down(self):
        self._command("down")

    def up(self):
        self._command("up")

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()  # end of input: it shuts the cluster down and exits
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


class LatencyProxy:
    """A TCP proxy that holds back everything the server sends for `delay` seconds: on loopback,
    a server one long round trip away."""

    def __init__(self, target_port, delay):
        self.target_port = target_port
        self.delay = delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                return
            self.sockets += [client, server]
            for source, sink, delay in ((client, server, 0), (server, client, self.delay)):
                threading.Thread(target=self._forward, args=(source, sink, delay),
                                 daemon=True).start()

    @staticmethod
    def _forward(source, sink, delay):
        chunks = queue.Queue()

        def send():
            while True:
                due, data = chunks.get()
                if data is None:
                    break
                time.sleep(max(0.0, due - time.monotonic()))
                try:
                    sink.sendall(data)
                except OSError:
                    break
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        threading.Thread(target=send, daemon=True).start()
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            chunks.put((time.monotonic() + delay, data or None))
            if not data:
                return

    def close(self):
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass


def run_rq_worker(redis_url, queue, out_dir, serializer=None, timeout=60):
    """Runs a stock `rq worker --burst` (Debian's python3-rq) until the queue is empty."""
    rq = require("rq")
    args = [rq, "worker", "--burst", "-u", redis_url, "--disable-job-desc-logging"]
    if serializer:
        args += ["-S", serializer]
    args.append(queue)
    env = {**os.environ, "WG_RQ_OUT": out_dir,
           "PYTHONPATH": os.path.join(os.path.dirname(__file__), "rq")}
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)


class CuttableProxy:
    """A TCP proxy in front of a server that can be cut (every connection closed, nothing
    listening) and restored on the same port, to take the server away from the gateway only."""

    def __init__(self, host, port):
        self.upstream = (host, port)
        self.port = free_port()
        self.listener = None
        self.sockets = []
        self.lock = threading.Lock()
        self.start()

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for attempt in range(50):
            try:
                self.listener.bind(("127.0.0.1", self.port))
                break
            except OSError:
                if attempt == 49:
                    raise
                time.sleep(0.1)
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for s in (source, target):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        # close() alone does not wake a thread blocked in accept() on Linux: the socket would
        # stay listening (and accept the gateway's next attempt) until then. shutdown() does.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets = []


class EtcdServer:
    """A private etcd (Debian's etcd-server, v3 JSON gateway) on free ports; can be stopped and
    started again on the same data, like an etcd restart."""

    def __init__(self):
        require("etcd")
        self.port = free_port()
        self.peer_port = free_port()
        self.dir = tempfile.mkdtemp(prefix="wg-etcd-")
        self.process = None
        self.start()

    def start(self):
        client = "http://127.0.0.1:%d" % self.port
        peer = "http://127.0.0.1:%d" % self.peer_port
        self.log = open(os.path.join(self.dir, "etcd.log"), "a")
        self.process = subprocess.Popen(
            ["etcd", "--name", "wg", "--data-dir", os.path.join(self.dir, "data"),
             "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", "wg=" + peer],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(client + "/health", timeout=2) as answer:
                    if b'"health":"true"' in answer.read():
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("etcd did not start; see %s/etcd.log" % self.dir)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.log.close()

    token = None  # after enable_auth: what authorises our own calls

    def _call(self, path, body):
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path),
                                         data=json.dumps(body).encode(), method="POST")
        if self.token:
            request.add_header("Authorization", self.token)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def enable_auth(self, password):
        """Turns etcd's authentication on, with the user root and `password`."""
        self._call("/v3/auth/role/add", {"name": "root"})
        self._call("/v3/auth/user/add", {"name": "root", "password": password})
        self._call("/v3/auth/user/grant", {"user": "root", "role": "root"})
        self._call("/v3/auth/enable", {})
        self.token = self._call("/v3/auth/authenticate",
                                {"name": "root", "password": password})["token"]

    def put(self, key, value):
        """Writes `value` (a dict is written as JSON, a str as it is) under `key`."""
        text = value if isinstance(value, str) else json.dumps(value)
        self._call("/v3/kv/put", {"key": base64.b64encode(key.encode()).decode(),
                                  "value": base64.b64encode(text.encode()).decode()})

    def delete(self, key):
        self._call("/v3/kv/deleterange", {"key": base64.b64encode(key.encode()).decode()})


class MariadbServer:
    """A private MariaDB 10.11 (Debian's mariadb-server) on a free port, with a database `gw`
    and root without a password; can be stopped and started again on the same data. Runs as the
    `mysql` user (mariadbd refuses root), like the command in reference/deps-and-services.md."""

    def __init__(self):
        require("mariadbd")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="wg-mariadb-")
        shutil.chown(self.dir, "mysql", "mysql")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        subprocess.run([require("mariadb-install-db"), "--user=mysql", "--datadir=" + self.data,
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True, timeout=120)
        self.process = None
        self.start()
        self.execute("CREATE DATABASE gw")

    def start(self):
        self.process = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--user=mysql", "--datadir=" + self.data,
             "--port=%d" % self.port, "--bind-address=127.0.0.1",
             "--socket=" + os.path.join(self.dir, "mysqld.sock"),
             "--pid-file=" + os.path.join(self.dir, "mysqld.pid"),
             "--log-error=" + os.path.join(self.dir, "error.log"),
             "--innodb-buffer-pool-size=32M", "--skip-name-resolve", "--skip-log-bin"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                break
            try:
                self.connect().close()
                return
            except Exception:  # MySQLdb.OperationalError until it listens
                time.sleep(0.05)
        raise RuntimeError("mariadbd did not start:\n" + self.log())

    def log(self):
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def connect(self, database=None):
        import MySQLdb  # Debian's python3-mysqldb (/usr/bin/python3)
        options = {"host": "127.0.0.1", "port": self.port, "user": "root", "charset": "utf8mb4",
                   "connect_timeout": 5}
        if database:
            options["database"] = database
        return MySQLdb.connect(**options)

    def execute(self, sql, params=None, database=None):
        """Runs one statement with autocommit; the rows of a SELECT, else None."""
        connection = self.connect(database)
        try:
            connection.autocommit(True)
            cursor = connection.cursor()
            cursor.execute("SET time_zone = '+00:00'")
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class ClickhouseServer:
    """A private clickhouse-server (Debian 12's 18.16) on free ports, HTTP interface only used;
    can be stopped and started again on the same data. `users` ({name: password}) adds users
    beside `default` (no password). Every query goes over HTTP, as the gateway's do."""

    def __init__(self, users=None):
        self.binary = require("clickhouse-server")
        self.http_port = free_port()
        self.tcp_port = free_port()  # the native port must be set; nothing uses it
        self.dir = tempfile.mkdtemp(prefix="wg-clickhouse-")
        for sub in ("data", "tmp", "user_files", "format_schemas"):
            os.makedirs(os.path.join(self.dir, sub))
        self.config_path = os.path.join(self.dir, "config.xml")
        with open(self.config_path, "w") as f:
            f.write(
                "<yandex><logger><level>warning</level><log>{d}/server.log</log>"
                "<errorlog>{d}/error.log</errorlog></logger>"
                "<http_port>{http}</http_port><tcp_port>{tcp}</tcp_port>"
                "<listen_host>127.0.0.1</listen_host>"
                "<path>{d}/data/</path><tmp_path>{d}/tmp/</tmp_path>"
                "<user_files_path>{d}/user_files/</user_files_path>"
                "<format_schema_path>{d}/format_schemas/</format_schema_path>"
                "<users_config>users.xml</users_config><default_profile>default</default_profile>"
                "<default_database>default</default_database>"
                "<mark_cache_size>5368709120</mark_cache_size></yandex>\n".format(
                    d=self.dir, http=self.http_port, tcp=self.tcp_port))
        entries = "".join(
            "<{n}><password>{p}</password><networks><ip>::/0</ip></networks>"
            "<profile>default</profile><quota>default</quota></{n}>".format(n=name, p=password)
            for name, password in {"default": "", **(users or {})}.items())
        with open(os.path.join(self.dir, "users.xml"), "w") as f:
            f.write("<yandex><profiles><default/></profiles><users>%s</users>"
                    "<quotas><default/></quotas></yandex>\n" % entries)
        self.process = None
        self.start()

    def start(self):
        self._out = open(os.path.join(self.dir, "stdout.log"), "a")
        self.process = subprocess.Popen([self.binary, "--config-file=" + self.config_path],
                                        stdout=self._out, stderr=self._out, cwd=self.dir,
                                        start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url() + "/ping", timeout=2) as answer:
                    if answer.read().strip() == b"Ok.":
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("clickhouse-server did not start; see %s" % self.dir)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self):
        return "http://127.0.0.1:%d" % self.http_port

    def query(self, sql, data=None):
        """Runs `sql` (with `data` as its input) and returns the answer's bytes; raises
        RuntimeError with ClickHouse's message on an error."""
        if data is None:
            request = urllib.request.Request(self.url() + "/", data=sql.encode())
        else:
            request = urllib.request.Request(
                self.url() + "/?" + urllib.parse.urlencode({"query": sql}), data=data)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(error.read().decode("utf-8", "replace")) from None

    def rows(self, sql):
        """The rows of a SELECT, as dicts (FORMAT JSONEachRow is appended)."""
        text = self.query(sql + " FORMAT JSONEachRow").decode()
        return [json.loads(line) for line in text.splitlines() if line.strip()]


SQSLITE_CLI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools",
                           "sqslite", "node_modules", "sqslite", "bin", "cli.js")
SQS_NAMESPACE = "{http://queue.amazonaws.com/doc/2012-11-05/}"


class SqsStandIn:
    """A private sqslite (npm, pinned in tools/sqslite, installed by `scripts/services start`): the
    SQS query API (CreateQueue, GetQueueUrl, SendMessage with message attributes, ReceiveMessage,
    AWS.SimpleQueueService.NonExistentQueue) in memory, on a free port. It can be stopped and
    started again on the same port; its queues do not survive that.

    What it does not do, and how the tests cope: it checks no signature (the tests put a
    sigv4_proxy.SigV4Proxy in front); it only finds a queue by a URL on "localhost:<port>", while
    it answers GetQueueUrl with the Host header it got (so requests send Host localhost:<port>);
    it ignores MessageDeduplicationId and DelaySeconds, and its MD5OfMessageAttributes is not
    AWS's digest; ReceiveMessage hides a message for good (no visibility timeout return).
    """

    def __init__(self):
        require("node")
        if not os.path.exists(SQSLITE_CLI):
            raise RuntimeError("sqslite is not installed: run `bash scripts/services start`")
        self.port = free_port()
        self.host = "localhost:%d" % self.port
        self.dir = tempfile.mkdtemp(prefix="wg-sqslite-")
        self.process = None
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "sqslite.log"), "a")
        self.process = subprocess.Popen(
            ["node", SQSLITE_CLI, "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                if self.call("ListQueues")[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("sqslite did not start; see %s/sqslite.log" % self.dir)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.log.close()

    def call(self, action, params=()):
        """A query-API request (unsigned); returns (status, XML root element or None)."""
        import http.client
        import urllib.parse
        import xml.etree.ElementTree as ET
        body = urllib.parse.urlencode([("Action", action), ("Version", "2012-11-05"),
                                       *list(params)])
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("POST", "/", body=body, headers={
                "Host": self.host, "Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            return response.status, ET.fromstring(raw)
        except ET.ParseError:
            return response.status, None

    def queue_url(self, name):
        return "http://%s/queues/%s" % (self.host, name)

    def create_queue(self, name, fifo=False):
        params = [("QueueName", name)]
        if fifo:
            params += [("Attribute.1.Name", "FifoQueue"), ("Attribute.1.Value", "true")]
        status, root = self.call("CreateQueue", params)
        if status != 200:
            raise RuntimeError("CreateQueue %s: HTTP %d" % (name, status))
        return root.find(".//%sQueueUrl" % SQS_NAMESPACE).text

    def get_queue_url(self, name):
        """The URL, or None when the queue does not exist."""
        status, root = self.call("GetQueueUrl", [("QueueName", name)])
        if status != 200:
            return None
        return root.find(".//%sQueueUrl" % SQS_NAMESPACE).text

    def receive(self, queue_url, maximum=10):
        """Up to `maximum` messages: dicts with body, message_id, md5 and attributes
        {name: (data type, string value)}."""
        status, root = self.call("ReceiveMessage", [
            ("QueueUrl", queue_url), ("MaxNumberOfMessages", str(maximum)),
            ("MessageAttributeName.1", "All"), ("AttributeName.1", "All")])
        if status != 200:
            raise RuntimeError("ReceiveMessage %s: HTTP %d" % (queue_url, status))
        messages = []
        for message in root.iter(SQS_NAMESPACE + "Message"):
            attributes = {}
            for attribute in message.findall(SQS_NAMESPACE + "MessageAttribute"):
                value = attribute.find(SQS_NAMESPACE + "Value")
                string = value.find(SQS_NAMESPACE + "StringValue")
                attributes[attribute.find(SQS_NAMESPACE + "Name").text] = (
                    value.find(SQS_NAMESPACE + "DataType").text,
                    string.text if string is not None else None)
            messages.append({"body": message.find(SQS_NAMESPACE + "Body").text or "",
                             "message_id": message.find(SQS_NAMESPACE + "MessageId").text,
                             "md5": message.find(SQS_NAMESPACE + "MD5OfBody").text,
                             "attributes": attributes})
        return messages

    def receive_count(self, queue_url, count, timeout=15.0):
        """Receives until `count` messages came (or the timeout); returns them all."""
        messages = []
        deadline = time.time() + timeout
        while len(messages) < count and time.time() < deadline:
            got = self.receive(queue_url)
            messages += got
            if not got:
                time.sleep(0.05)
        return messages

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
