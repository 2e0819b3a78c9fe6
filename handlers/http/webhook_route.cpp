#include "handlers/http/webhook_route.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>

#include "handlers/http/responses.hpp"
#include "handlers/ingress/helpdesk_adapter.hpp"
#include "infra/codec/json_writer.hpp"

namespace bb {

using nlohmann::json;
namespace bh = http::beast_http;

namespace {

// `?wait=5s`: how long a Kafka-mode webhook waits for the owners' decisions (0..30 s).
std::expected<std::chrono::milliseconds, std::string> wait_param(std::string_view target) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return std::chrono::milliseconds{0};
    auto rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (!pair.starts_with("wait=")) continue;
        auto v = pair.substr(5);
        if (v.ends_with('s')) v.remove_suffix(1);
        int secs = -1;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
        if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || secs < 0 || secs > 30)
            return std::unexpected("must be whole seconds from 0s to 30s, like 5s");
        return std::chrono::milliseconds{secs * 1000};
    }
    return std::chrono::milliseconds{0};
}

// The answer listing each event's outcome, written straight to text with keys in the order
// nlohmann's dump gives them (the receipts of earlier answers hold that text). Events without
// a decision yet (Kafka mode) are listed as `pending`, with where to ask again.
std::string decided_body(const std::string& webhook_id,
                         const std::vector<std::optional<decided_outcome>>& events,
                         const std::string& poll = {}) {
    const auto ids = [&](codec::json_writer& w, command_outcome::kind k) {
        w.begin_array();
        for (const auto& e : events)
            if (e && e->result == k) w.value(e->id);
        w.end_array();
    };
    codec::json_writer w;
    w.begin_object().key("accepted");
    ids(w, command_outcome::kind::applied);
    if (!poll.empty()) w.key("outcome").value(poll);
    w.key("rejected").begin_array();
    for (const auto& e : events) {
        if (!e || e->result != command_outcome::kind::rejected) continue;
        w.begin_object().key("detail").value(e->detail);
        w.key("id").value(e->id).key("reason").value(e->reason);
        w.key("type").value(e->type).end_object();
    }
    w.end_array().key("unchanged");
    ids(w, command_outcome::kind::unchanged);
    w.key("webhook_id").value(webhook_id).end_object();
    return w.take();
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool body_is_array(std::string_view body) {
    const auto first = body.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && body[first] == '[';
}

}  // namespace

webhook_route::webhook_route(const api_deps& d) : d_(d) {
    for (const auto& [source, s] : d_.cfg.webhook_sources)
        for (const auto& secret : s.secrets) hmac_keys_.try_emplace(secret, secret);
    d_.m.describe("bounceback_webhook_events_total", "counter",
                  "Inbound webhook events by outcome");
}

command_meta webhook_route::delivery::meta_for(std::size_t i) const {
    auto m = meta;
    m.causation_id = events[i].event.source + "/" + events[i].event.id;
    // An event's own trace (the CloudEvents distributed-tracing extension) wins over the
    // request's: a batch may carry events of several traces.
    const auto& e = events[i].event;
    if (!e.traceparent.empty())
        if (auto own = trace::parse(e.traceparent, e.tracestate)) m.trace = trace::child_of(*own);
    m.batch_index = i;
    m.batch_size = events.size();
    return m;
}

