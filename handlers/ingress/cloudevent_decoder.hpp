#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/complaint.hpp"
#include "domain/compliment.hpp"
#include "domain/prevention.hpp"

namespace bb::inbound {

// An inbound CloudEvent 1.0 whose envelope was validated.
struct cloud_event {
    std::string id;
    std::string source;
    std::string type;
    instant time{};
    nlohmann::json data;
    std::string partition_key;  // the `partitionkey` extension attribute, when present
    // The distributed-tracing extension's attributes (W3C Trace Context), as sent; an invalid
    // value is kept here and ignored where it is used (trace::parse), as W3C asks.
    std::string traceparent;
    std::string tracestate;
};

// What went wrong with an inbound message, naming the field, for problem+json (400 when the
// bytes are not JSON at all, 422 when the JSON is not a valid event) and dead-letter reasons.
struct invalid_input {
    int status = 422;
    std::string field;  // "data.customer.id", "time", "" for the body as a whole
    std::string detail;
    std::size_t index = 0;  // which event of a batch
};

// A customer fact that is routed to the customer's complaints waiting for a bounce-back.
struct customer_signal {
    idempotency_key key;
    customer_id customer;
    std::optional<complaint_id> complaint;  // surveys may name one
    std::optional<activity_kind> activity;  // customer.activity
    std::optional<money> value;
    std::optional<int> score;  // survey.responded
    instant at{};

    complaint_command for_complaint(const complaint_id& id) const;
    bool operator==(const customer_signal&) const = default;
};

using command =
    std::variant<complaint_command, receive_compliment, record_prevention_action, customer_signal>;

inline constexpr std::size_t max_batch = 1000;

// A webhook body: one structured-mode CloudEvent or a JSON array of them.
std::expected<std::vector<cloud_event>, invalid_input> parse_body(std::string_view body);
std::expected<cloud_event, invalid_input> parse_event(const nlohmann::json& j);
// A structured-mode Kafka record's value: one event object.
std::expected<cloud_event, invalid_input> parse_record_value(std::string_view value);
// The command an event asks for; the idempotency key is "<source>/<id>".
std::expected<command, invalid_input> to_command(const cloud_event& e);

// An inbound event and the command it asks for.
struct decoded_event {
    cloud_event event;  // with its data document only where cloudevent_decoder is asked to keep it
    command cmd;
};

// parse_body and to_command of every event in one pass over the text, with simdjson instead of a
// nlohmann document (every webhook and Kafka record comes this way): the same commands and the same
// errors. A text simdjson refuses goes the nlohmann way, which decides and says why. Keeps the
// parser's buffers between calls: one per thread.
class cloudevent_decoder {
  public:
    cloudevent_decoder();
    ~cloudevent_decoder();
    cloudevent_decoder(const cloudevent_decoder&) = delete;
    cloudevent_decoder& operator=(const cloudevent_decoder&) = delete;

    // A webhook body. An event's error names it ("[2].data.severity") when the body is an array
    // (envelopes; every envelope is checked before any data) or holds several (data).
    // keep_data: fill each event's data document, for an ingress that forwards the events.
    std::expected<std::vector<decoded_event>, invalid_input> decode_body(std::string_view body,
                                                                         bool keep_data);
    // A structured-mode Kafka record's value: one event object.
    std::expected<decoded_event, invalid_input> decode_event(std::string_view value);

  private:
    struct impl;  // keeps simdjson.h out of every includer
    std::unique_ptr<impl> impl_;
};

// HTTP binary content mode (CloudEvents HTTP protocol binding 3.1): the attributes from the `ce-`
// headers (`attributes`: names without the prefix, lower-case; values as sent, percent-encoded),
// the data in the body, its media type in Content-Type (absent: JSON). Only JSON data is taken.
std::expected<decoded_event, invalid_input> decode_binary(
    const std::vector<std::pair<std::string, std::string>>& attributes,
    std::string_view content_type, std::string_view body);
// Whether text is UTF-8 (JSON strings must be; header bytes are not checked by any parser).
bool valid_utf8(std::string_view s);

// The key that places an event on its customer's partition: the customer id from the data,
// else the `partitionkey` attribute; empty when neither says (prevention actions).
std::string routing_key(const cloud_event& e, const command& c);
// The event in structured mode, as it is produced to the inbound topic.
nlohmann::json to_json(const cloud_event& e);

// The inbound types this service accepts (spec section 3).
const std::vector<std::string_view>& known_types();

}  // namespace bb::inbound
