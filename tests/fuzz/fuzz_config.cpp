// The YAML configuration loader: any text, with any override, is a configuration or an error
// naming what is wrong; never a crash or an escaped exception.
#include <cstdint>
#include <string>

#include "infra/config/config.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace bb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in{data, size};
    config_overrides overrides;
    if (in.take_bool()) {
        const auto line = in.take_line();
        const auto eq = line.find('=');
        if (eq != std::string_view::npos)
            overrides.emplace_back(std::string(line.substr(0, eq)),
                                   std::string(line.substr(eq + 1)));
    }
    const std::string yaml(in.rest());
    const auto cfg = load_config(yaml, overrides);
    if (!cfg) fuzz::require(!cfg.error().empty(), "a refused configuration says why", yaml);
    return 0;
}
