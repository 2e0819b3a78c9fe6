#include "services/webhook_dispatcher.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <date/date.h>

#include "infra/codec/cloudevent_codec.hpp"
#include "infra/standard_webhooks.hpp"
#include "infra/trace_context.hpp"
#include "services/helpdesk_update.hpp"

namespace bb {

namespace {

constexpr std::chrono::hours max_retry_after{24};

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view v, instant now) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    if (v.empty()) return std::nullopt;
    long long secs = 0;
    if (const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
        ec == std::errc{} && end == v.data() + v.size())
        return secs < 0 ? std::nullopt
                        : std::optional(std::min<std::chrono::seconds>(std::chrono::seconds{secs},
                                                                       max_retry_after));
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    static constexpr std::array<std::string_view, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (v.size() != 29 || v.substr(25) != " GMT") return std::nullopt;
    const auto num = [&](std::size_t at, std::size_t n) -> int {
        int out = 0;
        const auto [end, ec] = std::from_chars(v.data() + at, v.data() + at + n, out);
        return ec == std::errc{} && end == v.data() + at + n ? out : -1;
    };
    const auto month = std::find(months.begin(), months.end(), v.substr(8, 3));
    const int day = num(5, 2), year = num(12, 4), h = num(17, 2), m = num(20, 2), s = num(23, 2);
    if (month == months.end() || day < 1 || year < 1970 || h < 0 || m < 0 || s < 0)
        return std::nullopt;
    const date::year_month_day ymd{date::year{year},
                                   date::month{static_cast<unsigned>(month - months.begin() + 1)},
                                   date::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) return std::nullopt;
    const instant at = date::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{m} +
                       std::chrono::seconds{s};
    return std::clamp<std::chrono::seconds>(at - now, std::chrono::seconds{0}, max_retry_after);
}

attempt_result classify(const outbound::post_response& r, instant now) {
    attempt_result out;
    out.status = static_cast<int>(r.status);
    if (r.status >= 200 && r.status < 300) {
        out.next = attempt_result::kind::delivered;
    } else if (r.status == 410) {
        out.next = attempt_result::kind::disable;
        out.error = "410 Gone: the receiver asked for this subscription to stop";
    } else if (r.status >= 300 && r.status < 400) {
        out.next = attempt_result::kind::give_up;
        out.error = "redirects are not followed (Location: " + r.location + ")";
    } else {
        out.next = attempt_result::kind::retry;
        out.error = "HTTP " + std::to_string(r.status);
        if (r.status == 429 || r.status == 502 || r.status == 504)
            out.retry_after = parse_retry_after(r.retry_after, now);
    }
    return out;
}

struct webhook_dispatcher::worker {
    subscription_config cfg;
    std::mt19937_64 rng{std::random_device{}()};
    std::thread thread;
    bool disabled = false;
};

webhook_dispatcher::webhook_dispatcher(deps d) : d_(std::move(d)) {
    describe_outbound_metrics(d_.m);
    for (const auto& s : d_.subscriptions) {
        auto w = std::make_unique<worker>();
        w->cfg = s;
        workers_.push_back(std::move(w));
    }
    d_.m.gauge(
        "bounceback_webhook_queue_depth", "Events in the log not yet handled by a subscription",
        [this] {
            std::vector<std::pair<metric_labels, double>> out;
            const auto head = d_.log.head();
            for (const auto& w : workers_)
                out.push_back({{{"subscription", w->cfg.id}},
                               static_cast<double>(head - d_.store.state(w->cfg.id).checkpoint)});
            return out;
        });
    d_.m.gauge("bounceback_webhook_lag_seconds",
               "How long ago the oldest event a subscription has not handled was recorded (0 when "
               "caught up)",
               [this] {
                   std::vector<std::pair<metric_labels, double>> out;
                   const auto head = d_.log.head();
                   for (const auto& w : workers_) {
                       const auto next = d_.store.state(w->cfg.id).checkpoint + 1;
                       double lag = 0;
                       if (next <= head)
                           if (const auto e = d_.log.read_all(next, 1); e && !e->empty())
                               lag = std::max(std::chrono::duration<double>(d_.clock() -
                                                                            e->front().recorded_at)
                                                  .count(),
                                              0.0);
                       out.push_back({{{"subscription", w->cfg.id}}, lag});
                   }
                   return out;
               });
}

webhook_dispatcher::~webhook_dispatcher() {
    stop();
}

