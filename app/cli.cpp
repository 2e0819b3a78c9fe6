#include "app/cli.hpp"

#include <filesystem>
#include <iostream>
#include <set>

namespace bb::app {

std::optional<std::string> cli_args::flag(const std::string& name) const {
    const auto it = flags.find(name);
    if (it == flags.end()) return std::nullopt;
    return it->second;
}

std::optional<cli_args> parse_args(int argc, char** argv, std::string& error) {
    static const std::map<std::string, std::string> config_flags = {
        {"listen", "listen"},
        {"data-dir", "data_dir"},
        {"data", "data_dir"},
        {"kafka", "kafka.brokers"},
        {"kafka-group", "kafka.group"},
        {"synchronous", "storage.synchronous"},
        {"instance", "kafka.instance_id"}};
    static const std::set<std::string> plain_flags = {"config",     "input",     "until", "format",
                                                      "projection", "topic",     "mode",  "events",
                                                      "seed",       "customers", "start"};
    cli_args a;
    if (argc < 2) {
        error = "missing command";
        return std::nullopt;
    }
    a.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (!arg.starts_with("--")) {
            a.positional.push_back(arg);
            continue;
        }
        arg.erase(0, 2);
        std::string value;
        if (const auto eq = arg.find('='); eq != std::string::npos && !arg.starts_with("set")) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            error = "--" + arg + " needs a value";
            return std::nullopt;
        }
        if (arg == "set" || arg.starts_with("set=")) {
            if (arg.starts_with("set=")) value = arg.substr(4);
            const auto eq = value.find('=');
            if (eq == std::string::npos) {
                error = "--set takes key.path=value";
                return std::nullopt;
            }
            a.overrides.emplace_back(value.substr(0, eq), value.substr(eq + 1));
        } else if (const auto it = config_flags.find(arg); it != config_flags.end()) {
            a.overrides.emplace_back(it->second, value);
            a.flags[arg] = value;
        } else if (plain_flags.contains(arg)) {
            a.flags[arg] = value;
        } else {
            error = "unknown flag --" + arg;
            return std::nullopt;
        }
    }
    return a;
}

std::optional<config> load(const cli_args& args) {
    auto path = args.flag("config");
    if (!path && std::filesystem::exists("bounceback.yaml")) path = "bounceback.yaml";
    if (!path) {
        std::cerr
            << "bounceback: no configuration: pass --config FILE (see config/bounceback.yaml)\n";
        return std::nullopt;
    }
    auto cfg = load_config_file(*path, args.overrides);
    if (!cfg) {
        std::cerr << "bounceback: invalid configuration in " << *path << ": " << cfg.error()
                  << '\n';
        return std::nullopt;
    }
    return *cfg;
}

}  // namespace bb::app
