#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "domain/time.hpp"

namespace bb {

// An event as the log stores it. `data` is the JSON text produced by the codec.
struct event_record {
    std::int64_t position = 0;  // global, 1-based, gapless
    std::string stream;         // complaint-<id>, compliment-<id>, prevention-<id>
    std::int64_t version = 0;   // 1-based within the stream
    std::string partition_key;  // customer id
    std::string type;
    std::string data;
    instant time{};         // when it took effect (CloudEvent time)
    instant recorded_at{};  // when the log stored it
    std::string idempotency_key;
    std::string causation_id;
    std::string correlation_id;
    std::string prev_hash;
    std::string hash;
    bool operator==(const event_record&) const = default;
};

struct proposed_event {
    std::string type;
    std::string data;
    instant time{};
    std::string idempotency_key;
    std::string causation_id;
    std::string correlation_id;
};

struct append_request {
    std::string stream;
    std::string partition_key;
    std::int64_t expected_version = 0;  // the version the decision saw; 0 = the stream is new
    std::vector<proposed_event> events;
    // Durable idempotency: a repeated key with the same events is acknowledged and writes
    // nothing; the same key with other events is a conflict. Empty = no idempotency check.
    std::string request_key;
    instant recorded_at{};
};

struct append_result {
    std::int64_t first_position = 0;
    std::int64_t last_position = 0;
    std::int64_t stream_version = 0;
    bool duplicate = false;
};

// What makes two appends under one request key "the same request": stream and events.
std::string request_digest(const append_request& r);

enum class log_errc {
    wrong_expected_version = 1,
    idempotency_conflict,
    storage_failure,
    closed,
    corrupt_record,
};
const std::error_category& log_category();
std::error_code make_error_code(log_errc e);

class subscription {
  public:
    virtual ~subscription() = default;
};

// The event log every runtime shape implements: SQLite on one box, Kafka when scaled out.
class event_log {
  public:
    virtual ~event_log() = default;

    // Blocks until the events are durable (or the append failed).
    virtual std::expected<append_result, std::error_code> append(append_request request) = 0;
    virtual std::expected<std::vector<event_record>, std::error_code> read_stream(
        const std::string& stream, std::int64_t from_version = 1) = 0;
    // Events with position >= from, at most max of them, in order.
    virtual std::expected<std::vector<event_record>, std::error_code> read_all(
        std::int64_t from_position, std::size_t max) = 0;
    virtual std::int64_t head() = 0;  // the last position, 0 when empty
    // Catches up from `from_position` and then follows new events, in order, on a thread of
    // its own, until the returned handle is destroyed.
    virtual std::unique_ptr<subscription> subscribe(
        std::int64_t from_position, std::function<void(const event_record&)> handler) = 0;
};

}  // namespace bb

template <>
struct std::is_error_code_enum<bb::log_errc> : std::true_type {};