std::variant<http::response, webhook_route::delivery> webhook_route::check(
    const std::string& source, const http::request& req, const http::request_context& ctx) {
    const auto src = d_.cfg.webhook_sources.find(source);
    if (src == d_.cfg.webhook_sources.end())
        return problem(problem_kind::unknown_source, "no webhook source named " + source, ctx);
    std::string webhook_id;
    std::vector<inbound::decoded_event> decoded;
    if (src->second.kind != source_kind::standard) {
        // A helpdesk's own webhook: its signature, then its ticket as one complaint.synced event.
        const inbound::header_lookup headers = [&req](std::string_view name) {
            return sv(req[boost::beast::string_view(name.data(), name.size())]);
        };
        if (const auto v = inbound::verify_helpdesk(src->second, headers, req.body(), d_.clock());
            !v)
            return problem(problem_kind::invalid_signature, v.error().detail, ctx);
        auto read = inbound::read_helpdesk(src->second, source, headers, req.body(), d_.clock());
        if (!read) {
            const auto& e = read.error();
            d_.m.add("bounceback_webhook_events_total", {{"outcome", "invalid"}});
            return problem(
                e.status == 400 ? problem_kind::malformed_body : problem_kind::invalid_event,
                e.field.empty() ? e.detail : e.field + " " + e.detail, ctx, e.field);
        }
        webhook_id = std::move(read->delivery_id);
        decoded.push_back(std::move(read->event));
    } else {
        const webhooks::signed_headers h{std::string(sv(req["webhook-id"])),
                                         std::string(sv(req["webhook-timestamp"])),
                                         std::string(sv(req["webhook-signature"]))};
        std::vector<const webhooks::hmac_key*> keys;
        std::vector<webhooks::hmac_key> unprepared;  // secrets the config did not hold at start
        unprepared.reserve(src->second.secrets.size());
        for (const auto& secret : src->second.secrets) {
            const auto k = hmac_keys_.find(secret);
            keys.push_back(k != hmac_keys_.end() ? &k->second : &unprepared.emplace_back(secret));
        }
        if (const auto v = webhooks::verify(keys, h, req.body(), d_.clock()); !v) {
            auto res = problem(problem_kind::invalid_signature,
                               std::string(webhooks::to_string(v.error())), ctx);
            res.set(bh::field::www_authenticate, "Standard-Webhooks");
            return res;
        }
        // Every event is validated before any is executed, so a bad batch writes nothing. A
        // decoder per request: its buffers are a few allocations, a shared one would need a lock.
        // CloudEvents' HTTP binding: binary mode (attributes in `ce-` headers, data as the
        // body), batched mode (a JSON array), or structured mode (one event, or an array).
        const auto type = lower_ascii(sv(req[bh::field::content_type]));
        std::vector<std::pair<std::string, std::string>> attributes;
        for (const auto& f : req) {
            auto name = lower_ascii(sv(f.name_string()));
            if (name.starts_with("ce-")) attributes.emplace_back(name.substr(3), sv(f.value()));
        }
        std::expected<std::vector<inbound::decoded_event>, inbound::invalid_input> events;
        if (!attributes.empty()) {
            auto one =
                inbound::decode_binary(attributes, sv(req[bh::field::content_type]), req.body());
            if (one)
                events = std::vector<inbound::decoded_event>{std::move(*one)};
            else
                events = std::unexpected(one.error());
        } else if (type.starts_with("application/cloudevents-batch+json") &&
                   !body_is_array(req.body())) {
            events = std::unexpected(inbound::invalid_input{
                422, "", "a batch (application/cloudevents-batch+json) must be a JSON array", 0});
        } else {
            inbound::cloudevent_decoder decoder;
            events = decoder.decode_body(req.body(), d_.in.reads_event_data());
        }
        if (!events) {
            const auto& e = events.error();
            d_.m.add("bounceback_webhook_events_total", {{"outcome", "invalid"}});
            return problem(
                e.status == 400 ? problem_kind::malformed_body : problem_kind::invalid_event,
                e.field.empty() ? e.detail : e.field + " " + e.detail, ctx, e.field);
        }
        webhook_id = h.id;
        decoded = std::move(*events);
    }
    const auto wait = wait_param(sv(req.target()));
    if (!wait) return problem(problem_kind::invalid_parameter, "wait " + wait.error(), ctx, "wait");
    const auto correlation = source + "/" + webhook_id;
    // Kafka mode: a webhook-id any instance's delivery was decided for gets that answer.
    if (d_.outcomes) {
        const auto known = d_.outcomes(correlation, decoded.size(), std::chrono::milliseconds{0});
        if (!known.empty() && known.size() == decoded.size() && known.back().of == known.size()) {
            d_.m.add("bounceback_webhook_events_total", {{"outcome", "redelivered"}});
            std::vector<std::optional<decided_outcome>> all(known.begin(), known.end());
            auto res =
                json_response(bh::status::accepted, json::parse(decided_body(webhook_id, all)));
            return res;
        }
    }
    // A repeated webhook-id gets the stored answer, but only for a body that is valid on its own:
    // an invalid request is refused as such, whatever id it reuses (found by schemathesis).
    if (const auto seen = d_.receipts.find(source, webhook_id)) {
        d_.m.add("bounceback_webhook_events_total", {{"outcome", "redelivered"}});
        return json_response(bh::status::accepted, json::parse(*seen, nullptr, false));
    }
    const auto n = decoded.size();
    return delivery{
        source, webhook_id, std::move(decoded),
        command_meta{{}, correlation, d_.clock(), 0, 0, ctx.trace},
        // Until an event's outcome is in, it reads as not written: an answer stops
        // at the first event that was not (a synchronous submit stops there too).
        std::vector<submit_result>(n, std::unexpected(make_error_code(log_errc::closed))), *wait};
}

