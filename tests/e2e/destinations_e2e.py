"""One webhook, one parallel chain to the message destinations of issue 8 that this build has,
each read back where it landed: Kafka (librdkafka's mock cluster: no Kafka broker can be
installed here), ActiveMQ (STOMP, through RabbitMQ's STOMP plugin), MQTT (a private mosquitto),
WebSocket (a python3-websockets server), MySQL (a private MariaDB), ZeroMQ (PUSH to a python3-zmq
PULL peer), ClickHouse (a private clickhouse-server), AWS SQS (sqslite behind the SigV4-checking
proxy), plus RabbitMQ (AMQP) and save_to_disk. The helpers come from the per-destination tests,
imported as modules so that their tests do not run here again.
"""
import json
import os
import shutil
import tempfile
import unittest
import uuid

import kafka_e2e
import mqtt_e2e
import rabbitmq_e2e
import websocket_e2e
import zeromq_e2e
from gateway import Gateway, wait_until
from services import (ClickhouseServer, KafkaMockCluster, MariadbServer, MosquittoServer,
                      SqsStandIn, services_env)
from sigv4_proxy import SigV4Proxy

ENV = services_env()
AUTH = {"Authorization": "Bearer every-destination"}


class EveryDestinationTest(unittest.TestCase):
    def setUp(self):
        self.queue = "wg_all_amqp_" + uuid.uuid4().hex[:10]
        self.stomp_queue = "wg_all_stomp_" + uuid.uuid4().hex[:10]
        self.broker = rabbitmq_e2e.Broker()
        self.mosquitto = MosquittoServer()
        self.subscriber = mqtt_e2e.Subscriber(self.mosquitto.port, topic="all/#")
        self.websocket = websocket_e2e.Server()
        self.kafka = KafkaMockCluster({"orders": kafka_e2e.PARTITIONS})
        self.pull = zeromq_e2e.Peer(zeromq_e2e.zmq.PULL)
        self.disk = tempfile.mkdtemp(prefix="wg-all-disk-")
        self.mariadb = MariadbServer()
        self.clickhouse = ClickhouseServer()
        self.sqs = SqsStandIn()
        self.sqs_proxy = SigV4Proxy(self.sqs.port, {"AKIDALL": "all-secret"}, service="sqs",
                                    upstream_host=self.sqs.host)
        self.gateway = None

    def tearDown(self):
        if self.gateway:
            self.gateway.stop()
        self.subscriber.close()
        self.mosquitto.stop()
        self.websocket.stop()
        self.kafka.close()
        self.mariadb.close()
        self.pull.close()
        self.clickhouse.close()
        self.sqs_proxy.close()
        self.sqs.close()
        for queue in (self.queue, self.stomp_queue):
            self.broker.delete(queue)
        self.broker.close()
        shutil.rmtree(self.disk, ignore_errors=True)

    def test_a_parallel_chain_delivers_to_every_destination(self):
        host = ENV.get("WG_HOST", "127.0.0.1")
        connections = {
            "amqp": {"type": "rabbitmq", "host": host, "port": int(ENV["WG_RABBITMQ_PORT"]),
                     "user": "guest", "pass": "guest"},
            "stomp": {"type": "activemq", "host": host, "port": int(ENV["WG_STOMP_PORT"]),
                      "user": "guest", "password": "guest"},
            "mosquitto": {"type": "mqtt", "host": "127.0.0.1", "port": self.mosquitto.port},
            "cluster": {"type": "kafka", "bootstrap_servers": self.kafka.bootstrap_servers},
            "mariadb": {"type": "mysql", "host": "127.0.0.1", "port": self.mariadb.port,
                        "database": "gw"},
            "warehouse": {"type": "clickhouse", "host": "127.0.0.1",
                          "port": self.clickhouse.http_port},
            "sqs": {"type": "aws_sqs", "aws_access_key_id": "AKIDALL",
                    "aws_secret_access_key": "all-secret",
                    "endpoint_url": "http://127.0.0.1:%d" % self.sqs_proxy.port},
        }
        chain = [
            {"module": "rabbitmq", "connection": "amqp",
             "module-config": {"queue_name": self.queue}},
            {"module": "activemq", "connection": "stomp",
             "module-config": {"destination": self.stomp_queue}},
            {"module": "mqtt", "connection": "mosquitto",
             "module-config": {"topic": "all/orders", "qos": 1}},
            {"module": "websocket",
             "module-config": {"url": "ws://127.0.0.1:%d/in" % self.websocket.port,
                               "allowed_hosts": ["127.0.0.1"]}},
            {"module": "kafka", "connection": "cluster",
             "module-config": {"topic": "orders", "key_pointer": "/order"}},
            {"module": "zeromq",
             "module-config": {"endpoint": "tcp://127.0.0.1:%d" % self.pull.port,
                               "socket_type": "PUSH", "allowed_hosts": ["127.0.0.1"]}},
            {"module": "aws_sqs", "connection": "sqs",
             "module-config": {"queue_name": "wg-all-orders"}},
            {"module": "save_to_disk", "module-config": {"base_dir": self.disk}},
            {"module": "mysql", "connection": "mariadb", "module-config": {"table": "orders"}},
            {"module": "clickhouse", "connection": "warehouse",
             "module-config": {"table": "all_orders"}},
        ]
        self.gateway = Gateway({"orders": {"authorization": AUTH["Authorization"], "chain": chain,
                                           "chain-config": {"execution": "parallel"},
                                           "acknowledge": "delivered"}},
                               connections=connections)
        payload = {"order": 42, "items": ["a", "b"]}
        status, _, answer = self.gateway.post("orders", payload, AUTH)
        self.assertEqual(status, 200, answer)  # delivered: every item has finished

        kafka = kafka_e2e.read_topic(self.kafka, "orders", 1)
        self.assertEqual([(key, json.loads(value)) for key, value, _, _ in kafka],
                         [(b"42", payload)])
        amqp = self.broker.drain(self.queue, 1)
        self.assertEqual([json.loads(body) for _, body in amqp], [payload])
        stomp = self.broker.drain(self.stomp_queue, 1)
        self.assertEqual([json.loads(body) for _, body in stomp], [payload])
        mqtt = self.subscriber.received(1)
        self.assertEqual([(topic, json.loads(body)) for topic, body, _, _ in mqtt],
                         [("all/orders", payload)])
        self.assertEqual([json.loads(message)["payload"]
                          for _, _, message in self.websocket.received], [payload])
        rows = self.mariadb.execute("SELECT webhook_id, delivery_id, payload FROM orders",
                                    database="gw")
        self.assertEqual([(webhook, delivery, json.loads(stored)) for webhook, delivery, stored in rows],
                         [("orders", answer["id"], payload)])
        self.assertEqual([[json.loads(frame) for frame in frames]
                          for frames in self.pull.received(1)], [[payload]])
        rows = self.clickhouse.rows("SELECT id, webhook_id, payload FROM all_orders")
        self.assertEqual([(r["id"], r["webhook_id"], json.loads(r["payload"])) for r in rows],
                         [(answer["id"], "orders", payload)])
        sqs = self.sqs.receive(self.sqs.queue_url("wg-all-orders"))
        self.assertEqual([(json.loads(m["body"]), m["attributes"]["webhook-delivery-id"][1])
                          for m in sqs], [(payload, answer["id"])])
        self.assertEqual(self.sqs_proxy.rejected, [])
        files = os.listdir(self.disk)
        self.assertEqual(len(files), 1)
        with open(os.path.join(self.disk, files[0])) as f:
            self.assertEqual(json.load(f), payload)
        self.assertTrue(wait_until(lambda: "chain delivered" in self.gateway.stderr()))


if __name__ == "__main__":
    unittest.main()
