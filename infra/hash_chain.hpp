#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "infra/event_log.hpp"

namespace bb {

// hash = hex(SHA-256(prev_hash || canonical bytes)). The canonical bytes are every stored
// field but the hashes, each written as <length>:<bytes>, in a fixed order (docs/audit.md).
std::string canonical_bytes(const event_record& e);
std::string chain_hash(std::string_view prev_hash, const event_record& e);
std::string sha256_hex(std::string_view bytes);

struct chain_report {
    bool intact = true;
    std::int64_t events = 0;  // the intact prefix's length (all events when intact)
    // Of those, how many this walk checked: the rest were checked by an earlier walk that this
    // one continued (Kafka mode's incremental verify).
    std::int64_t checked = 0;
    std::string head;  // hash of the last event checked
    std::optional<event_record> first_bad;
    std::string problem;  // why first_bad fails
};

// Walks the whole log from position 1: positions gapless, each prev_hash the previous hash,
// each hash recomputed from the event's bytes. Stops at the first bad event.
std::expected<chain_report, std::error_code> verify_chain(event_log& log);
// The same from the end of an earlier intact walk of the same log (`from.events` events ending
// in `from.head`): checks only what came after.
std::expected<chain_report, std::error_code> verify_chain(event_log& log, chain_report from);

// The first event's prev_hash.
inline constexpr std::string_view genesis_hash =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace bb
