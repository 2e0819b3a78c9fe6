#pragma once

#include <cstddef>
#include <expected>

#include "handlers/ingress/cloudevent_decoder.hpp"
#include "infra/kafka/client.hpp"

namespace bb::inbound {

// Larger inbound records are dead-lettered unread.
inline constexpr std::size_t max_record_bytes = 256 * 1024;

// An inbound Kafka record as a CloudEvent: structured mode (the value is the event, content
// type application/cloudevents+json) or binary mode (attributes in `ce_` headers, the value is
// the data). The same validation as webhooks.
std::expected<cloud_event, invalid_input> from_kafka(const kafka::record& r);
// from_kafka and to_command; structured-mode values (the common case) decoded by `d`, without
// a data document.
std::expected<decoded_event, invalid_input> decode_kafka_record(const kafka::record& r,
                                                                cloudevent_decoder& d);

}  // namespace bb::inbound
