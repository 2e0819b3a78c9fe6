#include "handlers/http_api.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <tuple>

#include <nlohmann/json.hpp>

#include "handlers/complaint_view.hpp"
#include "handlers/inbound.hpp"
#include "handlers/problem.hpp"
#include "handlers/query_params.hpp"
#include "handlers/read_views.hpp"
#include "infra/codec/cloudevent_codec.hpp"
#include "infra/codec/json_writer.hpp"
#include "infra/gzip.hpp"
#include "infra/hash_chain.hpp"
#include "infra/iso8601.hpp"
#include "infra/standard_webhooks.hpp"

namespace bb {

using nlohmann::json;
namespace bh = http::beast_http;

namespace {

http::response json_response(bh::status status, const json& body) {
    http::response res{status, 11};
    res.set(bh::field::content_type, "application/json");
    res.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
    return res;
}

std::vector<std::string> split_path(std::string_view target) {
    const auto q = target.find('?');
    if (q != std::string_view::npos) target = target.substr(0, q);
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos < target.size()) {
        if (target[pos] == '/') {
            ++pos;
            continue;
        }
        const auto end = target.find('/', pos);
        parts.emplace_back(
            target.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
        if (end == std::string_view::npos) break;
        pos = end;
    }
    return parts;
}

std::string_view sv(boost::beast::string_view s) {
    return {s.data(), s.size()};
}

bool allowed(role r, const std::vector<role>& roles) {
    return r == role::admin || std::find(roles.begin(), roles.end(), r) != roles.end();
}

}  // namespace

http_api::http_api(deps d) : d_(std::move(d)) {
    for (const auto& [token, r] : d_.cfg.tokens) token_hashes_[sha256_hex(token)] = r;
    for (const auto& [source, s] : d_.cfg.webhook_sources)
        for (const auto& secret : s.secrets) hmac_keys_.try_emplace(secret, secret);
    d_.m.describe("bounceback_http_requests_total", "counter", "HTTP requests by route and status");
    d_.m.describe("bounceback_webhook_events_total", "counter",
                  "Inbound webhook events by outcome");
    d_.m.describe("bounceback_sla_summary_computations_total", "counter",
                  "SLA summaries computed from the read model (the rest are served cached)");
}

std::optional<role> http_api::authenticate(const http::request& req) const {
    const auto auth = req[bh::field::authorization];
    constexpr std::string_view scheme = "Bearer ";
    if (auth.size() <= scheme.size() ||
        !std::equal(scheme.begin(), scheme.end(), auth.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        return std::nullopt;
    // Compare hashes, not tokens, so lookup time says nothing about a token's prefix.
    const auto it = token_hashes_.find(
        sha256_hex(std::string_view(auth.data() + scheme.size(), auth.size() - scheme.size())));
    if (it == token_hashes_.end()) return std::nullopt;
    return it->second;
}

http::response http_api::error(unsigned status, const std::string& detail,
                               const http::request_context& ctx) {
    if (d_.log_line)
        d_.log_line("request_id=" + ctx.request_id + " remote=" + ctx.remote +
                    " status=" + std::to_string(status) + " refused before routing: " + detail);
    switch (status) {
        case 413:
            return problem(413, "body-too-large", "Payload Too Large", detail, ctx);
        case 408:
            return problem(408, "request-timeout", "Request Timeout", detail, ctx);
        case 431:
            return problem(431, "headers-too-large", "Request Header Fields Too Large", detail,
                           ctx);
        default:
            return problem(status, "bad-request", "Bad Request", detail, ctx);
    }
}

http::response http_api::handle(const http::request& req, const http::request_context& ctx) {
    const auto started = std::chrono::steady_clock::now();
    std::string route_name = "unknown";
    auto res = route(req, ctx, route_name);
    record(ctx, sv(req.method_string()), route_name, res.result_int(), started);
    return res;
}

void http_api::record(const http::request_context& ctx, std::string_view method,
                      const std::string& route_name, unsigned status,
                      std::chrono::steady_clock::time_point started) {
    d_.m.add("bounceback_http_requests_total",
             {{"route", route_name}, {"status", std::to_string(status)}});
    if (d_.log_line) {
        const auto ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
        // The target is logged without its query string; tokens and signatures never are.
        d_.log_line("request_id=" + ctx.request_id + " method=" + std::string(method) + " route=" +
                    route_name + " status=" + std::to_string(status) + " ms=" + std::to_string(ms));
    }
}

namespace {

// A route template ("/v1/complaints/{}/history") matched segment by segment; `{}` binds.
bool match(const std::vector<std::string>& tmpl, const std::vector<std::string>& parts,
           std::vector<std::string>& bound) {
    if (tmpl.size() != parts.size()) return false;
    bound.clear();
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] == "{}")
            bound.push_back(parts[i]);
        else if (tmpl[i] != parts[i])
            return false;
    }
    return true;
}

enum class route_id {
    webhook,
    healthz,
    readyz,
    openapi,
    metrics,
    complaint,
    history,
    audit_verify,
    sla_summary,
    sla_at_risk,
    prevention,
    employee_scores,
    employee,
    webhook_deliveries,
    redeliver,
    webhook_subscriptions,
    enable_subscription,
};

struct route_spec {
    route_id id;
    std::string name;                // the template, also the metrics label
    std::vector<std::string> parts;  // "{}" binds a segment
    bh::verb method;
    std::optional<std::vector<role>> roles;  // nullopt: no token needed
};

// The route table, built once: matching a request allocates nothing per route.
const std::vector<route_spec>& route_table() {
    static const std::vector<route_spec> table = [] {
        using enum route_id;
        const std::vector<
            std::tuple<route_id, std::string, bh::verb, std::optional<std::vector<role>>>>
            defs = {
                {webhook, "/v1/webhooks/{source}", bh::verb::post, std::nullopt},
                {healthz, "/healthz", bh::verb::get, std::nullopt},
                {readyz, "/readyz", bh::verb::get, std::nullopt},
                {openapi, "/openapi.yaml", bh::verb::get, std::nullopt},
                {metrics, "/metrics", bh::verb::get, std::vector<role>{role::manager}},
                {complaint, "/v1/complaints/{id}", bh::verb::get,
                 std::vector<role>{role::agent, role::manager, role::auditor}},
                {history, "/v1/complaints/{id}/history", bh::verb::get,
                 std::vector<role>{role::agent, role::auditor}},
                {audit_verify, "/v1/audit/verify", bh::verb::get, std::vector<role>{role::auditor}},
                {sla_summary, "/v1/sla/summary", bh::verb::get, std::vector<role>{role::manager}},
                {sla_at_risk, "/v1/sla/at-risk", bh::verb::get,
                 std::vector<role>{role::manager, role::agent}},
                {prevention, "/v1/analytics/prevention", bh::verb::get,
                 std::vector<role>{role::manager}},
                {employee_scores, "/v1/employees/scores", bh::verb::get,
                 std::vector<role>{role::manager}},
                {employee, "/v1/employees/{id}", bh::verb::get, std::vector<role>{role::manager}},
                {webhook_deliveries, "/v1/webhook-deliveries", bh::verb::get,
                 std::vector<role>{role::manager, role::auditor}},
                {redeliver, "/v1/webhook-deliveries/{id}/redeliver", bh::verb::post,
                 std::vector<role>{}},  // admin only
                {webhook_subscriptions, "/v1/webhook-subscriptions", bh::verb::get,
                 std::vector<role>{role::manager, role::auditor}},
                {enable_subscription, "/v1/webhook-subscriptions/{id}/enable", bh::verb::post,
                 std::vector<role>{}},  // admin only
            };
        std::vector<route_spec> out;
        for (const auto& [id, name, method, roles] : defs) {
            std::vector<std::string> parts;
            for (const auto& seg : split_path(name))
                parts.push_back(seg.front() == '{' ? "{}" : seg);
            out.push_back({id, name, std::move(parts), method, roles});
        }
        return out;
    }();
    return table;
}

// The route whose template the path matches (the first; methods are checked by the caller).
const route_spec* find_route(const std::vector<std::string>& parts,
                             std::vector<std::string>& bound) {
    for (const auto& r : route_table())
        if (match(r.parts, parts, bound)) return &r;
    return nullptr;
}

// Routes that answer from memory without waiting (see http_api::quick).
bool answers_at_once(route_id id) {
    switch (id) {
        case route_id::healthz:
        case route_id::readyz:
        case route_id::openapi:
            return true;
        // Only when the answer is in memory (http_api::quick): a complaint the command side
        // holds, a summary whose cached text is current. /metrics reads the outbound delivery
        // store (SQLite) for its queue-depth gauge.
        case route_id::complaint:
        case route_id::sla_summary:
        case route_id::metrics:
        case route_id::webhook:
        case route_id::history:
        case route_id::audit_verify:
        case route_id::sla_at_risk:
        case route_id::prevention:
        case route_id::employee_scores:
        case route_id::employee:
        case route_id::webhook_deliveries:
        case route_id::redeliver:
        case route_id::webhook_subscriptions:
        case route_id::enable_subscription:
            return false;
    }
    return false;
}

}  // namespace