void webhook_dispatcher::start() {
    for (auto& w : workers_) w->thread = std::thread([this, &w] { run(*w); });
    follow_ = d_.log.subscribe(d_.log.head() + 1, [this](const event_record&) { notify(); });
}

void webhook_dispatcher::stop() {
    follow_.reset();
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
}

void webhook_dispatcher::notify() {
    {
        std::lock_guard lock(mutex_);
        ++generation_;
    }
    wake_.notify_all();
}

// Sleeps for `d` unless the dispatcher stops; false when it stops.
bool webhook_dispatcher::wait_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, d, [&] { return stopping_.load(); });
}

void describe_outbound_metrics(metrics& m) {
    m.describe("bounceback_webhook_deliveries_total", "counter",
               "Outbound webhook attempts and outcomes, by subscription and outcome");
    m.describe("bounceback_webhook_delivery_seconds", "histogram",
               "Latency of one outbound delivery attempt");
}

bool deliver_event(const delivery_target& t, outbound::delivery_record& r, const event_record& e,
                   const std::function<bool(std::chrono::milliseconds)>& wait) {
    const auto body = codec::to_cloudevent(e).dump();
    const auto& id = t.cfg.id;
    // Each attempt is a span of the event's trace (the one that decided it), or of a trace of
    // the delivery's own for an event stored without one; the receiver gets it as `traceparent`.
    const auto parent = trace::parse(e.traceparent, e.tracestate);
    const auto delivery_trace = parent ? *parent : trace::start();
    trace::context span = delivery_trace;
    const auto log = [&](const std::string& line) {
        if (t.log_line)
            t.log_line(line + " trace_id=" + span.trace_id_hex() +
                       " span_id=" + span.span_id_hex());
    };
    const metric_labels labels{{"subscription", id}};
    const auto count = [&](const char* outcome) {
        t.m.add("bounceback_webhook_deliveries_total",
                {{"subscription", id}, {"outcome", outcome}});
    };
    // The receiver's Retry-After, when it gave one, replaces the schedule's wait (no jitter).
    // (A plain count, not an optional: GCC 12 misreports an optional duration as uninitialised.)
    std::int64_t retry_after_s = -1;
    const auto& schedule = t.schedule.retry_schedule;
    for (std::size_t i = 0; i < schedule.size(); ++i) {
        double pause =
            static_cast<double>(retry_after_s >= 0 ? retry_after_s : schedule[i].count());
        if (retry_after_s < 0 && t.schedule.jitter > 0) {
            std::uniform_real_distribution<double> jitter(-t.schedule.jitter, t.schedule.jitter);
            pause *= 1 + jitter(t.rng);
        }
        if (!wait(std::chrono::milliseconds{static_cast<std::int64_t>(pause * 1000)})) return false;
        retry_after_s = -1;
        ++r.attempts;
        r.updated_at = t.clock();
        span = trace::child_of(delivery_trace);

        // A webhook receiver gets the CloudEvent, signed; a helpdesk the update of its ticket.
        outbound::post_request req;
        std::string url = t.cfg.url;
        if (t.cfg.kind != subscription_kind::webhook) {
            auto update = helpdesk_update(t.cfg, e);
            if (!update) {
                r.status = outbound::delivery_status::failed;
                r.last_status = 0;
                r.last_error = "nothing to tell the helpdesk of this event";
                count("failed");
                return false;
            }
            url = update->url;
            req.method = update->method;
            req.headers = std::move(update->headers);
            req.body = std::move(update->body);
        }
        const auto target = outbound::parse_url(url);
        auto endpoints = target ? outbound::resolve_checked(*target, t.cfg.allow_private)
                                : std::unexpected(target.error());
        if (!endpoints) {
            // Not a network hiccup but a target we must not call: no retries.
            r.status = outbound::delivery_status::failed;
            r.last_status = 0;
            r.last_error = "refused: " + endpoints.error();
            count("refused");
            log("webhook " + id + " " + r.webhook_id + " refused: " + endpoints.error());
            return false;
        }
        req.target = *target;
        req.endpoints = std::move(*endpoints);
        req.timeout = t.schedule.timeout;
        if (t.cfg.kind == subscription_kind::webhook) {
            const auto ts = std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(t.clock().time_since_epoch())
                    .count());
            std::string signature;
            for (const auto& secret : t.cfg.secrets)
                signature +=
                    (signature.empty() ? "" : " ") + webhooks::sign(secret, r.webhook_id, ts, body);
            req.headers = {{"content-type", "application/cloudevents+json"},
                           {"webhook-id", r.webhook_id},
                           {"webhook-timestamp", ts},
                           {"webhook-signature", signature}};
            req.body = body;
        }
        req.headers.emplace_back("traceparent", span.traceparent());
        if (!span.state.empty()) req.headers.emplace_back("tracestate", span.state);
        const auto started = std::chrono::steady_clock::now();
        const auto res = outbound::post(req);
        t.m.observe(
            "bounceback_webhook_delivery_seconds", labels,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        const auto outcome = res ? classify(*res, t.clock())
                                 : attempt_result{attempt_result::kind::retry, 0, res.error(), {}};
        r.last_status = outcome.status;
        r.last_error = outcome.error;
        switch (outcome.next) {
            case attempt_result::kind::delivered:
                r.status = outbound::delivery_status::delivered;
                count("delivered");
                log("webhook " + id + " " + r.webhook_id + " delivered status=" +
                    std::to_string(outcome.status) + " attempts=" + std::to_string(r.attempts));
                return false;
            case attempt_result::kind::give_up:
                r.status = outbound::delivery_status::failed;
                count("failed");
                return false;
            case attempt_result::kind::disable:
                r.status = outbound::delivery_status::failed;
                count("disabled");
                t.log_line("webhook subscription " + id + " disabled: " + outcome.error);
                return true;
            case attempt_result::kind::retry:
                if (outcome.retry_after) retry_after_s = outcome.retry_after->count();
                count("retry");
                break;
        }
    }
    r.status = outbound::delivery_status::failed;
    r.last_error += " (all " + std::to_string(schedule.size()) + " attempts failed)";
    count("failed");
    log("webhook " + id + " " + r.webhook_id + " failed: " + r.last_error);
    return false;
}

