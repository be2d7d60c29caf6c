// A Kafka broker stand-in for kafka_e2e.py: librdkafka's built-in mock cluster in a process of
// its own. Debian 12 ships no Kafka broker (only clients), so the e2e test talks to this over
// real TCP with the real Kafka wire protocol. It keeps everything in memory: a test double.
//
//   kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...
//
// Prints the bootstrap servers ("127.0.0.1:PORT,...") on the first line of stdout, then reads
// commands from stdin, one a line, answering each with "ok" or "error: ...":
//   down   every broker drops its connections and refuses new ones
//   up     the brokers accept connections again
// It exits, cleanly, at the end of stdin or on "quit".
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace {

int Usage() {
  std::cerr << "usage: kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...\n";
  return 2;
}

void SetAllBrokers(rd_kafka_mock_cluster_t* cluster, int brokers, bool up) {
  for (int id = 1; id <= brokers; ++id) {
    if (up) {
      rd_kafka_mock_broker_set_up(cluster, id);
    } else {
      rd_kafka_mock_broker_set_down(cluster, id);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string value = argv[++i];
    if (arg == "--brokers") {
      brokers = std::atoi(value.c_str());
      if (brokers < 1) return Usage();
    } else if (arg == "--topic") {
      size_t colon = value.rfind(':');
      if (colon == std::string::npos || colon == 0) return Usage();
      int partitions = std::atoi(value.c_str() + colon + 1);
      if (partitions < 1) return Usage();
      topics.emplace_back(value.substr(0, colon), partitions);
    } else {
      return Usage();
    }
  }

  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == nullptr) {
    std::cerr << "kafka_mock: rd_kafka_new: " << error << "\n";
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, brokers);
  if (cluster == nullptr) {
    std::cerr << "kafka_mock: cannot create the mock cluster\n";
    rd_kafka_destroy(handle);
    return 1;
  }
  for (const auto& [name, partitions] : topics) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, brokers < 3 ? brokers : 3);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cerr << "kafka_mock: topic " << name << ": " << rd_kafka_err2str(err) << "\n";
    }
  }
  std::cout << rd_kafka_mock_cluster_bootstraps(cluster) << std::endl;

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "quit") break;
    if (line == "down" || line == "up") {
      SetAllBrokers(cluster, brokers, line == "up");
      std::cout << "ok" << std::endl;
    } else {
      std::cout << "error: unknown command \"" << line << "\"" << std::endl;
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}