bool http_api::quick(const http::request& req) const {
    const auto target = sv(req.target());
    std::vector<std::string> bound;
    const auto* r = find_route(split_path(target), bound);
    if (r == nullptr || r->method != req.method()) return false;
    // Recomputing a summary walks the whole read model: only a cached one is quick.
    if (r->id == route_id::sla_summary) return summary_cached(summary_key(parse_query(target)));
    // A complaint the command side does not hold is folded from the log, unless the read model
    // has caught up with the log (then its row is the complaint as it stands).
    if (r->id == route_id::complaint)
        return d_.in.complaint_in_memory(complaint_id{bound[0]}) || read_model_current();
    return answers_at_once(r->id);
}

std::string http_api::summary_key(const std::map<std::string, std::string>& q) {
    std::string key;
    for (const auto& [k, v] : q) key += k + "=" + v + "&";
    return key;
}

bool http_api::summary_cached(const std::string& key) const {
    std::lock_guard lock(summary_cache_.mutex);
    const auto it = summary_cache_.entries.find(key);
    return it != summary_cache_.entries.end() && it->second->generation == d_.reads.generation();
}

http::response http_api::dispatch(int which, const std::vector<std::string>& bound,
                                  const http::request& req,
                                  const std::map<std::string, std::string>& query,
                                  const http::request_context& ctx) {
    switch (static_cast<route_id>(which)) {
        case route_id::webhook: {
            if (!d_.ready()) {
                auto res = problem(503, "not-ready", "Service Unavailable",
                                   "rebuilding state from the log", ctx);
                res.set(bh::field::retry_after, "1");
                return res;
            }
            return webhook(bound[0], req, ctx);
        }
        case route_id::healthz:
            return json_response(bh::status::ok, {{"status", "ok"}});
        case route_id::readyz:
            if (!d_.ready())
                return problem(503, "not-ready", "Service Unavailable",
                               "rebuilding state from the log", ctx);
            return json_response(bh::status::ok, {{"status", "ready"}});
        case route_id::openapi: {
            http::response res{bh::status::ok, 11};
            res.set(bh::field::content_type, "application/yaml");
            res.body() = d_.openapi;
            return res;
        }
        case route_id::metrics: {
            http::response res{bh::status::ok, 11};
            res.set(bh::field::content_type, "text/plain; version=0.0.4");
            res.body() = d_.m.render();
            return res;
        }
        case route_id::complaint:
            return complaint(bound[0], ctx);
        case route_id::history:
            return history(bound[0], ctx);
        case route_id::audit_verify: {
            if (d_.verify_partitions) return verify_partitions(ctx);
            const auto report = verify_chain(d_.log);
            if (!report)
                return problem(503, "storage-unavailable", "Service Unavailable",
                               report.error().message(), ctx);
            json body{
                {"intact", report->intact}, {"events", report->events}, {"head", report->head}};
            if (report->first_bad)
                body["first_bad"] = {{"position", report->first_bad->position},
                                     {"stream", report->first_bad->stream},
                                     {"version", report->first_bad->version},
                                     {"type", report->first_bad->type},
                                     {"problem", report->problem}};
            return json_response(bh::status::ok, body);
        }
        case route_id::sla_summary:
            return sla_summary(query, gzip::accepted(sv(req[bh::field::accept_encoding])), ctx);
        case route_id::sla_at_risk:
            return sla_at_risk(query, ctx);
        case route_id::prevention:
            return prevention(query, ctx);
        case route_id::employee_scores:
            return employee_scores(query, "", ctx);
        case route_id::employee:
            return employee_scores(query, bound[0], ctx);
        case route_id::webhook_deliveries:
            return webhook_deliveries(query, ctx);
        case route_id::redeliver:
            return redeliver(bound[0], ctx);
        case route_id::webhook_subscriptions:
            return webhook_subscriptions();
        case route_id::enable_subscription:
            return enable_subscription(bound[0], ctx);
    }
    return problem(404, "not-found", "Not Found", "no such resource", ctx);
}