std::vector<std::optional<decided_outcome>> webhook_route::decisions(const delivery& d) const {
    std::vector<std::optional<decided_outcome>> out(d.events.size());
    for (std::size_t i = 0; i < d.events.size(); ++i)
        if (d.outcomes[i] && d.outcomes[i]->result == command_outcome::kind::rejected)
            out[i] = decided_outcome{i,
                                     d.events.size(),
                                     d.events[i].event.id,
                                     d.events[i].event.type,
                                     command_outcome::kind::rejected,
                                     std::string(to_string(d.outcomes[i]->why->code)),
                                     d.outcomes[i]->why->detail};
    for (const auto& o : d.decided)
        if (o.index < out.size() && !out[o.index]) out[o.index] = o;
    return out;
}

http::response webhook_route::answer(const delivery& d, const http::request_context& ctx) {
    for (std::size_t i = 0; i < d.events.size(); ++i) {
        const auto& outcome = d.outcomes[i];
        if (!outcome) {
            // The sender retries the whole delivery; the events that did land come back as
            // duplicates.
            auto res = problem(
                problem_kind::storage_unavailable,
                "the event store could not write durably: " + outcome.error().message(), ctx);
            res.set(bh::field::retry_after, "5");
            return res;
        }
        d_.m.add("bounceback_webhook_events_total",
                 {{"outcome", outcome->result == command_outcome::kind::applied     ? "accepted"
                              : outcome->result == command_outcome::kind::unchanged ? "unchanged"
                                                                                    : "rejected"}});
    }
    http::response res{bh::status::accepted, 11};
    res.set(bh::field::content_type, "application/json");
    if (!d_.outcomes) {
        // Embedded: decided and durable, each event's outcome is the ingress's.
        std::vector<std::optional<decided_outcome>> all;
        for (std::size_t i = 0; i < d.events.size(); ++i) {
            const auto& o = *d.outcomes[i];
            all.push_back(decided_outcome{
                i, d.events.size(), d.events[i].event.id, d.events[i].event.type, o.result,
                o.why ? std::string(to_string(o.why->code)) : "", o.why ? o.why->detail : ""});
        }
        res.body() = decided_body(d.webhook_id, all);
        d_.receipts.remember(d.source, d.webhook_id, res.body(), d_.clock());
        return res;
    }
    // Kafka mode: durable in the inbound topic; decided by the partitions' owners. What they
    // decided by now is in the answer; the rest is `pending`, to be asked for at `outcome`.
    const auto all = decisions(d);
    const bool complete = std::ranges::all_of(all, [](const auto& o) { return o.has_value(); });
    if (complete) {
        res.body() = decided_body(d.webhook_id, all);
        d_.receipts.remember(d.source, d.webhook_id, res.body(), d_.clock());
        return res;
    }
    const auto poll = "/v1/webhooks/" + d.source + "/outcomes/" + d.webhook_id;
    auto body = json::parse(decided_body(d.webhook_id, all, poll));
    json pending = json::array();
    for (std::size_t i = 0; i < all.size(); ++i)
        if (!all[i]) pending.push_back(d.events[i].event.id);
    body["pending"] = pending;
    res.body() = body.dump();
    res.set(bh::field::location, poll);
    return res;
}

