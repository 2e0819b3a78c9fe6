#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/time.hpp"
#include "infra/sqlite/sqlite_db.hpp"

namespace bb::outbound {

enum class delivery_status { delivered, failed, pending };  // pending: a redelivery was asked for
std::string_view to_string(delivery_status s);
std::optional<delivery_status> parse_delivery_status(std::string_view s);

struct delivery_record {
    std::int64_t id = 0;
    std::string subscription;
    std::int64_t position = 0;  // the event's position in the log (Kafka mode: its offset)
    std::string webhook_id;     // stable across attempts and redeliveries
    std::string event_type;
    std::string stream;
    delivery_status status = delivery_status::pending;
    int attempts = 0;
    int last_status = 0;  // HTTP status of the last attempt, 0 when none came back
    std::string last_error;
    instant created_at{};
    instant updated_at{};
    std::int32_t partition = -1;  // Kafka mode: the event's partition of the events topic
};

struct subscription_state {
    std::int64_t checkpoint = 0;  // the last position handled (delivered, failed or filtered out)
    bool disabled = false;
    std::string disabled_reason;
};

// Durable state of outbound webhooks (data_dir/outbound.db): a checkpoint per subscription and
// the record of every delivery. Recording an outcome and moving the checkpoint past its event
// is one transaction, so a crash between them redelivers (at-least-once), never skips.
class delivery_store {
  public:
    delivery_store(const std::string& path, bool synchronous_full);

    subscription_state state(const std::string& subscription);
    // The outcome of delivering the event at `r.position`; the checkpoint moves to it.
    void record(const delivery_record& r);
    // Moves the checkpoint past events the subscription does not want.
    void skip_to(const std::string& subscription, std::int64_t position);
    void disable(const std::string& subscription, const std::string& reason);
    // An operator resumes a disabled subscription: it continues after its checkpoint, so the
    // events since it was disabled go out in order (the delivery that was refused stays failed
    // and can be redelivered). Returns the state after.
    subscription_state enable(const std::string& subscription);
    // A redelivery of a finished delivery was asked for; the record goes back to pending.
    std::optional<delivery_record> request_redelivery(std::int64_t id, instant now);
    std::optional<delivery_record> next_redelivery(const std::string& subscription);
    void finish_redelivery(const delivery_record& r);

    // Newest first; `before` is a cursor (an id), 0 for the first page.
    std::vector<delivery_record> list(const std::optional<std::string>& subscription,
                                      const std::optional<delivery_status>& status,
                                      std::int64_t before, std::size_t limit);

  private:
    std::mutex mutex_;
    sqlite::db_ptr db_;
};

}  // namespace bb::outbound