http::response http_api::route(const http::request& req, const http::request_context& ctx,
                               std::string& name) {
    const auto target = sv(req.target());
    std::vector<std::string> bound;
    if (const auto* found = find_route(split_path(target), bound)) {
        const auto& r = *found;
        name = r.name;
        if (req.method() != r.method) {
            auto res = problem(405, "method-not-allowed", "Method Not Allowed",
                               std::string(sv(req.method_string())) + " is not allowed here", ctx);
            res.set(bh::field::allow, std::string(sv(bh::to_string(r.method))));
            return res;
        }
        if (r.roles) {
            const auto who = authenticate(req);
            if (!who) {
                auto res = problem(401, "unauthorized", "Unauthorized",
                                   "a valid bearer token is required", ctx);
                res.set(bh::field::www_authenticate, "Bearer");
                return res;
            }
            if (!allowed(*who, *r.roles))
                return problem(403, "forbidden", "Forbidden",
                               "the role " + std::string(to_string(*who)) + " may not read this",
                               ctx);
        }
        return dispatch(static_cast<int>(r.id), bound, req, parse_query(target), ctx);
    }
    // The dashboard page and its scripts are public; the data they show needs a token.
    if (d_.assets) {
        const auto path = std::string(target.substr(0, target.find('?')));
        if (const auto it = d_.assets->find(path); it != d_.assets->end()) {
            name = path == "/" ? "/" : "/static";
            if (req.method() != bh::verb::get) {
                auto res =
                    problem(405, "method-not-allowed", "Method Not Allowed", "only GET", ctx);
                res.set(bh::field::allow, "GET");
                return res;
            }
            http::response res{bh::status::ok, 11};
            res.set(bh::field::content_type, it->second.content_type);
            res.set(bh::field::cache_control, "no-cache");
            res.body() = std::string(it->second.body);
            return res;
        }
    }
    return problem(404, "not-found", "Not Found", "no such resource", ctx);
}

