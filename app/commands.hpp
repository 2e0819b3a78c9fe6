#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "app/cli.hpp"

namespace bb::app {

// Each returns the process exit code: 0 success, 1 failure, 2 usage or configuration error.
int serve(const cli_args& args);
int serve_kafka(const config& cfg);
int process(const cli_args& args);
int export_events(const cli_args& args);
int import_events(const cli_args& args);
int verify(const cli_args& args);
int replay(const cli_args& args);
int audit(const cli_args& args);
int whatif_report(const cli_args& args);
int simulate(const cli_args& args);
// Kafka: app/kafka_tools.cpp
int publish(const cli_args& args);
int export_topic(const cli_args& args);
int verify_topic(const cli_args& args);
int lag(const cli_args& args);

// The settings every CLI Kafka client starts from: the brokers and, with a configuration, its
// kafka.client properties (security, timeouts), as serve uses them. librdkafka's name/value
// pairs (kafka::settings).
using kafka_client = std::vector<std::pair<std::string, std::string>>;
kafka_client cli_client(const std::string& brokers, const config* cfg);

// What publish, and import/process with --kafka, share. Each line from `next` (false: no more)
// is one inbound record, keyed by its customer; returns how many the broker acknowledged, or
// why not all of them were.
std::expected<std::size_t, std::string> publish_lines(
    const kafka_client& client, const std::string& topic, bool binary,
    const std::function<bool(std::string&)>& next);
// Waits until `group` has committed every record `topic` held when this was called: the
// cluster has decided them (rejections are in the dead-letter topic).
std::expected<void, std::string> wait_processed(const kafka_client& client,
                                                const std::string& group, const std::string& topic,
                                                std::chrono::seconds timeout);

}  // namespace bb::app
