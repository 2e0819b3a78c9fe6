#pragma once

#include <string>
#include <string_view>

#include "infra/event_log.hpp"

namespace bb {

// hash = hex(SHA-256(prev_hash || canonical bytes)). The canonical bytes are every stored
// field but the hashes, each written as <length>:<bytes>, in a fixed order (docs/audit.md).
std::string canonical_bytes(const event_record& e);
std::string chain_hash(std::string_view prev_hash, const event_record& e);
std::string sha256_hex(std::string_view bytes);

// The first event's prev_hash.
inline constexpr std::string_view genesis_hash =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace bb