command_meta http_api::delivery::meta_for(std::size_t i) const {
    auto m = meta;
    m.causation_id = events[i].event.source + "/" + events[i].event.id;
    return m;
}

std::variant<http::response, http_api::delivery> http_api::check_webhook(
    const std::string& source, const http::request& req, const http::request_context& ctx) {
    const auto src = d_.cfg.webhook_sources.find(source);
    if (src == d_.cfg.webhook_sources.end())
        return problem(404, "unknown-source", "Not Found", "no webhook source named " + source,
                       ctx);
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
        auto res = problem(401, "invalid-signature", "Unauthorized",
                           std::string(webhooks::to_string(v.error())), ctx);
        res.set(bh::field::www_authenticate, "Standard-Webhooks");
        return res;
    }
    // Every event is validated before any is executed, so a bad batch writes nothing. A decoder
    // per request: its buffers are a few allocations, a shared one would need a lock.
    inbound::body_decoder decoder;
    auto events = decoder.decode_body(req.body(), d_.in.reads_event_data());
    if (!events) {
        const auto& e = events.error();
        d_.m.add("bounceback_webhook_events_total", {{"outcome", "invalid"}});
        return problem(e.status, e.status == 400 ? "malformed-body" : "invalid-event",
                       e.status == 400 ? "Bad Request" : "Unprocessable Content",
                       e.field.empty() ? e.detail : e.field + " " + e.detail, ctx, e.field);
    }
    // A repeated webhook-id gets the stored answer, but only for a body that is valid on its own:
    // an invalid request is refused as such, whatever id it reuses (found by schemathesis).
    if (const auto seen = d_.receipts.find(source, h.id)) {
        d_.m.add("bounceback_webhook_events_total", {{"outcome", "redelivered"}});
        return json_response(bh::status::accepted, json::parse(*seen, nullptr, false));
    }
    const auto n = events->size();
    return delivery{source, h.id, std::move(*events),
                    command_meta{{}, source + "/" + h.id, d_.clock()},
                    // Until an event's outcome is in, it reads as not written: an answer stops
                    // at the first event that was not (a synchronous submit stops there too).
                    std::vector<std::expected<command_outcome, std::error_code>>(
                        n, std::unexpected(make_error_code(log_errc::closed)))};
}

