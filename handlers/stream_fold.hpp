#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "domain/complaint.hpp"
#include "domain/compliment.hpp"
#include "domain/prevention.hpp"
#include "infra/codec/event_codec.hpp"
#include "infra/event_log.hpp"

namespace bb {

// A stream's state and the version it was folded to.
template <class State>
struct folded_state {
    State state{};
    std::int64_t version = 0;
};

template <class State>
struct event_of;
template <>
struct event_of<complaint_state> {
    using type = complaint_event;
};
template <>
struct event_of<compliment_state> {
    using type = compliment_received;
};
template <>
struct event_of<prevention_state> {
    using type = prevention_action_recorded;
};

// The stream of a complaint's events.
std::string complaint_stream(const complaint_id& id);

// A complaint as its stream says: nothing when the stream is unknown; an error when the log
// cannot be read.
using complaint_lookup = std::expected<std::optional<complaint_state>, std::error_code>;

// A stored event as the domain's event; one the codec cannot read is a corrupt record. A stream
// has a handful of events: folding one parses them with nlohmann rather than setting up a
// simdjson parser (codec::text_decoder) per fold; bulk folds use the text decoder.
std::expected<codec::any_event, std::error_code> decode_stored(const event_record& r);

// Folds stored events onto `into`, in order.
template <class State>
std::expected<void, std::error_code> fold_records(folded_state<State>& into,
                                                  const std::vector<event_record>& records) {
    for (const auto& r : records) {
        const auto decoded = decode_stored(r);
        if (!decoded) return std::unexpected(decoded.error());
        if (const auto* e = std::get_if<typename event_of<State>::type>(&*decoded))
            into.state = evolve(std::move(into.state), *e);
        into.version = r.version;
    }
    return {};
}

// A stream's state as the log has it now.
template <class State>
std::expected<folded_state<State>, std::error_code> fold_stream(event_log& log,
                                                                const std::string& stream) {
    const auto records = log.read_stream(stream, 1);
    if (!records) return std::unexpected(records.error());
    folded_state<State> out;
    if (auto ok = fold_records(out, *records); !ok) return std::unexpected(ok.error());
    return out;
}

// A complaint's state folded from its stream in a log (any instance can answer from the topic).
complaint_lookup fold_complaint(event_log& log, const complaint_id& id);

}  // namespace bb
