#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "domain/complaint.hpp"
#include "domain/compliment.hpp"
#include "domain/prevention.hpp"
#include "handlers/inbound.hpp"
#include "infra/codec/event_codec.hpp"
#include "infra/event_log.hpp"
#include "infra/metrics.hpp"

namespace bb {

// Where a command came from, for the events' envelope.
struct command_meta {
    std::string causation_id;    // "<source>/<id>" of the inbound event, or "scheduler"
    std::string correlation_id;  // the webhook delivery / Kafka record that carried it
    instant recorded_at{};       // the log's clock: wall time when serving, virtual in `process`
};

struct command_outcome {
    enum class kind { applied, unchanged, rejected };
    kind result = kind::unchanged;  // unchanged: a redelivery, or a fact with no effect
    std::optional<rejection> why;
    std::size_t events = 0;
};

// The one place commands are executed: load the stream's state, decide, append with the
// expected version, retry on a conflict. Keeps every stream's folded state in memory (rebuilt
// from the log at start) and tells the scheduler when a complaint's next deadline changes.
class command_service {
  public:
    using deadline_listener = std::function<void(const complaint_id&, std::optional<instant>)>;

    command_service(event_log& log, const policy_book& book, metrics& m);

    // Folds the whole log into memory. Call once, before serving.
    std::expected<std::size_t, std::string> rebuild();
    // Folds one stored event (when the caller reads the log itself, as the Kafka processor
    // does per partition); then announce_deadlines() once all are in.
    std::expected<void, std::string> load(const event_record& r);
    void announce_deadlines();
    // Forgets every stream, as before the first load (the Kafka processor's partitions moved).
    void reset();
    void on_deadline_change(deadline_listener listener) { listener_ = std::move(listener); }

    // Storage errors come back as the error; rejections are an outcome.
    std::expected<command_outcome, std::error_code> handle(const inbound::command& c,
                                                           const command_meta& meta);
    std::expected<command_outcome, std::error_code> tick(const complaint_id& id, instant now,
                                                         const command_meta& meta);

    std::optional<complaint_state> complaint(const complaint_id& id) const;
    std::vector<std::pair<complaint_id, instant>> deadlines() const;
    std::map<complaint_status, std::size_t> complaints_by_status() const;

  private:
    template <class State>
    struct stream_entry {
        // Serialises commands on the stream; held across the durable append.
        std::mutex mutex;
        // Guards `state` for readers, and is taken by a writer (which holds `mutex`) only to
        // assign it: a query never waits for an append (queries run on the HTTP I/O threads).
        mutable std::mutex state_mutex;
        State state{};
        std::int64_t version = 0;
    };
    template <class State>
    using stream_map = std::unordered_map<std::string, std::unique_ptr<stream_entry<State>>>;

    template <class State>
    stream_entry<State>& entry(stream_map<State>& map, const std::string& stream);

    std::expected<command_outcome, std::error_code> execute(const complaint_command& c,
                                                            const command_meta& meta);
    std::expected<command_outcome, std::error_code> execute_on(const complaint_id& id,
                                                               const complaint_command& c,
                                                               const command_meta& meta);
    std::expected<command_outcome, std::error_code> execute(const receive_compliment& c,
                                                            const command_meta& meta);
    std::expected<command_outcome, std::error_code> execute(const record_prevention_action& c,
                                                            const command_meta& meta);
    std::expected<command_outcome, std::error_code> execute(const inbound::customer_signal& s,
                                                            const command_meta& meta);

    void apply_record(const event_record& r, const codec::any_event& decoded);
    void count_rejection(const rejection& r);

    event_log& log_;
    const policy_book& book_;
    metrics& metrics_;
    deadline_listener listener_;

    // Lock order: maps_mutex_ (shared or exclusive, never while holding a stream's mutex) ->
    // a stream's mutex -> customers_mutex_. Nothing takes maps_mutex_ under a stream's mutex.
    mutable std::shared_mutex maps_mutex_;
    std::mutex customers_mutex_;
    stream_map<complaint_state> complaints_;
    stream_map<compliment_state> compliments_;
    stream_map<prevention_state> preventions_;
    std::unordered_map<std::string, std::vector<complaint_id>> by_customer_;
};

std::string complaint_stream(const complaint_id& id);

}  // namespace bb
