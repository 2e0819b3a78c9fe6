// The inbound CloudEvent decoder, both ways it is fed: a webhook body (structured mode, one event
// or a batch) and a Kafka record in binary mode (`ce_` headers + data). Whatever it accepts must
// survive the round trip decode -> encode -> decode unchanged, and translate to the same command.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "handlers/ingress/cloudevent_decoder.hpp"
#include "handlers/ingress/kafka_record_decoder.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace bb;

namespace {

bool same(const inbound::cloud_event& a, const inbound::cloud_event& b) {
    return a.id == b.id && a.source == b.source && a.type == b.type && a.time == b.time &&
           a.data == b.data && a.partition_key == b.partition_key;
}

void round_trip(const inbound::cloud_event& e) {
    const auto encoded = inbound::to_json(e).dump();
    const auto again = inbound::parse_body(encoded);
    fuzz::require(again.has_value(), "an accepted event is rejected after encoding", encoded);
    fuzz::require(again->size() == 1, "one event encodes as one event", encoded);
    fuzz::require(same(e, again->front()), "decode -> encode -> decode changed the event", encoded);
    const auto first = inbound::to_command(e);
    const auto second = inbound::to_command(again->front());
    fuzz::require(first.has_value() == second.has_value(),
                  "the re-decoded event translates differently", encoded);
    if (first) {
        fuzz::require(
            inbound::routing_key(e, *first) == inbound::routing_key(again->front(), *second),
            "the re-decoded event routes to another partition", encoded);
    } else {
        fuzz::require(first.error().field == second.error().field,
                      "the re-decoded event fails on another field", encoded);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in{data, size};
    if (in.take_bool()) {
        const auto events = inbound::parse_body(in.rest());
        if (events)
            for (const auto& e : *events) round_trip(e);
        else
            fuzz::require(events.error().status == 400 || events.error().status == 422,
                          "a rejected body is a 400 or a 422", in.rest());
        return 0;
    }
    // Binary mode: "name: value" header lines, an empty line, then the record value.
    kafka::record r;
    for (auto line = in.take_line(); !line.empty(); line = in.take_line()) {
        const auto colon = line.find(": ");
        if (colon == std::string_view::npos) continue;
        r.headers.emplace_back(std::string(line.substr(0, colon)),
                               std::string(line.substr(colon + 2)));
    }
    r.value = std::string(in.rest());
    if (const auto e = inbound::from_kafka(r)) round_trip(*e);
    return 0;
}
