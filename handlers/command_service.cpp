#include "handlers/command_service.hpp"

#include <chrono>

#include "infra/codec/event_codec.hpp"

namespace bb {

std::string complaint_stream(const complaint_id& id) {
    return "complaint-" + id.value();
}

namespace {

constexpr int max_attempts = 5;

const complaint_id& command_target(const complaint_command& c) {
    return std::visit(overloaded{[](const tick&) -> const complaint_id& {
                                     static const complaint_id none;
                                     return none;
                                 },
                                 [](const auto& cmd) -> const complaint_id& { return cmd.id; }},
                      c);
}

// The event's data as published: the codec's fields plus the partition's customer id.
proposed_event propose(const codec::any_event& e, const std::string& customer,
                       const command_meta& meta) {
    auto data = codec::encode(e);
    data["customer_id"] = customer;
    return proposed_event{std::string(codec::type_name(e)), data.dump(),       codec::time_of(e),
                          codec::key_of(e).value(),         meta.causation_id, meta.correlation_id};
}

std::string request_key(const idempotency_key& k, const std::string& stream) {
    return k.value().empty() ? std::string{} : k.value() + "@" + stream;
}

}  // namespace

command_service::command_service(event_log& log, const policy_book& book, metrics& m)
    : log_(log), book_(book), metrics_(m) {
    metrics_.describe("bounceback_events_appended_total", "counter",
                      "Domain events appended to the log");
    metrics_.describe("bounceback_rejections_total", "counter",
                      "Commands rejected by the domain, by reason");
    metrics_.describe("bounceback_append_seconds", "histogram", "Latency of a durable append");
    metrics_.gauge("bounceback_complaints", "Complaints by state", [this] {
        std::vector<std::pair<metric_labels, double>> out;
        for (const auto& [status, n] : complaints_by_status())
            out.push_back({{{"state", std::string(to_string(status))}}, static_cast<double>(n)});
        return out;
    });
}

template <class State>
command_service::stream_entry<State>& command_service::entry(stream_map<State>& map,
                                                             const std::string& stream) {
    {
        std::shared_lock lock(maps_mutex_);
        const auto it = map.find(stream);
        if (it != map.end()) return *it->second;
    }
    std::unique_lock lock(maps_mutex_);
    auto& slot = map[stream];
    if (!slot) slot = std::make_unique<stream_entry<State>>();
    return *slot;
}

void command_service::apply_record(const event_record& r, const codec::any_event& decoded) {
    std::visit(overloaded{
                   [&](const complaint_event& e) {
                       auto& en = entry(complaints_, r.stream);
                       std::lock_guard lock(en.mutex);
                       if (const auto* f = std::get_if<complaint_filed>(&e)) {
                           std::lock_guard customers(customers_mutex_);
                           by_customer_[f->customer.id.value()].push_back(f->id);
                       }
                       std::lock_guard publish(en.state_mutex);
                       en.state = evolve(std::move(en.state), e);
                       en.version = r.version;
                   },
                   [&](const compliment_received& e) {
                       auto& en = entry(compliments_, r.stream);
                       std::lock_guard lock(en.mutex);
                       std::lock_guard publish(en.state_mutex);
                       en.state = evolve(std::move(en.state), e);
                       en.version = r.version;
                   },
                   [&](const prevention_action_recorded& e) {
                       auto& en = entry(preventions_, r.stream);
                       std::lock_guard lock(en.mutex);
                       std::lock_guard publish(en.state_mutex);
                       en.state = evolve(std::move(en.state), e);
                       en.version = r.version;
                   },
               },
               decoded);
}

std::expected<std::size_t, std::string> command_service::rebuild() {
    std::int64_t next = 1;
    std::size_t count = 0;
    for (;;) {
        const auto batch = log_.read_all(next, 4096);
        if (!batch) return std::unexpected("reading the log failed: " + batch.error().message());
        if (batch->empty()) break;
        for (const auto& r : *batch) {
            if (auto ok = load(r); !ok) return std::unexpected(ok.error());
            next = r.position + 1;
            ++count;
        }
    }
    announce_deadlines();
    return count;
}

std::expected<void, std::string> command_service::load(const event_record& r) {
    const auto decoded = codec::decode(r.type, nlohmann::json::parse(r.data, nullptr, false),
                                       idempotency_key{r.idempotency_key}, r.time);
    if (!decoded)
        return std::unexpected("event at position " + std::to_string(r.position) +
                               " cannot be decoded: " + decoded.error());
    apply_record(r, *decoded);
    return {};
}

void command_service::reset() {
    std::unique_lock lock(maps_mutex_);
    std::lock_guard customers(customers_mutex_);
    complaints_.clear();
    compliments_.clear();
    preventions_.clear();
    by_customer_.clear();
}

void command_service::announce_deadlines() {
    if (!listener_) return;
    for (const auto& [id, at] : deadlines()) listener_(id, at);
}

void command_service::count_rejection(const rejection& r) {
    metrics_.add("bounceback_rejections_total", {{"reason", std::string(to_string(r.code))}});
}

std::expected<command_outcome, std::error_code> command_service::handle(const inbound::command& c,
                                                                        const command_meta& meta) {
    return std::visit([&](const auto& cmd) { return execute(cmd, meta); }, c);
}

std::expected<command_outcome, std::error_code> command_service::tick(const complaint_id& id,
                                                                      instant now,
                                                                      const command_meta& meta) {
    {
        std::shared_lock lock(maps_mutex_);
        if (!complaints_.contains(complaint_stream(id))) return command_outcome{};
    }
    return execute_on(id, bb::tick{now}, meta);
}

std::expected<command_outcome, std::error_code> command_service::execute(const complaint_command& c,
                                                                         const command_meta& meta) {
    return execute_on(command_target(c), c, meta);
}

std::expected<command_outcome, std::error_code> command_service::execute_on(
    const complaint_id& id, const complaint_command& c, const command_meta& meta) {
    const auto stream = complaint_stream(id);
    auto& en = entry(complaints_, stream);
    std::lock_guard lock(en.mutex);
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
        const auto decided = decide(book_, en.state, c);
        if (!decided) {
            count_rejection(decided.error());
            return command_outcome{command_outcome::kind::rejected, decided.error(), 0};
        }
        if (decided->empty()) return command_outcome{};
        const bool filing = en.state.status == complaint_status::unfiled;
        auto next_state = en.state;
        for (const auto& e : *decided) next_state = evolve(std::move(next_state), e);
        const auto customer = next_state.customer.id.value();
        append_request req{stream, customer, en.version, {}, {}, meta.recorded_at};
        for (const auto& e : *decided) req.events.push_back(propose(e, customer, meta));
        req.request_key = request_key(event_key(decided->back()), stream);
        const auto started = std::chrono::steady_clock::now();
        const auto r = log_.append(std::move(req));
        metrics_.observe(
            "bounceback_append_seconds", {},
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (r) {
            if (r->duplicate) return command_outcome{};
            {
                std::lock_guard publish(en.state_mutex);
                en.state = std::move(next_state);
            }
            en.version = r->stream_version;
            if (filing) {
                std::lock_guard customers(customers_mutex_);
                by_customer_[customer].push_back(id);
            }
            metrics_.add("bounceback_events_appended_total", {},
                         static_cast<double>(decided->size()));
            if (listener_) listener_(id, next_deadline(en.state));
            return command_outcome{command_outcome::kind::applied, std::nullopt, decided->size()};
        }
        if (r.error() != log_errc::wrong_expected_version) return std::unexpected(r.error());
        // Another writer moved the stream on: fold what it wrote and decide again.
        const auto newer = log_.read_stream(stream, en.version + 1);
        if (!newer) return std::unexpected(newer.error());
        for (const auto& rec : *newer) {
            const auto d = codec::decode(rec.type, nlohmann::json::parse(rec.data, nullptr, false),
                                         idempotency_key{rec.idempotency_key}, rec.time);
            if (!d) return std::unexpected(make_error_code(log_errc::corrupt_record));
            if (const auto* ce = std::get_if<complaint_event>(&*d)) {
                std::lock_guard publish(en.state_mutex);
                en.state = evolve(std::move(en.state), *ce);
            }
            en.version = rec.version;
        }
    }
    return std::unexpected(make_error_code(log_errc::wrong_expected_version));
}

namespace {

// Compliments and prevention actions: a single fact per stream, recorded once.
template <class Entry, class Command, class Log, class Metrics>
std::expected<command_outcome, std::error_code> record_once(Entry& en, const Command& c,
                                                            const std::string& stream,
                                                            const std::string& partition_key,
                                                            const command_meta& meta, Log& log,
                                                            Metrics& m) {
    std::lock_guard lock(en.mutex);
    const auto decided = decide(en.state, c);
    if (!decided) {
        m.add("bounceback_rejections_total",
              {{"reason", std::string(to_string(decided.error().code))}});
        return command_outcome{command_outcome::kind::rejected, decided.error(), 0};
    }
    if (decided->empty()) return command_outcome{};
    append_request req{stream,          partition_key, en.version, {}, request_key(c.key, stream),
                       meta.recorded_at};
    for (const auto& e : *decided)
        req.events.push_back(propose(codec::any_event{e}, partition_key, meta));
    const auto r = log.append(std::move(req));
    if (!r) return std::unexpected(r.error());
    if (r->duplicate) return command_outcome{};
    {
        std::lock_guard publish(en.state_mutex);
        for (const auto& e : *decided) en.state = evolve(std::move(en.state), e);
    }
    en.version = r->stream_version;
    m.add("bounceback_events_appended_total", {}, static_cast<double>(decided->size()));
    return command_outcome{command_outcome::kind::applied, std::nullopt, decided->size()};
}

}  // namespace

std::expected<command_outcome, std::error_code> command_service::execute(
    const receive_compliment& c, const command_meta& meta) {
    const auto stream = "compliment-" + c.id.value();
    return record_once(entry(compliments_, stream), c, stream, c.customer.value(), meta, log_,
                       metrics_);
}

std::expected<command_outcome, std::error_code> command_service::execute(
    const record_prevention_action& c, const command_meta& meta) {
    const auto stream = "prevention-" + c.id.value();
    return record_once(entry(preventions_, stream), c, stream, "prevention", meta, log_, metrics_);
}

// A customer's activity or survey goes to the named complaint, or to every complaint of the
// customer; the domain decides which of them it means something to.
std::expected<command_outcome, std::error_code> command_service::execute(
    const inbound::customer_signal& s, const command_meta& meta) {
    std::vector<complaint_id> targets;
    if (s.complaint) {
        targets.push_back(*s.complaint);
    } else {
        std::lock_guard lock(customers_mutex_);
        if (const auto it = by_customer_.find(s.customer.value()); it != by_customer_.end())
            targets = it->second;
    }
    command_outcome total;
    for (const auto& id : targets) {
        {
            // Only complaints that exist; a survey naming an unknown complaint is ignored.
            std::shared_lock lock(maps_mutex_);
            if (!complaints_.contains(complaint_stream(id))) continue;
        }
        const auto r = execute(s.for_complaint(id), meta);
        if (!r) return r;
        if (r->result == command_outcome::kind::rejected &&
            total.result != command_outcome::kind::applied)
            total = *r;
        if (r->result == command_outcome::kind::applied) {
            total.result = command_outcome::kind::applied;
            total.why.reset();
            total.events += r->events;
        }
    }
    return total;
}

std::optional<complaint_state> command_service::complaint(const complaint_id& id) const {
    std::shared_lock lock(maps_mutex_);
    const auto it = complaints_.find(complaint_stream(id));
    if (it == complaints_.end()) return std::nullopt;
    std::lock_guard en(it->second->state_mutex);
    if (it->second->state.status == complaint_status::unfiled) return std::nullopt;
    return it->second->state;
}

std::vector<std::pair<complaint_id, instant>> command_service::deadlines() const {
    std::vector<std::pair<complaint_id, instant>> out;
    std::shared_lock lock(maps_mutex_);
    for (const auto& [stream, en] : complaints_) {
        std::lock_guard l(en->state_mutex);
        if (const auto next = next_deadline(en->state)) out.emplace_back(en->state.id, *next);
    }
    return out;
}

std::map<complaint_status, std::size_t> command_service::complaints_by_status() const {
    std::map<complaint_status, std::size_t> out;
    std::shared_lock lock(maps_mutex_);
    for (const auto& [stream, en] : complaints_) {
        std::lock_guard l(en->state_mutex);
        if (en->state.status != complaint_status::unfiled) ++out[en->state.status];
    }
    return out;
}

}  // namespace bb
