#include "handlers/http/webhook_route.hpp"

#include <atomic>

#include "handlers/http/responses.hpp"
#include "infra/codec/json_writer.hpp"

namespace bb {

using nlohmann::json;
namespace bh = http::beast_http;

webhook_route::webhook_route(const api_deps& d) : d_(d) {
    for (const auto& [source, s] : d_.cfg.webhook_sources)
        for (const auto& secret : s.secrets) hmac_keys_.try_emplace(secret, secret);
    d_.m.describe("bounceback_webhook_events_total", "counter",
                  "Inbound webhook events by outcome");
}

command_meta webhook_route::delivery::meta_for(std::size_t i) const {
    auto m = meta;
    m.causation_id = events[i].event.source + "/" + events[i].event.id;
    return m;
}

std::variant<http::response, webhook_route::delivery> webhook_route::check(
    const std::string& source, const http::request& req, const http::request_context& ctx) {
    const auto src = d_.cfg.webhook_sources.find(source);
    if (src == d_.cfg.webhook_sources.end())
        return problem(problem_kind::unknown_source, "no webhook source named " + source, ctx);
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
    // Every event is validated before any is executed, so a bad batch writes nothing. A decoder
    // per request: its buffers are a few allocations, a shared one would need a lock.
    inbound::cloudevent_decoder decoder;
    auto events = decoder.decode_body(req.body(), d_.in.reads_event_data());
    if (!events) {
        const auto& e = events.error();
        d_.m.add("bounceback_webhook_events_total", {{"outcome", "invalid"}});
        return problem(e.status == 400 ? problem_kind::malformed_body : problem_kind::invalid_event,
                       e.field.empty() ? e.detail : e.field + " " + e.detail, ctx, e.field);
    }
    // A repeated webhook-id gets the stored answer, but only for a body that is valid on its own:
    // an invalid request is refused as such, whatever id it reuses (found by schemathesis).
    if (const auto seen = d_.receipts.find(source, h.id)) {
        d_.m.add("bounceback_webhook_events_total", {{"outcome", "redelivered"}});
        return json_response(bh::status::accepted, json::parse(*seen, nullptr, false));
    }
    const auto n = events->size();
    return delivery{
        source, h.id, std::move(*events), command_meta{{}, source + "/" + h.id, d_.clock()},
        // Until an event's outcome is in, it reads as not written: an answer stops
        // at the first event that was not (a synchronous submit stops there too).
        std::vector<submit_result>(n, std::unexpected(make_error_code(log_errc::closed)))};
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
    // Written straight to text, keys in the order nlohmann's dump gives them (the receipts of
    // earlier answers hold that text).
    const auto ids = [&](codec::json_writer& w, command_outcome::kind k) {
        w.begin_array();
        for (std::size_t i = 0; i < d.events.size(); ++i)
            if (d.outcomes[i]->result == k) w.value(d.events[i].event.id);
        w.end_array();
    };
    codec::json_writer w;
    w.begin_object().key("accepted");
    ids(w, command_outcome::kind::applied);
    w.key("rejected").begin_array();
    for (std::size_t i = 0; i < d.events.size(); ++i) {
        const auto& outcome = *d.outcomes[i];
        if (outcome.result != command_outcome::kind::rejected) continue;
        w.begin_object().key("detail").value(outcome.why->detail);
        w.key("id").value(d.events[i].event.id).key("reason").value(to_string(outcome.why->code));
        w.key("type").value(d.events[i].event.type).end_object();
    }
    w.end_array().key("unchanged");
    ids(w, command_outcome::kind::unchanged);
    w.key("webhook_id").value(d.webhook_id).end_object();
    http::response res{bh::status::accepted, 11};
    res.set(bh::field::content_type, "application/json");
    res.body() = w.take();
    d_.receipts.remember(d.source, d.webhook_id, res.body(), d_.clock());
    return res;
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
    f->reply([this, f] { return answer(f->d, f->ctx); });
}

}  // namespace bb
