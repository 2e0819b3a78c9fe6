#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "infra/event_log.hpp"

namespace bb::codec {

// A stored domain event as a CloudEvent 1.0 (structured JSON). The envelope travels in
// extension attributes: streamid, streamversion, position, partitionkey, recordedat,
// idempotencykey, causationid, correlationid, prevhash, hash. `id` is "<stream>/<version>".
nlohmann::json to_cloudevent(const event_record& r);
std::expected<event_record, std::string> from_cloudevent(const nlohmann::json& j);

// to_cloudevent(r).dump() written straight into a string, the data copied as the JSON text it
// is (what encode() wrote), not parsed and dumped again: the Kafka partition log writes one per
// event it appends.
std::string cloudevent_text(const event_record& r);

// from_cloudevent(json::parse(text)) parsed with simdjson, the data kept as the text it was
// written as: the same records and, for a missing or mistyped attribute, the same messages.
// Every instance reads every event of the topic through one (topic_view). It keeps the parser's
// buffers between calls, so use one per thread.
class cloudevent_reader {
  public:
    cloudevent_reader();
    ~cloudevent_reader();
    cloudevent_reader(const cloudevent_reader&) = delete;
    cloudevent_reader& operator=(const cloudevent_reader&) = delete;
    std::expected<event_record, std::string> read(std::string_view text);

  private:
    struct impl;  // keeps simdjson.h out of every includer
    std::unique_ptr<impl> impl_;
};

}  // namespace bb::codec
