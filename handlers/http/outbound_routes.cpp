#include "handlers/http/outbound_routes.hpp"

#include <algorithm>
#include <charconv>

#include "handlers/http/query_params.hpp"
#include "handlers/http/responses.hpp"
#include "infra/iso8601.hpp"

namespace bb {

using nlohmann::json;
namespace bh = http::beast_http;

namespace {
json delivery_json(const outbound::delivery_record& r) {
    json out{{"id", r.id},
             {"key", r.subscription + ":" + r.webhook_id},
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
    if (r.partition >= 0) out["partition"] = r.partition;
    return out;
}
}  // namespace

http::response outbound_routes::deliveries(const std::map<std::string, std::string>& query,
                                           const http::request_context& ctx) {
    std::optional<std::string> subscription;
    std::optional<outbound::delivery_status> status;
    if (const auto it = query.find("subscription"); it != query.end()) subscription = it->second;
    if (const auto it = query.find("status"); it != query.end()) {
        status = outbound::parse_delivery_status(it->second);
        if (!status)
            return problem(problem_kind::invalid_parameter,
                           "status must be delivered, failed or pending", ctx, "status");
    }
    // The limit as every list reads it; the cursor is the id to continue below (newest first).
    std::map<std::string, std::string> paging;
    if (const auto it = query.find("limit"); it != query.end()) paging.insert(*it);
    const auto page = parse_page(paging);
    if (!page)
        return problem(problem_kind::invalid_parameter, "limit " + page.error().detail, ctx,
                       "limit");
    const std::size_t limit = page->limit;
    std::int64_t before = 0;
    if (const auto it = query.find("cursor"); it != query.end()) {
        const auto& c = it->second;
        const auto [ptr, ec] = std::from_chars(c.data(), c.data() + c.size(), before);
        if (c.empty() || c.size() > 18 || ec != std::errc{} || ptr != c.data() + c.size() ||
            before < 0)
            return problem(problem_kind::invalid_parameter,
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

// `id` is this instance's row id, or the delivery's key `<subscription>:<webhook-id>`, which names
// it on every instance (Kafka mode lists the other instances' deliveries under their own rows).
http::response outbound_routes::redeliver(const std::string& id, const http::request_context& ctx) {
    if (!d_.deliveries) return problem(problem_kind::unknown_delivery, "no delivery " + id, ctx);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
    if (ec != std::errc{} || end != id.data() + id.size()) {
        const auto colon = id.find(':');
        const auto row = colon == std::string::npos
                             ? std::nullopt
                             : d_.deliveries->id_of(id.substr(0, colon), id.substr(colon + 1));
        if (!row) return problem(problem_kind::unknown_delivery, "no delivery " + id, ctx);
        n = *row;
    }
    const auto r = d_.deliveries->request_redelivery(n, d_.clock());
    if (!r) return problem(problem_kind::unknown_delivery, "no delivery " + id, ctx);
    if (d_.on_redeliver) d_.on_redeliver();
    return json_response(bh::status::accepted, delivery_json(*r));
}

namespace {
// A configured subscription and where its worker stands. The URL is left out: it may carry
// credentials, and the config file is where operators read it.
json subscription_json(const subscription_config& c, const outbound::subscription_state& s,
                       const api_deps& d) {
    json out{
        {"id", c.id}, {"types", c.types}, {"checkpoint", s.checkpoint}, {"disabled", s.disabled}};
    if (s.disabled) out["disabled_reason"] = s.disabled_reason;
    // Kafka mode: positions are per partition of the events topic; `checkpoint` stays 0.
    if (d.outbound_partitions) {
        json parts = json::array();
        for (const auto& [p, next] : d.outbound_partitions(c.id))
            parts.push_back({{"partition", p}, {"next_offset", next}});
        out["partitions"] = parts;
    }
    return out;
}
}  // namespace

http::response outbound_routes::subscriptions() {
    json items = json::array();
    for (const auto& c : d_.cfg.subscriptions)
        items.push_back(subscription_json(
            c, d_.deliveries ? d_.deliveries->state(c.id) : outbound::subscription_state{}, d_));
    return json_response(bh::status::ok, json{{"subscriptions", items}});
}

http::response outbound_routes::enable(const std::string& id, const http::request_context& ctx) {
    const auto& subs = d_.cfg.subscriptions;
    const auto it = std::ranges::find(subs, id, &subscription_config::id);
    if (it == subs.end() || !d_.deliveries)
        return problem(problem_kind::unknown_subscription, "no subscription " + id, ctx);
    // A disabled worker looks at its state every second; no nudge needed.
    return json_response(bh::status::ok, subscription_json(*it, d_.deliveries->enable(id), d_));
}

}  // namespace bb
