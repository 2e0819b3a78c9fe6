// The CFPB CSV importer: any bytes either fail with a message or import; whatever it imports is an
// inbound event our own decoder accepts, in time order.
#include <cstdint>
#include <sstream>
#include <string>

#include "handlers/cfpb_import.hpp"
#include "handlers/ingress/cloudevent_decoder.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace bb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    std::istringstream in{std::string(bytes)};
    const auto result = cfpb::import_csv(in);
    if (!result) {
        fuzz::require(!result.error().empty(), "a refused file says why", bytes);
        return 0;
    }
    fuzz::require(result->errors.size() <= result->rows, "more errors than rows", bytes);
    instant previous = instant::min();
    for (const auto& j : result->events) {
        const auto e = inbound::parse_event(j);
        fuzz::require(e.has_value(), "the importer made an event the decoder rejects", bytes);
        fuzz::require(inbound::to_command(*e).has_value(),
                      "the importer made an event that is no valid command", bytes);
        fuzz::require(e->time >= previous, "imported events are not in time order", bytes);
        previous = e->time;
    }
    return 0;
}
