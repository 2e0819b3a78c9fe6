#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "domain/complaint.hpp"
#include "domain/compliment.hpp"
#include "domain/event.hpp"
#include "domain/prevention.hpp"

namespace bb::codec {

// Every event the log can hold (domain/event.hpp).
using bb::any_event;

std::string_view type_name(const any_event& e);
instant time_of(const any_event& e);
const idempotency_key& key_of(const any_event& e);

// The event's `data` as stored and published (snake_case, RFC 3339 instants, ISO 8601
// durations), as compact JSON text with the keys in order (what nlohmann dumps). The idempotency
// key and the instant (CloudEvent `time`) travel in the record envelope, not in data. With
// `customer_id`, the data carries it as every appended event does (a compliment's own customer
// is then replaced by it).
std::string encode_text(const any_event& e,
                        std::optional<std::string_view> customer_id = std::nullopt);
// The same data as a document, for callers that build documents.
nlohmann::json encode(const any_event& e);

// Decodes stored data back into an event. Unknown fields are ignored (forward compatible);
// a missing field is an error naming it.
std::expected<any_event, std::string> decode(std::string_view type, const nlohmann::json& data,
                                             const idempotency_key& key, instant at);

// decode() straight from the data's JSON text, parsed with simdjson instead of into a nlohmann
// document: the same events and the same messages for a missing or mistyped field, without a
// document per event (replay decodes every stored event). It keeps the parser's buffers between
// calls, so use one per thread.
class text_decoder {
  public:
    text_decoder();
    ~text_decoder();
    text_decoder(const text_decoder&) = delete;
    text_decoder& operator=(const text_decoder&) = delete;
    std::expected<any_event, std::string> decode(std::string_view type, std::string_view data,
                                                 const idempotency_key& key, instant at);

  private:
    struct impl;  // keeps simdjson.h out of every includer
    std::unique_ptr<impl> impl_;
};

nlohmann::json encode_policy(const sla_policy& p);
std::expected<sla_policy, std::string> decode_policy(const nlohmann::json& j);

}  // namespace bb::codec
