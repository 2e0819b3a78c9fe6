#pragma once

#include <expected>
#include <string>

#include <nlohmann/json.hpp>

#include "infra/event_log.hpp"

namespace bb::codec {

// A stored domain event as a CloudEvent 1.0 (structured JSON). The envelope travels in
// extension attributes: streamid, streamversion, position, partitionkey, recordedat,
// idempotencykey, causationid, correlationid, prevhash, hash. `id` is "<stream>/<version>".
nlohmann::json to_cloudevent(const event_record& r);
std::expected<event_record, std::string> from_cloudevent(const nlohmann::json& j);

}  // namespace bb::codec