void webhook_dispatcher::deliver(worker& w, outbound::delivery_record& r, const event_record& e) {
    const delivery_target t{w.cfg, d_.schedule, d_.m, d_.clock, d_.log_line, w.rng};
    if (deliver_event(t, r, e, [this](std::chrono::milliseconds d) { return wait_for(d); })) {
        w.disabled = true;
        d_.store.disable(w.cfg.id, r.last_error);
    }
}

void webhook_dispatcher::run(worker& w) {
    const auto& id = w.cfg.id;
    while (!stopping_) {
        try {
            std::uint64_t seen = 0;
            {
                std::lock_guard lock(mutex_);
                seen = generation_;
            }
            const auto state = d_.store.state(id);
            w.disabled = state.disabled;
            if (w.disabled) {
                wait_for(std::chrono::seconds{1});
                continue;
            }
            if (auto again = d_.store.next_redelivery(id)) {
                const auto e = d_.log.read_all(again->position, 1);
                if (e && !e->empty() && e->front().position == again->position) {
                    again->status = outbound::delivery_status::pending;
                    deliver(w, *again, e->front());
                    if (again->status != outbound::delivery_status::pending)
                        d_.store.finish_redelivery(*again);
                }
                continue;
            }
            const auto batch = d_.log.read_all(state.checkpoint + 1, 256);
            if (!batch || batch->empty()) {
                std::unique_lock lock(mutex_);
                wake_.wait_for(lock, std::chrono::milliseconds{500},
                               [&] { return stopping_ || generation_ != seen; });
                continue;
            }
            std::int64_t skipped = 0;
            for (const auto& e : *batch) {
                if (stopping_ || w.disabled) break;
                if (!wanted(w.cfg, e)) {
                    skipped = e.position;
                    continue;
                }
                if (skipped) d_.store.skip_to(id, skipped);
                skipped = 0;
                outbound::delivery_record r{0,
                                            id,
                                            e.position,
                                            e.stream + "-v" + std::to_string(e.version),
                                            e.type,
                                            e.stream,
                                            outbound::delivery_status::pending,
                                            0,
                                            0,
                                            {},
                                            d_.clock(),
                                            d_.clock()};
                deliver(w, r, e);
                // Stopped mid-retry: nothing recorded, so the next start delivers it again.
                if (r.status == outbound::delivery_status::pending) break;
                d_.store.record(r);
            }
            if (skipped) d_.store.skip_to(id, skipped);
        } catch (const std::exception& ex) {
            d_.log_line("webhook " + id + ": " + ex.what() + "; retrying in 1 s");
            wait_for(std::chrono::seconds{1});
        }
    }
}

}  // namespace bb
