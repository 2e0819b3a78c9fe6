#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "domain/complaint.hpp"
#include "domain/compliment.hpp"
#include "domain/prevention.hpp"
#include "handlers/ingress/port.hpp"
#include "handlers/stream_fold.hpp"
#include "infra/codec/event_codec.hpp"
#include "infra/event_log.hpp"
#include "infra/metrics.hpp"
#include "services/state_cache.hpp"

namespace bb {

struct command_service_options {
    std::size_t cached_streams = 100'000;  // storage.cached_streams
    // Commands stamped later than the meta's recorded_at by more than this are rejected
    // (future_tolerance); none: not checked.
    std::optional<duration> future_tolerance;

    // Where one line per durable append goes (stream, versions, event types, position, trace
    // and span ids: how a complaint's path is followed through the logs); none: not logged
    // (batch runs, tests).
    std::function<void(const std::string&)> log_line;

    command_service_options() = default;
    command_service_options(std::size_t cached, std::optional<duration> tolerance = std::nullopt,
                            std::function<void(const std::string&)> log = {})
        : cached_streams(cached), future_tolerance(tolerance), log_line(std::move(log)) {}
};

// What rebuild() did: read the log's summary index, or folded the log (and, with an index,
// rebuilt it).
struct rebuild_report {
    std::size_t events_folded = 0;
    std::size_t deadlines = 0;
    bool from_summaries = false;
    std::size_t summaries = 0;  // summary rows read (unsettled complaints' and other streams')
};

// The one place commands are executed: load the stream's state, decide, append with the
// expected version, retry on a conflict. Folded states are kept in a bounded cache (a miss folds
// the stream from the log again); what must cover every complaint stays small: each one's next
// deadline (told to the scheduler), its customer (for activity signals) and counts by state.
//
// With a log that keeps a summary index (SQLite), every complaint append carries its summary
// (customer, state, next deadline) and a restart reads the index instead of folding the log.
// The Kafka processor's partitions hand it their stores' summaries (load_summaries), or, kept
// in memory, fold their events (load).
class command_service {
  public:
    using deadline_listener = std::function<void(const complaint_id&, std::optional<instant>)>;
    command_service(event_log& log, const policy_book& book, metrics& m,
                    command_service_options o = {}, summary_index* summaries = nullptr);

    // Tells the listener every complaint's next deadline, from the summary index when it
    // covers the log, else by folding the whole log (and then rebuilding the index). Call once,
    // before serving.
    std::expected<rebuild_report, std::string> rebuild();
    // Folds one stored event (when the caller reads the log itself, as the Kafka processor
    // does per partition); then finish_loading() once all are in.
    std::expected<void, std::string> load(const event_record& r);
    // Counts the loaded complaints, announces their deadlines and frees the folded states.
    void finish_loading();
    // Adds stored summaries (a Kafka partition's local store) to what is loaded already:
    // counts, customers and deadlines, without folding a stream.
    std::expected<rebuild_report, std::string> load_summaries(const summary_snapshot& s) {
        return restore_summaries(s);
    }
    // Forgets every stream, as before the first load (the Kafka processor's partitions moved).
    void reset();
    // Forgets the complaints of these summaries (a Kafka partition this instance no longer
    // owns): counts, customers and deadlines (told to the listener as none). Every cached
    // folded state is dropped too, since the cache does not know which partition a stream is
    // in; the next command on a stream still owned folds it again.
    void unload_summaries(const summary_snapshot& s);
    void on_deadline_change(deadline_listener listener) { listener_ = std::move(listener); }

    // Storage errors come back as the error; rejections are an outcome. Waits until the
    // events are durable.
    std::expected<command_outcome, std::error_code> handle(const inbound::command& c,
                                                           const command_meta& meta);
    std::expected<command_outcome, std::error_code> tick(const complaint_id& id, instant now,
                                                         const command_meta& meta);