http::response webhook_route::outcome(const std::string& source, const std::string& webhook_id,
                                      const http::request_context& ctx) {
    if (!d_.cfg.webhook_sources.contains(source))
        return problem(problem_kind::unknown_source, "no webhook source named " + source, ctx);
    if (!d_.outcomes)
        return problem(problem_kind::unknown_outcome,
                       "outcomes are answered with the webhook itself in the embedded shape", ctx);
    const auto known = d_.outcomes(source + "/" + webhook_id, 0, std::chrono::milliseconds{0});
    if (known.empty())
        return problem(problem_kind::unknown_outcome,
                       "no decision known for webhook-id " + webhook_id +
                           " (not decided yet, or older than the outcome window)",
                       ctx);
    std::vector<std::optional<decided_outcome>> all(known.front().of);
    for (const auto& o : known)
        if (o.index < all.size()) all[o.index] = o;
    auto body = json::parse(decided_body(webhook_id, all));
    // Events the owners have not decided yet are counted, not named: only the delivery's
    // receiver knew their ids.
    body["pending_count"] = std::ranges::count_if(all, [](const auto& o) { return !o; });
    return json_response(bh::status::ok, body);
}

struct webhook_route::in_flight {
    delivery d;
    http::request_context ctx;
    http::responder reply;
    std::atomic<std::size_t> left;
    std::atomic<bool> failed{false};
};

void webhook_route::start(const std::string& source, const http::request& req,
                          const http::request_context& ctx, http::responder reply) {
    auto checked = check(source, req, ctx);
    if (auto* refused = std::get_if<http::response>(&checked)) {
        reply([res = std::move(*refused)]() mutable { return std::move(res); });
        return;
    }
    const auto n = std::get<delivery>(checked).events.size();
    auto f = std::make_shared<in_flight>(std::move(std::get<delivery>(checked)), ctx,
                                         std::move(reply), n);
    if (n == 0) return f->reply([this, f] { return answer(f->d, f->ctx); });
    // Every event is submitted at once, in order: one stream's commands decide on each other's
    // outcome before it is durable. After an event known not to be written (an ingress that
    // waits for durability says so at once) nothing more is submitted: its answer is a 503.
    for (std::size_t i = 0; i < n; ++i) {
        if (f->failed.load(std::memory_order_acquire)) {
            finish_one(f);
            continue;
        }
        d_.in.submit(f->d.events[i].event, f->d.events[i].cmd, f->d.meta_for(i),
                     [this, f, i](submit_result outcome) {
                         if (!outcome) f->failed.store(true, std::memory_order_release);
                         f->d.outcomes[i] = std::move(outcome);
                         finish_one(f);
                     });
    }
}

// The answer is built once the last event's outcome is in, where the responder builds it (the
// connection's executor), not on the thread that completed the append.
void webhook_route::finish_one(const std::shared_ptr<in_flight>& f) {
    if (f->left.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    // Kafka mode: the ingress blocks, so this is a worker thread; it may wait for the owners'
    // decisions as the sender asked (`?wait=`), never longer.
    if (d_.outcomes && !f->failed.load(std::memory_order_acquire)) {
        // Every event's decision reaches the outcomes topic: the owners', and the ingress's own
        // refusals (kafka_ingress::report_rejections_to).
        f->d.decided = d_.outcomes(f->d.meta.correlation_id, f->d.events.size(), f->d.wait);
    }
    f->reply([this, f] { return answer(f->d, f->ctx); });
}

}  // namespace bb
