#pragma once

#include <cstdint>
#include <functional>
#include <map>
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

    // Kafka mode (services/delivery_replica): told of every finished delivery and every change of
    // a subscription's flag made here, after it is committed, to publish it to the other
    // instances; and applying theirs (and this instance's own, read back). A record is applied
    // unless the newest here for its subscription and webhook-id is later (updated_at, then
    // attempts); the topic offset after it is stored in the same transaction.
    struct listener {
        std::function<void(const delivery_record&)> on_record;
        std::function<void(const std::string&, const subscription_state&)> on_state;
    };
    void set_listener(listener l);
    // One record of the deliveries topic: a delivery's record, or a subscription's flag.
    struct replica_change {
        std::int32_t partition = 0;
        std::int64_t next_offset = 0;  // the topic offset after it
        std::optional<delivery_record> record;
        std::string subscription;  // a flag: its subscription, disabled, reason
        bool disabled = false;
        std::string reason;
    };
    // Applies changes in one transaction (one sync for many records).
    void apply_replicas(const std::vector<replica_change>& changes, const std::string& topic);
    void apply_replica(const delivery_record& r, const std::string& topic, std::int32_t partition,
                       std::int64_t next_offset);
    void apply_replica_state(const std::string& subscription, bool disabled,
                             const std::string& reason, const std::string& topic,
                             std::int32_t partition, std::int64_t next_offset);
    std::map<std::int32_t, std::int64_t> replica_offsets(const std::string& topic);

    // Whether the subscription's delivery of this webhook-id went out (by any instance: Kafka
    // mode applies the others' records). A partition's new owner skips such events instead of
    // sending them again when the old owner's checkpoint did not reach them.
    bool delivered(const std::string& subscription, const std::string& webhook_id);
    // This store's row for a subscription's delivery of an event: row ids differ between
    // instances, (subscription, webhook-id) names the delivery everywhere.
    std::optional<std::int64_t> id_of(const std::string& subscription,
                                      const std::string& webhook_id);

    // Newest first; `before` is a cursor (an id), 0 for the first page.
    std::vector<delivery_record> list(const std::optional<std::string>& subscription,
                                      const std::optional<delivery_status>& status,
                                      std::int64_t before, std::size_t limit);

  private:
    void tell(const delivery_record& r);
    void tell(const std::string& subscription);
    void store_offset(const std::string& topic, std::int32_t partition, std::int64_t next);
    void apply_record_locked(const delivery_record& r);
    void apply_state_locked(const std::string& subscription, bool disabled,
                            const std::string& reason);
    std::mutex mutex_;
    sqlite::db_ptr db_;
    listener listener_;  // set before the dispatcher starts
};

}  // namespace bb::outbound