    // As handle(), without waiting for the append: `done` runs once the events are durable
    // (on the log's writer thread: it must not block), or before handle_async returns when
    // there is nothing to write. The next command on the stream decides on the state this one
    // produced, before it is durable; if the append fails, the stream is folded from the log
    // again, and a command decided on the failed state fails too (wrong_expected_version; the
    // caller may retry it).
    void handle_async(const inbound::command& c, const command_meta& meta, outcome_callback done);

    // The complaint as its stream says now (read-your-writes after a command); a cache miss
    // reads the log.
    complaint_lookup complaint(const complaint_id& id) const;
    // Whether complaint() can answer from memory, without reading the log.
    bool cached(const complaint_id& id) const;
    std::map<complaint_status, std::size_t> complaints_by_status() const;

  private:
    template <class State>
    using entry_ptr = typename state_cache<State>::entry_ptr;

    // The stream's state: from the cache, or folded from the log (and then cached).
    template <class State>
    std::expected<entry_ptr<State>, std::error_code> current(state_cache<State>& cache,
                                                             const std::string& stream) const;
    std::mutex& stripe(const std::string& stream);

    // Serialises deciding on streams that hash alike, up to queueing the append.
    void execute(const complaint_command& c, const command_meta& meta, outcome_callback done);
    // `unfiled` says what a command on a complaint that was never filed gets: decided (and so
    // rejected, naming why) or skipped without a word (ticks and customer signals, whose
    // targets come from an index and may name a complaint that does not exist).
    enum class on_unfiled { decide, skip };
    template <class Decide>
    void execute_on(const complaint_id& id, Decide decide_on, const command_meta& meta,
                    on_unfiled unfiled, outcome_callback done);
    void execute(const receive_compliment& c, const command_meta& meta, outcome_callback done);
    void execute(const record_prevention_action& c, const command_meta& meta,
                 outcome_callback done);
    void execute(const inbound::customer_signal& s, const command_meta& meta,
                 outcome_callback done);
    template <class State, class Command>
    void record_once(const Command& c, const std::string& stream, const std::string& partition_key,
                     const command_meta& meta, state_cache<State>& cache, outcome_callback done);
    template <class State, class Decide, class PlacedBy, class Summarise, class OnDurable>
    void append_decided(std::string stream, state_cache<State>& cache, const command_meta& meta,
                        Decide decide_on, PlacedBy placed_by, Summarise summarise,
                        OnDurable on_durable, outcome_callback done);
    // Runs `start` (an asynchronous command) and waits for it, retrying after a conflict.
    std::expected<command_outcome, std::error_code> wait_for(
        const std::function<void(outcome_callback)>& start);

    void count_rejection(const rejection& r);
    // The answer to a decision that appends nothing: its rejection (counted) or "unchanged".
    template <class Decided>
    std::optional<command_outcome> answer_without_append(const Decided& decided);
    void count_move(complaint_status from, complaint_status to);
    std::vector<complaint_id> complaints_of(const customer_id& customer) const;
    void remember_customer(const std::string& customer, const complaint_id& id);  // holds the lock
    std::expected<rebuild_report, std::string> restore_summaries(const summary_snapshot& s);
    std::expected<void, std::string> store_summaries();

    event_log& log_;
    summary_index* summaries_;
    const policy_book& book_;
    metrics& metrics_;
    command_service_options options_;
    deadline_listener listener_;

    std::array<std::mutex, 1024> stripes_;
    mutable state_cache<complaint_state> complaints_;
    mutable state_cache<compliment_state> compliments_;
    mutable state_cache<prevention_state> preventions_;
    // Complaints folded by load(), until finish_loading().
    std::unordered_map<std::string, state_cache<complaint_state>::entry> loading_;
    codec::text_decoder loader_;  // load()'s (one thread loads)

    // Lock order: a stripe -> customers_mutex_ / counts_mutex_ (each alone).
    mutable std::mutex customers_mutex_;
    std::unordered_map<std::string, std::vector<complaint_id>> by_customer_;
    mutable std::mutex counts_mutex_;
    std::map<complaint_status, std::size_t> by_status_;
};

}  // namespace bb
