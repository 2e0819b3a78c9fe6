#include "services/command_service.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <utility>

#include "handlers/stream_fold.hpp"
#include "infra/codec/event_codec.hpp"
#include "infra/iso8601.hpp"
#include "services/domain_metrics.hpp"

namespace bb {

namespace {

constexpr int max_attempts = 5;

// The event's data as published: the codec's fields plus the partition's customer id.
proposed_event propose(const codec::any_event& e, const std::string& customer,
                       const command_meta& meta) {
    return proposed_event{std::string(codec::type_name(e)),
                          codec::encode_text(e, customer),
                          codec::time_of(e),
                          codec::key_of(e).value(),
                          meta.causation_id,
                          meta.correlation_id,
                          meta.trace.traceparent(),
                          meta.trace.valid() ? meta.trace.state : std::string{}};
}

const idempotency_key& key_of_last(const complaint_event& e) {
    return event_key(e);
}
const idempotency_key& key_of_last(const compliment_received& e) {
    return e.key;
}
const idempotency_key& key_of_last(const prevention_action_recorded& e) {
    return e.key;
}

std::string request_key(const idempotency_key& k, const std::string& stream) {
    return k.value().empty() ? std::string{} : k.value() + "@" + stream;
}

constexpr std::string_view complaint_prefix = "complaint-";

// The complaint a summarised stream is about (only complaint streams are summarised).
complaint_id complaint_of(std::string_view stream) {
    if (stream.starts_with(complaint_prefix)) stream.remove_prefix(complaint_prefix.size());
    return complaint_id{std::string(stream)};
}

std::optional<complaint_status> parse_status(std::string_view s) {
    for (auto st :
         {complaint_status::unfiled, complaint_status::received, complaint_status::acknowledged,
          complaint_status::investigating, complaint_status::awaiting_customer,
          complaint_status::resolved, complaint_status::recovered, complaint_status::lost,
          complaint_status::reopened, complaint_status::withdrawn})
        if (to_string(st) == s) return st;
    return std::nullopt;
}

stream_summary summary_of(const complaint_state& before, const complaint_state& after) {
    return stream_summary{after.customer.id.value(), std::string(to_string(after.status)),
                          before.status == complaint_status::unfiled
                              ? std::string{}
                              : std::string(to_string(before.status)),
                          next_deadline(after)};
}

}  // namespace

command_service::command_service(event_log& log, const policy_book& book, metrics& m,
                                 command_service_options o, summary_index* summaries)
    : log_(log),
      summaries_(summaries),
      book_(book),
      metrics_(m),
      options_(o),
      complaints_(o.cached_streams),
      compliments_(o.cached_streams),
      preventions_(o.cached_streams) {
    metrics_.describe("bounceback_events_appended_total", "counter",
                      "Domain events appended to the log");
    metrics_.describe("bounceback_rejections_total", "counter",
                      "Commands rejected by the domain, by reason");
    metrics_.describe("bounceback_append_seconds", "histogram", "Latency of a durable append");
    describe_domain_metrics(metrics_);
    metrics_.gauge("bounceback_complaints", "Complaints by state", [this] {
        std::vector<std::pair<metric_labels, double>> out;
        for (const auto& [status, n] : complaints_by_status())
            out.push_back({{{"state", std::string(to_string(status))}}, static_cast<double>(n)});
        return out;
    });
}

std::mutex& command_service::stripe(const std::string& stream) {
    return stripes_[std::hash<std::string>{}(stream) % stripes_.size()];
}

template <class State>
std::expected<command_service::entry_ptr<State>, std::error_code> command_service::current(
    state_cache<State>& cache, const std::string& stream) const {
    if (auto cached = cache.find(stream)) return cached;
    auto folded = fold_stream<State>(log_, stream);
    if (!folded) return std::unexpected(folded.error());
    auto e = std::make_shared<const folded_state<State>>(std::move(*folded));
    if (e->version > 0) cache.offer(stream, e);  // an unknown stream is not worth a slot
    return e;
}

std::expected<rebuild_report, std::string> command_service::rebuild() {
    if (summaries_) {
        const auto snapshot = summaries_->load_summaries();
        if (!snapshot)
            return std::unexpected("reading the summary index failed: " +
                                   snapshot.error().message());
        if (*snapshot) return restore_summaries(**snapshot);
    }
    std::int64_t next = 1;
    rebuild_report report;
    for (;;) {
        const auto batch = log_.read_all(next, 4096);
        if (!batch) return std::unexpected("reading the log failed: " + batch.error().message());
        if (batch->empty()) break;
        for (const auto& r : *batch) {
            if (auto ok = load(r); !ok) return std::unexpected(ok.error());
            next = r.position + 1;
            ++report.events_folded;
        }
    }
    if (summaries_)
        if (auto stored = store_summaries(); !stored) return std::unexpected(stored.error());
    for (const auto& [stream, en] : loading_) report.deadlines += next_deadline(en.state) ? 1 : 0;
    finish_loading();
    return report;
}

std::expected<rebuild_report, std::string> command_service::restore_summaries(
    const summary_snapshot& s) {
    {
        // Added to what is there: the Kafka processor loads one partition after another.
        std::lock_guard counts(counts_mutex_);
        for (const auto& [name, n] : s.by_status) {
            const auto status = parse_status(name);
            if (!status || n < 0)
                return std::unexpected("the summary index holds an unknown state '" + name +
                                       "'; delete its tables to rebuild it from the log");
            if (n > 0) by_status_[*status] += static_cast<std::size_t>(n);
        }
    }
    rebuild_report report{0, 0, true, s.rows.size()};
    {
        std::lock_guard customers(customers_mutex_);
        for (const auto& row : s.rows)
            remember_customer(row.partition_key, complaint_of(row.stream));
    }
    for (const auto& row : s.rows) {
        if (!row.next_due) continue;
        ++report.deadlines;
        if (listener_) listener_(complaint_of(row.stream), *row.next_due);
    }
    return report;
}

// The folded complaints (before finish_loading frees them) become the new index.
std::expected<void, std::string> command_service::store_summaries() {
    std::vector<std::pair<std::string, stream_summary>> rows;
    rows.reserve(loading_.size());
    const complaint_state unfiled{};
    for (const auto& [stream, en] : loading_)
        if (en.state.status != complaint_status::unfiled)
            rows.emplace_back(stream, summary_of(unfiled, en.state));
    if (auto r = summaries_->replace_summaries(rows); !r)
        return std::unexpected("writing the summary index failed: " + r.error().message());
    return {};
}

std::expected<void, std::string> command_service::load(const event_record& r) {
    const auto decoded = loader_.decode(r.type, r.data, idempotency_key{r.idempotency_key}, r.time);
    if (!decoded)
        return std::unexpected("event at position " + std::to_string(r.position) +
                               " cannot be decoded: " + decoded.error());
    // Compliments and prevention actions are folded when a command needs them; a complaint's
    // deadline, customer and state must be known for every one.
    if (const auto* e = std::get_if<complaint_event>(&*decoded)) {
        if (const auto* f = std::get_if<complaint_filed>(e)) {
            std::lock_guard customers(customers_mutex_);
            remember_customer(f->customer.id.value(), f->id);
        }
        auto& en = loading_[r.stream];
        en.state = evolve(std::move(en.state), *e);
        en.version = r.version;
    }
    return {};
}

void command_service::finish_loading() {
    const auto loaded = std::exchange(loading_, {});
    for (const auto& [stream, en] : loaded) {
        count_move(complaint_status::unfiled, en.state.status);
        if (!listener_) continue;
        if (const auto next = next_deadline(en.state)) listener_(en.state.id, *next);
    }
}

void command_service::unload_summaries(const summary_snapshot& s) {
    {
        std::lock_guard counts(counts_mutex_);
        for (const auto& [name, n] : s.by_status) {
            const auto status = parse_status(name);
            if (!status) continue;
            const auto it = by_status_.find(*status);
            if (it == by_status_.end()) continue;
            it->second -=
                std::min(it->second, static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
            if (it->second == 0) by_status_.erase(it);
        }
    }
    {
        std::lock_guard customers(customers_mutex_);
        for (const auto& row : s.rows) {
            const auto it = by_customer_.find(row.partition_key);
            if (it == by_customer_.end()) continue;
            std::erase(it->second, complaint_of(row.stream));
            if (it->second.empty()) by_customer_.erase(it);
        }
    }
    if (listener_)
        for (const auto& row : s.rows)
            if (row.next_due) listener_(complaint_of(row.stream), std::nullopt);
    complaints_.clear();
    compliments_.clear();
    preventions_.clear();
}

void command_service::reset() {
    complaints_.clear();
    compliments_.clear();
    preventions_.clear();
    loading_.clear();
    {
        std::lock_guard customers(customers_mutex_);
        by_customer_.clear();
    }
    std::lock_guard counts(counts_mutex_);
    by_status_.clear();
}

void command_service::count_move(complaint_status from, complaint_status to) {
    if (from == to) return;
    std::lock_guard lock(counts_mutex_);
    if (from != complaint_status::unfiled) {
        if (const auto it = by_status_.find(from); it != by_status_.end() && --it->second == 0)
            by_status_.erase(it);
    }
    if (to != complaint_status::unfiled) ++by_status_[to];
}

void command_service::count_rejection(const rejection& r) {
    metrics_.add("bounceback_rejections_total", {{"reason", std::string(to_string(r.code))}});
}

template <class Decided>
std::optional<command_outcome> command_service::answer_without_append(const Decided& decided) {
    if (!decided) {
        count_rejection(decided.error());
        return command_outcome{command_outcome::kind::rejected, decided.error(), 0};
    }
    if (decided->empty()) return command_outcome{};
    return std::nullopt;
}

std::expected<command_outcome, std::error_code> command_service::wait_for(
    const std::function<void(outcome_callback)>& start) {
    for (int attempt = 1;; ++attempt) {
        // Shared with the callback: the writer may still be inside set_value when get() returns.
        auto promise =
            std::make_shared<std::promise<std::expected<command_outcome, std::error_code>>>();
        auto result = promise->get_future();
        start([promise](auto r) { promise->set_value(std::move(r)); });
        auto r = result.get();
        // A conflict means a command this one decided after failed: the stream has been
        // forgotten, so deciding again folds it from the log.
        if (r || r.error() != log_errc::wrong_expected_version || attempt == max_attempts) return r;
    }
}

std::expected<command_outcome, std::error_code> command_service::handle(const inbound::command& c,
                                                                        const command_meta& meta) {
    return wait_for([&](outcome_callback done) { handle_async(c, meta, std::move(done)); });
}

namespace {

instant time_of(const inbound::command& c) {
    return std::visit(overloaded{[](const complaint_command& cc) { return command_time(cc); },
                                 [](const auto& other) { return other.at; }},
                      c);
}

}  // namespace

void command_service::handle_async(const inbound::command& c, const command_meta& meta,
                                   outcome_callback done) {
    // Time is checked before anything is loaded: a command from the future would meet (or
    // breach) an SLA at an instant that has not happened.
    if (options_.future_tolerance) {
        if (const auto t = time_of(c); t > meta.recorded_at + *options_.future_tolerance) {
            rejection why{rejection_code::invalid_argument,
                          "time " + iso8601::format_instant(t) + " is later than now (" +
                              iso8601::format_instant(meta.recorded_at) + ") by more than " +
                              iso8601::format_duration(*options_.future_tolerance)};
            count_rejection(why);
            return done(command_outcome{command_outcome::kind::rejected, std::move(why), 0});
        }
    }
    std::visit([&](const auto& cmd) { execute(cmd, meta, std::move(done)); }, c);
}

std::expected<command_outcome, std::error_code> command_service::tick(const complaint_id& id,
                                                                      instant now,
                                                                      const command_meta& meta) {
    return wait_for([&](outcome_callback done) {
        execute_on(
            id, [t = bb::tick{now}](const complaint_state& s) { return decide(s, t); }, meta,
            on_unfiled::skip, std::move(done));
    });
}

void command_service::execute(const complaint_command& c, const command_meta& meta,
                              outcome_callback done) {
    execute_on(
        command_target(c), [&](const complaint_state& s) { return decide(book_, s, c); }, meta,
        on_unfiled::decide, std::move(done));
}

template <class Decide>
void command_service::execute_on(const complaint_id& id, Decide decide_on, const command_meta& meta,
                                 on_unfiled unfiled, outcome_callback done) {
    append_decided(
        complaint_stream(id), complaints_, meta,
        [&](const complaint_state& s) -> std::optional<result<std::vector<complaint_event>>> {
            if (unfiled == on_unfiled::skip && s.status == complaint_status::unfiled)
                return std::nullopt;
            return decide_on(s);
        },
        // The complaint's events are placed by its customer.
        [](const complaint_state& next) { return next.customer.id.value(); },
        [](const complaint_state& before, const complaint_state& after) -> append_summary {
            return summary_of(before, after);
        },
        [this, id](const complaint_state& before, const complaint_state& after) {
            // Filed, or unsettled again (a lost complaint reopened): a restart from the summary
            // index leaves settled complaints out of the customers' lists.
            if (before.status == complaint_status::unfiled ||
                (is_settled(before.status) && !is_settled(after.status))) {
                std::lock_guard customers(customers_mutex_);
                remember_customer(after.customer.id.value(), id);
            }
            count_move(before.status, after.status);
            if (listener_) listener_(id, next_deadline(after));
        },
        std::move(done));
}

// Decides on the stream's state and queues the append, under the stream's stripe: appends on
// one stream are queued in the order they were decided, and the next command decides on the
// state this one produced before it is durable. `decide_on` gives nothing for a command skipped
// without a word; `placed_by` the partition key of the stream's events; `summarise` the summary
// stored with them; `on_durable` what else follows from them once they are in the log.
template <class State, class Decide, class PlacedBy, class Summarise, class OnDurable>
void command_service::append_decided(std::string stream, state_cache<State>& cache,
                                     const command_meta& meta, Decide decide_on, PlacedBy placed_by,
                                     Summarise summarise, OnDurable on_durable,
                                     outcome_callback done) {
    using entry = folded_state<State>;
    std::unique_lock lock(stripe(stream));
    const auto loaded = current(cache, stream);
    if (!loaded) {
        lock.unlock();
        return done(std::unexpected(loaded.error()));
    }
    const auto& en = **loaded;
    const auto decided = decide_on(en.state);
    if (!decided) {
        lock.unlock();
        return done(command_outcome{});
    }
    if (auto answer = answer_without_append(*decided)) {
        lock.unlock();
        return done(std::move(*answer));
    }
    const auto& events = **decided;
    auto next_state = en.state;
    for (const auto& e : events) next_state = evolve(std::move(next_state), e);
    const auto partition_key = placed_by(next_state);
    append_request req{stream, partition_key, en.version, {}, {}, meta.recorded_at};
    for (const auto& e : events) req.events.push_back(propose(e, partition_key, meta));
    req.request_key = request_key(key_of_last(events.back()), stream);
    req.summary = summarise(en.state, next_state);
    const auto count = events.size();
    // Counted once durable (an append that fails or is a duplicate counts nothing).
    std::vector<domain_sample> samples;
    if constexpr (std::is_same_v<State, complaint_state>)
        samples = domain_samples(events, meta.recorded_at);
    std::string appended_line;  // completed with the positions once durable
    if (options_.log_line) {
        appended_line = "appended stream=" + stream +
                        " versions=" + std::to_string(en.version + 1) + "-" +
                        std::to_string(en.version + static_cast<std::int64_t>(count)) + " types=";
        for (const auto& p : req.events) {
            if (&p != &req.events.front()) appended_line += ',';
            appended_line += p.type;
        }
        appended_line += " causation=" + meta.causation_id;
        if (meta.trace.valid())
            appended_line +=
                " trace_id=" + meta.trace.trace_id_hex() + " span_id=" + meta.trace.span_id_hex();
    }
    auto before = std::make_shared<const State>(en.state);
    auto next = std::make_shared<const entry>(
        entry{std::move(next_state), en.version + static_cast<std::int64_t>(count)});
    cache.offer(stream, next);
    log_.append_async(
        std::move(req), [this, &cache, stream = std::move(stream), next, before, count,
                         samples = std::move(samples), started = std::chrono::steady_clock::now(),
                         appended_line = std::move(appended_line),
                         on_durable = std::move(on_durable), done = std::move(done)](auto r) {
            metrics_.observe(
                "bounceback_append_seconds", {},
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
            if (!r || r->duplicate) {
                // The cached state holds events that did not land as decided.
                cache.erase(stream);
                if (!r) return done(std::unexpected(r.error()));
                return done(command_outcome{});
            }
            on_durable(*before, next->state);
            if (!appended_line.empty())
                options_.log_line(appended_line +
                                  " positions=" + std::to_string(r->first_position) + "-" +
                                  std::to_string(r->last_position));
            metrics_.add("bounceback_events_appended_total", {}, static_cast<double>(count));
            bb::count(metrics_, samples);
            done(command_outcome{command_outcome::kind::applied, std::nullopt, count});
        });
}

// Compliments and prevention actions: a single fact per stream, recorded once.
template <class State, class Command>
void command_service::record_once(const Command& c, const std::string& stream,
                                  const std::string& partition_key, const command_meta& meta,
                                  state_cache<State>& cache, outcome_callback done) {
    append_decided(
        stream, cache, meta, [&](const State& s) { return std::optional{decide(s, c)}; },
        [&partition_key](const State&) { return partition_key; },
        [](const State&, const State&) -> append_summary { return no_summary{}; },
        [](const State&, const State&) {}, std::move(done));
}

void command_service::execute(const receive_compliment& c, const command_meta& meta,
                              outcome_callback done) {
    record_once(c, "compliment-" + c.id.value(), c.customer.value(), meta, compliments_,
                std::move(done));
}

void command_service::execute(const record_prevention_action& c, const command_meta& meta,
                              outcome_callback done) {
    record_once(c, "prevention-" + c.id.value(), "prevention", meta, preventions_, std::move(done));
}

// A customer's activity or survey goes to the named complaint, or to every complaint of the
// customer; the domain decides which of them it means something to.
void command_service::execute(const inbound::customer_signal& s, const command_meta& meta,
                              outcome_callback done) {
    std::vector<complaint_id> targets;
    if (s.complaint) {
        targets.push_back(*s.complaint);
    } else {
        targets = complaints_of(s.customer);
    }
    if (targets.empty()) return done(command_outcome{});
    // The targets are separate streams: all are decided and queued at once, and the outcomes
    // combined when the last is in.
    struct combined {
        std::mutex mutex;
        std::size_t left;
        std::expected<command_outcome, std::error_code> total = command_outcome{};
        outcome_callback done;
    };
    auto all = std::make_shared<combined>();
    all->left = targets.size();
    all->done = std::move(done);
    for (const auto& id : targets) {
        // Only complaints that exist; a survey naming an unknown complaint is ignored. The
        // domain refuses one that names another customer's complaint.
        const auto c = s.for_complaint(id);
        execute_on(
            id, [&](const complaint_state& st) { return decide(book_, st, c); }, meta,
            on_unfiled::skip,
            [all](auto r) {
                std::unique_lock lock(all->mutex);
                auto& total = all->total;
                if (!r) {
                    if (total) total = std::unexpected(r.error());
                } else if (total) {
                    if (r->result == command_outcome::kind::rejected &&
                        total->result != command_outcome::kind::applied)
                        *total = *r;
                    if (r->result == command_outcome::kind::applied) {
                        total->result = command_outcome::kind::applied;
                        total->why.reset();
                        total->events += r->events;
                    }
                }
                if (--all->left > 0) return;
                lock.unlock();
                all->done(std::move(all->total));
            });
    }
}

// Each customer's complaints in order of their ids: a signal reaches them in the same order
// whether the list was read from the summary index or folded from the log, so the same input
// gives the same log.
void command_service::remember_customer(const std::string& customer, const complaint_id& id) {
    auto& ids = by_customer_[customer];
    const auto at = std::lower_bound(
        ids.begin(), ids.end(), id,
        [](const complaint_id& a, const complaint_id& b) { return a.value() < b.value(); });
    if (at == ids.end() || *at != id) ids.insert(at, id);
}

std::vector<complaint_id> command_service::complaints_of(const customer_id& customer) const {
    std::vector<complaint_id> out;
    std::lock_guard lock(customers_mutex_);
    if (const auto it = by_customer_.find(customer.value()); it != by_customer_.end())
        out = it->second;
    return out;
}

complaint_lookup command_service::complaint(const complaint_id& id) const {
    const auto en = current(complaints_, complaint_stream(id));
    if (!en) return std::unexpected(en.error());
    if ((*en)->state.status == complaint_status::unfiled) return std::nullopt;
    return (*en)->state;
}

bool command_service::cached(const complaint_id& id) const {
    return complaints_.contains(complaint_stream(id));
}

std::map<complaint_status, std::size_t> command_service::complaints_by_status() const {
    std::lock_guard lock(counts_mutex_);
    return by_status_;
}

}  // namespace bb
