#include "handlers/http/router.hpp"

#include <algorithm>
#include <future>
#include <tuple>

#include "domain/overloaded.hpp"
#include "handlers/http/query_params.hpp"
#include "handlers/http/responses.hpp"
#include "infra/hash_chain.hpp"
#include "infra/http/gzip.hpp"

namespace bb {

namespace bh = http::beast_http;

namespace {

enum class route_id {
    webhook,
    healthz,
    readyz,
    openapi,
    metrics,
    complaint,
    complaints,
    customer,
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
    webhook_outcome,
};

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

// Starts asynchronous work and waits for its answer, built on this thread.
template <class Work>
http::response wait_for(const Work& work) {
    // Shared with the responder: the thread that answers may still be inside set_value when
    // get() returns here.
    auto answered = std::make_shared<std::promise<std::function<http::response()>>>();
    auto answer = answered->get_future();
    work([answered](auto build) { answered->set_value(std::move(build)); });
    return answer.get()();
}

bool allowed(role r, const std::vector<role>& roles) {
    return r == role::admin || std::find(roles.begin(), roles.end(), r) != roles.end();
}

}  // namespace

struct router::route {
    route_id id;
    std::string name;                // the template, also the metrics label
    std::vector<std::string> parts;  // "{}" binds a segment
    bh::verb method;
    std::optional<std::vector<role>> roles;  // nullopt: no token needed
};

struct router::matched {
    const route* r;
    std::vector<std::string> bound;  // the segments "{}" bound, in order
    std::map<std::string, std::string> query;
};

// The route table, built once: matching a request allocates nothing per route.
const std::vector<router::route>& router::route_table() {
    static const std::vector<route> table = [] {
        using enum route_id;
        using roles = std::optional<std::vector<role>>;
        const std::vector<std::tuple<route_id, std::string, bh::verb, roles>> defs = {
            {webhook, "/v1/webhooks/{source}", bh::verb::post, std::nullopt},
            {webhook_outcome, "/v1/webhooks/{source}/outcomes/{webhook_id}", bh::verb::get,
             std::vector{role::agent, role::manager, role::auditor}},
            {healthz, "/healthz", bh::verb::get, std::nullopt},
            {readyz, "/readyz", bh::verb::get, std::nullopt},
            {openapi, "/openapi.yaml", bh::verb::get, std::nullopt},
            {metrics, "/metrics", bh::verb::get, std::vector{role::manager}},
            {complaint, "/v1/complaints/{id}", bh::verb::get,
             std::vector{role::agent, role::manager, role::auditor}},
            {complaints, "/v1/complaints", bh::verb::get,
             std::vector{role::agent, role::manager, role::auditor}},
            {customer, "/v1/customers/{id}", bh::verb::get,
             std::vector{role::agent, role::manager, role::auditor}},
            {history, "/v1/complaints/{id}/history", bh::verb::get,
             std::vector{role::agent, role::auditor}},
            {audit_verify, "/v1/audit/verify", bh::verb::get, std::vector{role::auditor}},
            {sla_summary, "/v1/sla/summary", bh::verb::get, std::vector{role::manager}},
            {sla_at_risk, "/v1/sla/at-risk", bh::verb::get,
             std::vector{role::manager, role::agent}},
            {prevention, "/v1/analytics/prevention", bh::verb::get, std::vector{role::manager}},
            {employee_scores, "/v1/employees/scores", bh::verb::get, std::vector{role::manager}},
            {employee, "/v1/employees/{id}", bh::verb::get, std::vector{role::manager}},
            {webhook_deliveries, "/v1/webhook-deliveries", bh::verb::get,
             std::vector{role::manager, role::auditor}},
            {redeliver, "/v1/webhook-deliveries/{id}/redeliver", bh::verb::post,
             std::vector<role>{}},  // admin only
            {webhook_subscriptions, "/v1/webhook-subscriptions", bh::verb::get,
             std::vector{role::manager, role::auditor}},
            {enable_subscription, "/v1/webhook-subscriptions/{id}/enable", bh::verb::post,
             std::vector<role>{}},  // admin only
        };
        std::vector<route> out;
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

namespace {

// A route template matched segment by segment; `{}` binds.
bool match_template(const std::vector<std::string>& tmpl, const std::vector<std::string>& parts,
                    std::vector<std::string>& bound) {
    if (tmpl.size() != parts.size()) return false;
    bound.clear();
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        // A parameter is percent-decoded: ids from helpdesks hold ':' ("zendesk-prod:35436"),
        // which clients may escape.
        if (tmpl[i] == "{}")
            bound.push_back(percent_decode(parts[i], false));
        else if (tmpl[i] != parts[i])
            return false;
    }
    return true;
}

}  // namespace

router::router(api_deps d)
    : d_(std::move(d)),
      webhooks_(d_),
      complaints_(d_),
      reports_(d_),
      audit_(d_),
      outbound_(d_),
      assets_(d_) {
    for (const auto& [token, r] : d_.cfg.tokens) token_hashes_[sha256_hex(token)] = r;
    d_.m.describe("bounceback_http_requests_total", "counter", "HTTP requests by route and status");
    d_.m.describe("bounceback_http_request_duration_seconds", "histogram",
                  "Time from a request's arrival to its response, by route, method and status "
                  "class (2xx, 4xx, 5xx)");
}

std::optional<router::matched> router::match(const http::request& req) const {
    const auto target = sv(req.target());
    const auto parts = split_path(target);
    std::vector<std::string> bound;
    for (const auto& r : route_table())
        if (match_template(r.parts, parts, bound))
            return matched{&r, std::move(bound), parse_query(target)};
    return std::nullopt;
}

std::optional<role> router::authenticate(const http::request& req) const {
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

void router::record(const http::request_context& ctx, std::string_view method,
                    const std::string& route_name, unsigned status,
                    std::chrono::steady_clock::time_point started) {
    d_.m.add("bounceback_http_requests_total",
             {{"route", route_name}, {"status", std::to_string(status)}});
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // Route names are the route table's templates (bounded); statuses as classes keep the
    // histogram's series few.
    // A client may send any method name: only the standard ones become label values.
    static constexpr std::string_view known[] = {"GET",  "POST",  "PUT",    "DELETE",
                                                 "HEAD", "PATCH", "OPTIONS"};
    const bool standard = std::find(std::begin(known), std::end(known), method) != std::end(known);
    d_.m.observe("bounceback_http_request_duration_seconds",
                 {{"method", standard ? std::string(method) : std::string("other")},
                  {"route", route_name},
                  {"status", std::to_string(status / 100) + "xx"}},
                 seconds);
    if (d_.log_line) {
        const auto ms = seconds * 1000;
        // The target is logged without its query string; tokens and signatures never are.
        d_.log_line("request_id=" + ctx.request_id + " method=" + std::string(method) +
                    " route=" + route_name + " status=" + std::to_string(status) +
                    " ms=" + std::to_string(ms) + " trace_id=" + ctx.trace.trace_id_hex() +
                    " span_id=" + ctx.trace.span_id_hex());
    }
}

http::response router::refuse(http::read_error e, const http::request_context& ctx) {
    std::string detail;
    switch (e) {
        case http::read_error::malformed:
            detail = "malformed HTTP request";
            break;
        case http::read_error::timeout:
            detail = "the request took too long";
            break;
        case http::read_error::body_too_large:
            detail = "the body is larger than 1 MiB";
            break;
        case http::read_error::headers_too_large:
            detail = "the request headers are too large";
            break;
    }
    auto res = problem(problem_for(e), detail, ctx);
    if (d_.log_line)
        d_.log_line("request_id=" + ctx.request_id + " remote=" + ctx.remote + " status=" +
                    std::to_string(res.result_int()) + " refused before routing: " + detail);
    return res;
}

router::placement router::place(const matched& m) const {
    switch (m.r->id) {
        case route_id::healthz:
        case route_id::readyz:
        case route_id::openapi:
            return placement::at_once;
        // A webhook waits for durability: asynchronously where the ingress queues, on a worker
        // where it blocks.
        case route_id::webhook:
            return d_.in.submit_blocks() ? placement::workers : placement::async;
        // Only when the answer is in memory; a complaint otherwise is folded from the log, and a
        // summary recomputed walks the whole read model.
        case route_id::complaint:
            return complaints_.complaint_in_memory(m.bound[0]) ? placement::at_once
                                                               : placement::workers;
        case route_id::sla_summary:
            return reports_.summary_current(m.query) ? placement::at_once : placement::workers;
        // /metrics reads the outbound delivery store (SQLite) for its queue-depth gauge.
        case route_id::metrics:
        case route_id::complaints:
        case route_id::customer:
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
        case route_id::webhook_outcome:
            return placement::workers;
    }
    return placement::workers;
}

router::placement router::where(const http::request& req) const {
    const auto m = match(req);
    if (!m || m->r->method != req.method()) return placement::at_once;  // a 404 or 405
    return place(*m);
}

http::answer router::serve(std::shared_ptr<const http::request> req,
                           const http::request_context& ctx) {
    const auto started = std::chrono::steady_clock::now();
    const auto method = std::string(sv(req->method_string()));
    auto m = match(*req);
    const auto now = [&](const std::string& name, http::response res) {
        record(ctx, method, name, res.result_int(), started);
        return http::answer{std::move(res)};
    };
    if (!m) {
        // The dashboard page and its scripts are public; the data they show needs a token.
        const auto target = sv(req->target());
        const auto path = target.substr(0, target.find('?'));
        if (const auto* a = assets_.asset(path)) {
            const std::string name = path == "/" ? "/" : "/static";
            if (req->method() != bh::verb::get) {
                auto res = problem(problem_kind::method_not_allowed, "only GET", ctx);
                res.set(bh::field::allow, "GET");
                return now(name, std::move(res));
            }
            return now(name, assets_.serve_asset(*a));
        }
        return now("unknown", problem(problem_kind::not_found, "no such resource", ctx));
    }
    const auto& r = *m->r;
    if (req->method() != r.method) {
        auto res = problem(problem_kind::method_not_allowed, method + " is not allowed here", ctx);
        res.set(bh::field::allow, std::string(sv(bh::to_string(r.method))));
        return now(r.name, std::move(res));
    }
    if (r.roles) {
        const auto who = authenticate(*req);
        if (!who) {
            auto res = problem(problem_kind::unauthorized, "a valid bearer token is required", ctx);
            res.set(bh::field::www_authenticate, "Bearer");
            return now(r.name, std::move(res));
        }
        if (!allowed(*who, *r.roles))
            return now(
                r.name,
                problem(problem_kind::forbidden,
                        "the role " + std::string(to_string(*who)) + " may not read this", ctx));
    }
    if (r.id == route_id::webhook && !d_.ready()) {
        auto res = problem(problem_kind::not_ready, "rebuilding state from the log", ctx);
        res.set(bh::field::retry_after, "1");
        return now(r.name, std::move(res));
    }
    // Every answer from here on is counted and logged when it is known, wherever it is built.
    const auto recorded = [this, ctx, method, name = r.name, started](http::response res) {
        record(ctx, method, name, res.result_int(), started);
        return res;
    };
    auto planned = plan(*m, std::move(req), ctx);
    return std::visit(
        overloaded{[&](http::response& res) { return http::answer{recorded(std::move(res))}; },
                   [&](http::blocking_work& work) {
                       return http::answer{http::blocking_work{
                           [work = std::move(work), recorded] { return recorded(work()); }}};
                   },
                   [&](http::async_work& work) {
                       return http::answer{http::async_work{
                           [work = std::move(work), recorded](http::responder reply) {
                               work([reply = std::move(reply), recorded](auto build) {
                                   reply([build = std::move(build), recorded] {
                                       return recorded(build());
                                   });
                               });
                           }}};
                   }},
        planned);
}

// The route's work, where place() says it runs. Captures own what they use: worker and
// asynchronous work outlive this call.
http::answer router::plan(const matched& m, std::shared_ptr<const http::request> req,
                          const http::request_context& ctx) {
    const auto at = place(m);
    const auto run = [at](auto work) -> http::answer {
        if (at == placement::at_once) return work();
        return http::blocking_work{std::move(work)};
    };
    const auto arg = m.bound.empty() ? std::string{} : m.bound[0];
    switch (m.r->id) {
        case route_id::webhook: {
            auto start = [this, req, ctx, source = arg](http::responder reply) {
                webhooks_.start(source, *req, ctx, std::move(reply));
            };
            if (at == placement::async) return http::async_work{std::move(start)};
            // The synchronous webhook is the asynchronous one and a wait.
            return http::blocking_work{[start = std::move(start)] { return wait_for(start); }};
        }
        case route_id::webhook_outcome:
            return run([this, ctx, source = arg, id = m.bound.at(1)] {
                return webhooks_.outcome(source, id, ctx);
            });
        case route_id::healthz:
            return assets_.healthz();
        case route_id::readyz:
            return assets_.readyz(ctx);
        case route_id::openapi:
            return assets_.openapi();
        case route_id::metrics:
            return run([this] { return assets_.metrics(); });
        case route_id::complaint:
            return run([this, ctx, arg] { return complaints_.complaint(arg, ctx); });
        case route_id::history:
            return run([this, ctx, arg] { return complaints_.history(arg, ctx); });
        case route_id::complaints:
            return run([this, ctx, q = m.query] { return reports_.complaints(q, ctx); });
        case route_id::customer:
            return run([this, ctx, arg] { return reports_.customer(arg, ctx); });
        case route_id::audit_verify:
            return run([this, ctx] { return audit_.verify(ctx); });
        case route_id::sla_summary: {
            const bool gzip = gzip::accepted(sv((*req)[bh::field::accept_encoding]));
            return run(
                [this, ctx, q = m.query, gzip] { return reports_.sla_summary(q, gzip, ctx); });
        }
        case route_id::sla_at_risk:
            return run([this, ctx, q = m.query] { return reports_.sla_at_risk(q, ctx); });
        case route_id::prevention:
            return run([this, ctx, q = m.query] { return reports_.prevention(q, ctx); });
        case route_id::employee_scores:
            return run([this, ctx, q = m.query] { return reports_.employee_scores(q, "", ctx); });
        case route_id::employee:
            return run(
                [this, ctx, q = m.query, arg] { return reports_.employee_scores(q, arg, ctx); });
        case route_id::webhook_deliveries:
            return run([this, ctx, q = m.query] { return outbound_.deliveries(q, ctx); });
        case route_id::redeliver:
            return run([this, ctx, arg] { return outbound_.redeliver(arg, ctx); });
        case route_id::webhook_subscriptions:
            return run([this] { return outbound_.subscriptions(); });
        case route_id::enable_subscription:
            return run([this, ctx, arg] { return outbound_.enable(arg, ctx); });
    }
    return problem(problem_kind::not_found, "no such resource", ctx);
}

http::response router::handle(const http::request& req, const http::request_context& ctx) {
    auto answer = serve(std::make_shared<http::request>(req), ctx);
    return std::visit(overloaded{[](http::response& res) { return std::move(res); },
                                 [](http::blocking_work& work) { return work(); },
                                 [](http::async_work& work) { return wait_for(work); }},
                      answer);
}

}  // namespace bb
