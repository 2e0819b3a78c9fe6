#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infra/config/config.hpp"

namespace bb::app {

// `bounceback <command> [--flag value]... [--set key.path=value]...`
struct cli_args {
    std::string command;
    std::map<std::string, std::string> flags;
    config_overrides overrides;  // from --set and from flags that name config keys
    std::vector<std::string> positional;

    std::optional<std::string> flag(const std::string& name) const;
};

// Flags that are config keys: --listen, --data-dir (alias --data), --kafka (kafka.brokers),
// --kafka-group, --synchronous. Unknown flags are an error, reported with exit code 2.
std::optional<cli_args> parse_args(int argc, char** argv, std::string& error);

// Loads --config FILE (or ./bounceback.yaml when present) with the overrides; prints the error
// and returns nullopt on failure (the caller exits with 2).
std::optional<config> load(const cli_args& args);

}  // namespace bb::app
