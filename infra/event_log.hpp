#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
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
    // The W3C trace context of the span that decided the event (docs/operations.md, "Tracing");
    // empty for events decided without one (batch runs, logs written before traces were kept).
    std::string traceparent{};
    std::string tracestate{};
    bool operator==(const event_record&) const = default;
};

// What the projections fold of a stored event: no stream coordinates, hashes or causation ids.
// Its text lives in the fold_page it came from.
struct fold_record {
    std::int64_t position = 0;
    std::string_view type;
    std::string_view data;
    std::string_view idempotency_key;
    instant time{};
    instant recorded_at{};
};

// A page of fold_records for bulk folds (start-up, replay): the text of every record in one
// buffer, so a page costs a handful of allocations instead of ~9 strings per event.
class fold_page {
  public:
    void add(std::int64_t position, std::string_view type, std::string_view data,
             std::string_view idempotency_key, instant time, instant recorded_at);
    void add(const event_record& r) {
        add(r.position, r.type, r.data, r.idempotency_key, r.time, r.recorded_at);
    }
    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    fold_record operator[](std::size_t i) const;
    fold_record back() const { return (*this)[size() - 1]; }

  private:
    // Offsets into text_: type [type, data), data [data, key), key [key, end).
    struct entry {
        std::int64_t position;
        instant time;
        instant recorded_at;
        std::size_t type, data, key, end;
    };
    std::vector<entry> entries_;
    std::string text_;
};

struct proposed_event {
    std::string type;
    std::string data;
    instant time{};
    std::string idempotency_key;
    std::string causation_id;
    std::string correlation_id;
    std::string traceparent{};
    std::string tracestate{};
};

// What the command side keeps of a stream between restarts: whose it is, the state it is in and
// its next deadline. Logs that keep a summary index store it in the same transaction as the
// events, so a restart reads the open streams instead of folding the whole log.
struct stream_summary {
    std::string partition_key;
    std::string status;
    std::string previous_status;  // before this append; empty for a new stream
    std::optional<instant> next_due;
    bool operator==(const stream_summary&) const = default;
};
// The stream has no summary (compliments, prevention actions).
struct no_summary {};
// The writer does not know the stream's summary (an import of raw events): an index that missed
// it is incomplete until it is rebuilt from the log.
struct summary_unknown {};
using append_summary = std::variant<summary_unknown, no_summary, stream_summary>;

struct append_request {
    std::string stream;
    std::string partition_key;
    std::int64_t expected_version = 0;  // the version the decision saw; 0 = the stream is new
    std::vector<proposed_event> events;
    // Durable idempotency: a repeated key with the same events is acknowledged and writes
    // nothing; the same key with other events is a conflict. Empty = no idempotency check.
    // A key names a request on its stream (callers build it from the message id and the
    // stream); logs look it up among that stream's requests.
    std::string request_key;
    instant recorded_at{};
    append_summary summary{};
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
    using append_callback = std::function<void(std::expected<append_result, std::error_code>)>;
    // Queues the append and returns; `done` runs once the events are durable or the append
    // failed. Appends are applied in the order they were queued. `done` may run on the log's
    // own thread, or on the caller's before append_async returns: it must not block or wait
    // for a lock the caller may hold. This default appends synchronously.
    virtual void append_async(append_request request, append_callback done) {
        done(append(std::move(request)));
    }
    virtual std::expected<std::vector<event_record>, std::error_code> read_stream(
        const std::string& stream, std::int64_t from_version = 1) = 0;
    // Events with position >= from, at most max of them, in order.
    virtual std::expected<std::vector<event_record>, std::error_code> read_all(
        std::int64_t from_position, std::size_t max) = 0;
    // The same events as read_all, with only what projections fold (see fold_page). Logs that
    // can skip the other fields override it.
    virtual std::expected<fold_page, std::error_code> read_fold_page(std::int64_t from_position,
                                                                     std::size_t max);
    virtual std::int64_t head() = 0;  // the last position, 0 when empty
    // Catches up from `from_position` and then follows new events, in order, on a thread of
    // its own, until the returned handle is destroyed.
    virtual std::unique_ptr<subscription> subscribe(
        std::int64_t from_position, std::function<void(const event_record&)> handler) = 0;
};

// What a restart needs of the summaries: how many streams are in each status, and each stream's
// partition key and next deadline.
struct summary_row {
    std::string stream;
    std::string partition_key;
    std::optional<instant> next_due;
};
struct summary_snapshot {
    std::map<std::string, std::int64_t> by_status;
    std::vector<summary_row> rows;
};

// A log's index of stream summaries (see stream_summary). It covers the log when every append
// carried its summary; otherwise the owner rebuilds it once with replace_summaries.
class summary_index {
  public:
    virtual ~summary_index() = default;
    // Nothing when the index does not cover every event in the log (a data directory written
    // before the index existed, an import of raw events).
    virtual std::expected<std::optional<summary_snapshot>, std::error_code> load_summaries() = 0;
    // Replaces the whole index with these summaries, covering the log as it is now. Only while
    // nothing is being appended (before serving).
    virtual std::expected<void, std::error_code> replace_summaries(
        const std::vector<std::pair<std::string, stream_summary>>& summaries) = 0;
};

}  // namespace bb

template <>
struct std::is_error_code_enum<bb::log_errc> : std::true_type {};
