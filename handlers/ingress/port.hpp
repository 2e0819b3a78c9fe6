#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <system_error>

#include "domain/complaint.hpp"
#include "handlers/ingress/cloudevent_decoder.hpp"
#include "handlers/stream_fold.hpp"
#include "infra/trace_context.hpp"

namespace bb {

// Where a command came from, for the events' envelope.
struct command_meta {
    std::string causation_id;    // "<source>/<id>" of the inbound event, or "scheduler"
    std::string correlation_id;  // the webhook delivery / Kafka record that carried it
    instant recorded_at{};       // the log's clock: wall time when serving, virtual in `process`
    // A webhook delivery's events: this one's place in it (Kafka mode reports each outcome
    // under the delivery's correlation id, so a sender can learn them; docs/kafka.md).
    std::size_t batch_index = 0;
    std::size_t batch_size = 0;  // 0: not part of a webhook delivery
    // The span that decides the command; its traceparent is stored with the events. Invalid (no
    // trace) for batch runs, whose output must not depend on random ids.
    trace::context trace{};
};

struct command_outcome {
    enum class kind { applied, unchanged, rejected };
    kind result = kind::unchanged;  // unchanged: a redelivery, or a fact with no effect
    std::optional<rejection> why;
    std::size_t events = 0;
};

// What the Kafka processor decided for one event of a webhook delivery, as every instance reads
// it back from the outcomes topic.
struct decided_outcome {
    std::size_t index = 0;  // the event's place in its delivery
    std::size_t of = 0;     // the delivery's number of events
    std::string id;         // the CloudEvent id
    std::string type;
    command_outcome::kind result = command_outcome::kind::unchanged;
    std::string reason;  // rejected: the rejection code
    std::string detail;
};

// Storage errors come back as the error; rejections are an outcome.
using submit_result = std::expected<command_outcome, std::error_code>;
using outcome_callback = std::function<void(submit_result)>;

// The port inbound events go through, in either runtime shape: embedded (local_ingress: decided
// and appended here) or Kafka (kafka_ingress: produced to the inbound topic for the partition's
// owner to decide). Also where the HTTP API finds a complaint's state.
class ingress {
  public:
    virtual ~ingress() = default;
    // `done` runs once the event is durable (appended to the log, or acknowledged by the
    // broker), possibly on another thread; it must not block. Events submitted one after the
    // other on one stream are decided in that order.
    virtual void submit(const inbound::cloud_event& e, const inbound::command& c,
                        const command_meta& meta, outcome_callback done) = 0;
    // Whether submit() waits for durability before it returns (then it must not be called on an
    // HTTP I/O thread), or queues and returns.
    virtual bool submit_blocks() const = 0;
    // Whether submit reads the event's data document (an ingress that forwards events does);
    // the HTTP API then keeps it when it decodes a body.
    virtual bool reads_event_data() const = 0;
    virtual complaint_lookup complaint(const complaint_id& id) const = 0;
    // Whether complaint() answers from memory (an HTTP I/O thread may then call it).
    virtual bool complaint_in_memory(const complaint_id& id) const = 0;
};

}  // namespace bb
