#pragma once

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
int simulate(const cli_args& args);
// Kafka: app/kafka_tools.cpp
int publish(const cli_args& args);
int export_topic(const cli_args& args);
int verify_topic(const cli_args& args);
int lag(const cli_args& args);

}  // namespace bb::app