http::response http_api::webhook_answer(const delivery& d, const http::request_context& ctx) {
    for (std::size_t i = 0; i < d.events.size(); ++i) {
        const auto& outcome = d.outcomes[i];
        if (!outcome) {
            // The sender retries the whole delivery; the events that did land come back as
            // duplicates.
            auto res = problem(
                503, "storage-unavailable", "Service Unavailable",
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

http::response http_api::webhook(const std::string& source, const http::request& req,
                                 const http::request_context& ctx) {
    auto checked = check_webhook(source, req, ctx);
    if (auto* refused = std::get_if<http::response>(&checked)) return std::move(*refused);
    auto& d = std::get<delivery>(checked);
    for (std::size_t i = 0; i < d.events.size(); ++i) {
        d.outcomes[i] = d_.in.submit(d.events[i].event, d.events[i].cmd, d.meta_for(i));
        if (!d.outcomes[i]) break;  // nothing after it is written
    }
    return webhook_answer(d, ctx);
}

bool http_api::deferred(const http::request& req, const http::request_context& ctx,
                        http::responder reply) {
    if (!d_.in.submits_async() || req.method() != bh::verb::post || !d_.ready()) return false;
    std::vector<std::string> bound;
    const auto* r = find_route(split_path(sv(req.target())), bound);
    if (r == nullptr || r->id != route_id::webhook) return false;
    const auto started = std::chrono::steady_clock::now();
    auto checked = check_webhook(bound[0], req, ctx);
    if (auto* refused = std::get_if<http::response>(&checked)) {
        record(ctx, "POST", r->name, refused->result_int(), started);
        reply([res = std::move(*refused)]() mutable { return std::move(res); });
        return true;
    }
    // Every event is queued at once, in order (one stream's commands decide on each other's
    // outcome before it is durable); the answer is built once the last is durable.
    struct in_flight {
        delivery d;
        std::atomic<std::size_t> left;
        http::responder reply;
    };
    const auto n = std::get<delivery>(checked).events.size();
    auto f =
        std::make_shared<in_flight>(std::move(std::get<delivery>(checked)), n, std::move(reply));
    for (std::size_t i = 0; i < n; ++i)
        d_.in.submit_async(f->d.events[i].event, f->d.events[i].cmd, f->d.meta_for(i),
                           [this, f, i, ctx, started, name = r->name](auto outcome) {
                               f->d.outcomes[i] = std::move(outcome);
                               if (f->left.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
                               f->reply([this, f, ctx, started, name] {
                                   auto res = webhook_answer(f->d, ctx);
                                   record(ctx, "POST", name, res.result_int(), started);
                                   return res;
                               });
                           });
    return true;
}

namespace {
json delivery_json(const outbound::delivery_record& r) {
    return {{"id", r.id},
            {"subscription", r.subscription},
            {"webhook_id", r.webhook_id},
            {"position", r.position},
            {"stream", r.stream},
            {"event_type", r.event_type},
            {"status", std::string(outbound::to_string(r.status))},
            {"attempts", r.attempts},
            {"last_status", r.last_status},
            {"last_error", r.last_error},
            {"created_at", iso8601::format_instant(r.created_at)},
            {"updated_at", iso8601::format_instant(r.updated_at)}};
}
}  // namespace

http::response http_api::webhook_deliveries(const std::map<std::string, std::string>& query,
                                            const http::request_context& ctx) {
    std::optional<std::string> subscription;
    std::optional<outbound::delivery_status> status;
    if (const auto it = query.find("subscription"); it != query.end()) subscription = it->second;
    if (const auto it = query.find("status"); it != query.end()) {
        status = outbound::parse_delivery_status(it->second);
        if (!status)
            return problem(400, "invalid-parameter", "Bad Request",
                           "status must be delivered, failed or pending", ctx, "status");
    }
    // The limit as every list reads it; the cursor is the id to continue below (newest first).
    std::map<std::string, std::string> paging;
    if (const auto it = query.find("limit"); it != query.end()) paging.insert(*it);
    const auto page = parse_page(paging);
    if (!page)
        return problem(400, "invalid-parameter", "Bad Request", "limit " + page.error().detail, ctx,
                       "limit");
    const std::size_t limit = page->limit;
    std::int64_t before = 0;
    if (const auto it = query.find("cursor"); it != query.end()) {
        const auto& c = it->second;
        const auto [ptr, ec] = std::from_chars(c.data(), c.data() + c.size(), before);
        if (c.empty() || c.size() > 18 || ec != std::errc{} || ptr != c.data() + c.size() ||
            before < 0)
            return problem(400, "invalid-parameter", "Bad Request",
                           "cursor is not a cursor this API returned", ctx, "cursor");
    }
    json items = json::array();
    std::string next;
    if (d_.deliveries) {
        const auto rows = d_.deliveries->list(subscription, status, before, limit);
        for (const auto& r : rows) items.push_back(delivery_json(r));
        if (rows.size() == limit) next = std::to_string(rows.back().id);
    }
    json body{{"deliveries", items}};
    if (!next.empty()) body["next_cursor"] = next;
    return json_response(bh::status::ok, body);
}

http::response http_api::redeliver(const std::string& id, const http::request_context& ctx) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
    if (ec != std::errc{} || end != id.data() + id.size() || !d_.deliveries)
        return problem(404, "unknown-delivery", "Not Found", "no delivery " + id, ctx);
    const auto r = d_.deliveries->request_redelivery(n, d_.clock());
    if (!r) return problem(404, "unknown-delivery", "Not Found", "no delivery " + id, ctx);
    if (d_.on_redeliver) d_.on_redeliver();
    return json_response(bh::status::accepted, delivery_json(*r));
}

namespace {
// A configured subscription and where its worker stands. The URL is left out: it may carry
// credentials, and the config file is where operators read it.
json subscription_json(const subscription_config& c, const outbound::subscription_state& s) {
    json out{
        {"id", c.id}, {"types", c.types}, {"checkpoint", s.checkpoint}, {"disabled", s.disabled}};
    if (s.disabled) out["disabled_reason"] = s.disabled_reason;
    return out;
}
}  // namespace

http::response http_api::webhook_subscriptions() {
    json items = json::array();
    for (const auto& c : d_.cfg.subscriptions)
        items.push_back(subscription_json(
            c, d_.deliveries ? d_.deliveries->state(c.id) : outbound::subscription_state{}));
    return json_response(bh::status::ok, json{{"subscriptions", items}});
}

http::response http_api::enable_subscription(const std::string& id,
                                             const http::request_context& ctx) {
    const auto& subs = d_.cfg.subscriptions;
    const auto it = std::ranges::find(subs, id, &subscription_config::id);
    if (it == subs.end() || !d_.deliveries)
        return problem(404, "unknown-subscription", "Not Found", "no subscription " + id, ctx);
    // A disabled worker looks at its state every second; no nudge needed.
    return json_response(bh::status::ok, subscription_json(*it, d_.deliveries->enable(id)));
}

http::response http_api::verify_partitions(const http::request_context& ctx) {
    const auto reports = d_.verify_partitions();
    if (!reports)
        return problem(503, "storage-unavailable", "Service Unavailable", reports.error(), ctx);
    json partitions = json::array();
    bool intact = true;
    std::int64_t events = 0;
    for (std::size_t p = 0; p < reports->size(); ++p) {
        const auto& r = (*reports)[p];
        json one{{"partition", p}, {"intact", r.intact}, {"events", r.events}, {"head", r.head}};
        if (r.first_bad)
            one["first_bad"] = {{"position", r.first_bad->position},
                                {"stream", r.first_bad->stream},
                                {"version", r.first_bad->version},
                                {"problem", r.problem}};
        intact = intact && r.intact;
        events += r.events;
        partitions.push_back(std::move(one));
    }
    return json_response(bh::status::ok,
                         {{"intact", intact}, {"events", events}, {"partitions", partitions}});
}

bool http_api::read_model_current() const {
    return d_.reads.position() >= d_.log.head();
}

http::response http_api::complaint(const std::string& id, const http::request_context& ctx) {
    const complaint_id cid{id};
    complaint_lookup s;
    if (!d_.in.complaint_in_memory(cid) && read_model_current())
        s = d_.reads.read([&](const projection::read_model& m) -> std::optional<complaint_state> {
            const auto it = m.complaints.find(id);
            if (it == m.complaints.end()) return std::nullopt;
            return it->second.state;
        });
    else
        s = d_.in.complaint(cid);
    if (!s)
        return problem(503, "storage-unavailable", "Service Unavailable", s.error().message(), ctx);
    if (!*s) return problem(404, "unknown-complaint", "Not Found", "no complaint " + id, ctx);
    http::response res{bh::status::ok, 11};
    res.set(bh::field::content_type, "application/json");
    res.body() = complaint_view(**s);
    return res;
}

http::response http_api::history(const std::string& id, const http::request_context& ctx) {
    const auto events = d_.log.read_stream(complaint_stream(complaint_id{id}), 1);
    if (!events)
        return problem(503, "storage-unavailable", "Service Unavailable", events.error().message(),
                       ctx);
    if (events->empty())
        return problem(404, "unknown-complaint", "Not Found", "no complaint " + id, ctx);
    json out = json::array();
    bool intact = true;
    for (const auto& e : *events) {
        // Each event's own hash proves its bytes; /v1/audit/verify proves the chain across the log.
        auto ce = codec::to_cloudevent(e);
        ce["hash_ok"] = chain_hash(e.prev_hash, e) == e.hash;
        intact = intact && ce["hash_ok"].get<bool>();
        out.push_back(std::move(ce));
    }
    return json_response(bh::status::ok,
                         {{"complaint_id", id}, {"intact", intact}, {"events", out}});
}

namespace {
http::response bad_parameter(const bad_param& b, const http::request_context& ctx) {
    return problem(400, "invalid-parameter", "Bad Request", b.name + " " + b.detail, ctx, b.name);
}

template <class T>
json paged(const std::vector<T>& all, const page& p) {
    json items = json::array();
    for (std::size_t i = p.offset; i < all.size() && i < p.offset + p.limit; ++i)
        items.push_back(to_json(all[i]));
    const auto next = next_cursor(p, all.size());
    return {{"items", items},
            {"total", all.size()},
            {"next_cursor", next.empty() ? json(nullptr) : json(next)}};
}
}  // namespace

http::response http_api::sla_summary(const std::map<std::string, std::string>& q,
                                     bool gzip_accepted, const http::request_context& ctx) {
    const auto f = parse_filter(q);
    if (!f) return bad_parameter(f.error(), ctx);
    auto per = projection::period::week;
    if (const auto it = q.find("period"); it != q.end()) {
        const auto p = projection::parse_period(it->second);
        if (!p) return bad_parameter({"period", "must be day, week or month"}, ctx);
        per = *p;
    }
    // The summary is a pure function of the read model and the query: dashboards polling it
    // between events get the cached one (docs/benchmarks.md: 2.6 ms per computation), and with
    // gzip its compressed bytes (a ~27 KiB text is ~3 KiB: the bytes, not the route, limited the
    // rate this endpoint could serve).
    const auto cached = summary_for(summary_key(q), d_.reads.generation(), *f, per);
    const auto suffix = ",\"as_of\":\"" + iso8601::format_instant(d_.clock()) +
                        "\",\"position\":" + std::to_string(cached->position) + "}";
    http::response res{bh::status::ok, 11};
    res.set(bh::field::content_type, "application/json");
    res.set(bh::field::vary, "Accept-Encoding");
    if (gzip_accepted) {
        res.set(bh::field::content_encoding, "gzip");
        res.body() = cached->gzipped.with_suffix(suffix);
    } else {
        res.body().reserve(cached->text.size() + suffix.size());
        res.body().append(cached->text).append(suffix);
    }
    return res;
}

std::shared_ptr<const http_api::cached_summary> http_api::summary_for(
    const std::string& key, std::uint64_t arrival, const projection::report_filter& filter,
    projection::period per) {
    std::unique_lock lock(summary_cache_.mutex);
    for (;;) {
        const auto it = summary_cache_.entries.find(key);
        if (it != summary_cache_.entries.end() && it->second->generation >= arrival)
            return it->second;
        if (!summary_cache_.computing.contains(key)) break;
        summary_cache_.computed.wait(lock);
    }
    summary_cache_.computing.insert(key);
    lock.unlock();
    struct done_computing {
        decltype(summary_cache_)& cache;
        const std::string& key;
        ~done_computing() {
            {
                std::lock_guard l(cache.mutex);
                cache.computing.erase(key);
            }
            cache.computed.notify_all();
        }
    } done{summary_cache_, key};
    d_.m.add("bounceback_sla_summary_computations_total", {});
    auto [generation, computed] = d_.reads.read_with_generation([&](const auto& m) {
        return std::pair{projection::summarize(m, d_.cfg.book, filter, per), m.position};
    });
    auto text = to_json(computed.first).dump();
    text.pop_back();  // the object's closing brace
    gzip::prefixed_body gzipped(text);
    auto entry = std::make_shared<const cached_summary>(
        cached_summary{generation, computed.second, std::move(text), std::move(gzipped)});
    std::lock_guard l(summary_cache_.mutex);
    if (summary_cache_.entries.size() >= 256) summary_cache_.entries.clear();
    summary_cache_.entries[key] = entry;
    return entry;
}

http::response http_api::sla_at_risk(const std::map<std::string, std::string>& q,
                                     const http::request_context& ctx) {
    const auto f = parse_filter(q);
    if (!f) return bad_parameter(f.error(), ctx);
    const auto p = parse_page(q);
    if (!p) return bad_parameter(p.error(), ctx);
    std::optional<bool> breached;
    if (const auto it = q.find("breached"); it != q.end()) {
        if (it->second != "true" && it->second != "false")
            return bad_parameter({"breached", "must be true or false"}, ctx);
        breached = it->second == "true";
    }
    const auto sort = q.contains("sort") ? q.at("sort") : std::string("urgency");
    if (sort != "urgency" && sort != "value")
        return bad_parameter({"sort", "must be urgency or value"}, ctx);
    auto items =
        d_.reads.read([&](const auto& m) { return projection::at_risk(m, *f, d_.clock()); });
    if (breached) std::erase_if(items, [&](const auto& i) { return i.breached != *breached; });
    // Most valuable customers first, then most urgent: who is about to walk away.
    if (sort == "value")
        std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
            return a.customer_value > b.customer_value;
        });
    return json_response(bh::status::ok, paged(items, *p));
}

http::response http_api::prevention(const std::map<std::string, std::string>& q,
                                    const http::request_context& ctx) {
    const auto f = parse_filter(q);
    if (!f) return bad_parameter(f.error(), ctx);
    projection::pareto_grouping g;
    if (const auto it = q.find("group_by"); it != q.end()) {
        std::string_view rest = it->second;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const auto item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            if (item == "product")
                g.product = true;
            else if (item == "channel")
                g.channel = true;
            else if (item != "category")
                return bad_parameter({"group_by", "takes category, product, channel"}, ctx);
        }
    }
    int weeks = 8;
    if (const auto it = q.find("weeks"); it != q.end()) {
        const auto [ptr, ec] =
            std::from_chars(it->second.data(), it->second.data() + it->second.size(), weeks);
        if (ec != std::errc{} || ptr != it->second.data() + it->second.size() || weeks < 1 ||
            weeks > 104)
            return bad_parameter({"weeks", "must be an integer 1..104"}, ctx);
    }
    const auto now = d_.clock();
    json body =
        d_.reads.read([&](const auto& m) { return prevention_report(m, *f, g, weeks, now); });
    body["as_of"] = iso8601::format_instant(now);
    return json_response(bh::status::ok, body);
}

http::response http_api::employee_scores(const std::map<std::string, std::string>& q,
                                         const std::string& employee,
                                         const http::request_context& ctx) {
    const auto f = parse_filter(q);
    if (!f) return bad_parameter(f.error(), ctx);
    const auto p = parse_page(q);
    if (!p) return bad_parameter(p.error(), ctx);
    const auto scores = d_.reads.read(
        [&](const auto& m) { return projection::employee_scores(m, *f, d_.cfg.scores); });
    if (employee.empty()) {
        auto body = paged(scores, *p);
        body["weights"] = weights_json(d_.cfg.scores);
        return json_response(bh::status::ok, body);
    }
    for (const auto& s : scores)
        if (s.employee_id == employee) return json_response(bh::status::ok, to_json(s));
    return problem(404, "unknown-employee", "Not Found", "no activity for employee " + employee,
                   ctx);
}

}  // namespace bb
