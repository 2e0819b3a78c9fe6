#include "handlers/http/report_routes.hpp"

#include <algorithm>
#include <charconv>

#include "handlers/http/query_params.hpp"
#include "handlers/http/responses.hpp"
#include "handlers/read_views.hpp"
#include "infra/iso8601.hpp"
#include "projections/customer_view.hpp"
#include "projections/work_queue.hpp"

namespace bb {

using nlohmann::json;
namespace bh = http::beast_http;

namespace {

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

constexpr complaint_status all_statuses[] = {
    complaint_status::received,      complaint_status::acknowledged,
    complaint_status::investigating, complaint_status::awaiting_customer,
    complaint_status::resolved,      complaint_status::recovered,
    complaint_status::lost,          complaint_status::reopened,
    complaint_status::withdrawn};

// A page's end as a cursor: `<key>~<id as hex>` (ids are any text; the cursor goes into a query
// string and a Link header as it is). A position in the order the query asks for: any key and id
// are a position (a page after it, perhaps empty), so every cursor of the documented shape is
// accepted.
constexpr std::int64_t no_due_key = 999'999'999'999'999'999;  // 18 digits, as the shape allows

std::string encode_cursor(const projection::queue_position& p) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = std::to_string(std::min(p.key, no_due_key)) + "~";
    for (unsigned char c : p.id) {
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
    return out;
}

std::optional<projection::queue_position> decode_cursor(std::string_view text) {
    const auto tilde = text.find('~');
    if (tilde == std::string_view::npos) return std::nullopt;
    const auto key = text.substr(0, tilde);
    const auto id = text.substr(tilde + 1);
    const auto digits = key.starts_with('-') ? key.substr(1) : key;
    if (digits.empty() || digits.size() > 18 || id.size() % 2 != 0 || id.size() > 1024)
        return std::nullopt;
    projection::queue_position p;
    const auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), p.key);
    if (ec != std::errc{} || ptr != key.data() + key.size()) return std::nullopt;
    for (std::size_t i = 0; i < id.size(); i += 2) {
        unsigned v = 0;
        const auto [q, e] = std::from_chars(id.data() + i, id.data() + i + 2, v, 16);
        if (e != std::errc{} || q != id.data() + i + 2) return std::nullopt;
        p.id += static_cast<char>(v);
    }
    return p;
}

std::string query_escape(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':' ||
            c == ',') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

json queue_item_json(const projection::queue_item& i, currency fallback) {
    const auto& s = i.state;
    json item{{"id", i.id},
              {"status", to_string(s.status)},
              {"severity", to_string(s.sev)},
              {"team", s.team},
              {"owner", s.owner ? json(s.owner->value()) : json(nullptr)},
              {"category", s.category},
              {"product", s.product},
              {"channel", s.channel},
              {"policy", {{"id", s.policy->id}, {"version", s.policy->version}}},
              {"root_cause", i.root_cause ? json(*i.root_cause) : json(nullptr)},
              {"customer",
               {{"id", s.customer.id.value()},
                {"segment", s.customer.segment},
                {"value",
                 format_amount(s.customer.value.amount, s.customer.value.cur.or_default(fallback))},
                {"currency", std::string(s.customer.value.cur.or_default(fallback).code())}}},
              {"filed_at", iso8601::format_instant(s.filed_at)},
              {"escalation_level", s.escalation_level},
              {"breached", i.breached},
              {"next_due", nullptr}};
    if (i.due_target && i.due)
        item["next_due"] = {{"target", to_string(*i.due_target)},
                            {"at", iso8601::format_instant(*i.due)}};
    return item;
}

json money_json(const money& m, currency fallback) {
    const auto cur = m.cur.or_default(fallback);
    return {{"amount", format_amount(m.amount, cur)}, {"currency", std::string(cur.code())}};
}

json optional_instant(const std::optional<instant>& t) {
    return t ? json(iso8601::format_instant(*t)) : json(nullptr);
}

json customer_json(const projection::customer_view& v, currency fallback) {
    json complaints = json::array();
    for (const auto& c : v.complaints) {
        const auto& s = c.state;
        complaints.push_back(
            {{"id", c.id},
             {"status", to_string(s.status)},
             {"severity", to_string(s.sev)},
             {"category", s.category},
             {"product", s.product},
             {"channel", s.channel},
             {"team", s.team},
             {"owner", s.owner ? json(s.owner->value()) : json(nullptr)},
             {"policy", {{"id", s.policy->id}, {"version", s.policy->version}}},
             {"root_cause", c.root_cause ? json(*c.root_cause) : json(nullptr)},
             {"filed_at", iso8601::format_instant(s.filed_at)},
             {"acknowledged_at", optional_instant(s.acknowledged_at)},
             {"resolved_at", optional_instant(s.resolved_at)},
             {"escalation_level", s.escalation_level},
             {"reopen_count", s.reopen_count},
             {"sla",
              {{"acknowledge", to_string(c.acknowledge)}, {"resolve", to_string(c.resolve)}}},
             {"open_breach", c.open_breach},
             {"bounce_back",
              {{"state", to_string(c.bounce_back)},
               {"due", optional_instant(c.bounce_back_due)},
               {"recovered_value",
                c.recovered_value ? money_json(*c.recovered_value, fallback) : json(nullptr)}}}});
    }
    json compliments = json::array();
    for (const auto& c : v.compliments) {
        json employees = json::array();
        for (const auto& e : c.employees) employees.push_back(e.value());
        compliments.push_back(
            {{"id", c.id.value()},
             {"at", iso8601::format_instant(c.at)},
             {"channel", c.channel},
             {"employees", employees},
             {"complaint", c.complaint ? json(c.complaint->value()) : json(nullptr)},
             {"text", c.text}});
    }
    json revenue = json::object();  // as MoneyTotals: one exact decimal per currency
    for (const auto& r : v.recovered_revenue) {
        const auto cur = r.cur.or_default(fallback);
        revenue[std::string(cur.code())] = format_amount(r.amount, cur);
    }
    json reasons = json::array();
    for (const auto& r : v.reasons)
        reasons.push_back({{"code", r.code}, {"detail", r.detail}, {"weight", r.weight}});
    return {{"customer_id", v.customer},
            {"segment", v.segment.empty() ? json(nullptr) : json(v.segment)},
            {"lifetime_value",
             v.complaints.empty() ? json(nullptr) : money_json(v.lifetime_value, fallback)},
            {"counts",
             {{"complaints", v.complaints.size()},
              {"open", v.open},
              {"open_breaches", v.open_breaches},
              {"waiting_bounce_back", v.waiting},
              {"recovered", v.recovered},
              {"lost", v.lost},
              {"withdrawn", v.withdrawn},
              {"compliments", v.compliments.size()}}},
            {"recovered_revenue", revenue},
            {"churn_risk",
             {{"level", to_string(v.churn)}, {"score", v.churn_score}, {"reasons", reasons}}},
            {"complaints", complaints},
            {"compliments", compliments}};
}

}  // namespace

report_routes::report_routes(const api_deps& d) : d_(d) {
    d_.m.describe("bounceback_sla_report_computations_total", "counter",
                  "SLA summaries computed from the read model (the rest are served cached)");
}

bool report_routes::summary_current(const query& q) const {
    return summaries_.current(summary_cache::key(q), d_.reads.generation());
}

http::response report_routes::sla_summary(const query& q, bool gzip_accepted,
                                          const http::request_context& ctx) {
    const auto f = parse_filter(q);
    if (!f) return bad_parameter(f.error(), ctx);
    auto per = projection::period::week;
    if (const auto it = q.find("period"); it != q.end()) {
        const auto p = projection::parse_period(it->second);
        if (!p) return bad_parameter({"period", "must be day, week or month"}, ctx);
        per = *p;
    }
    const auto cached =
        summaries_.get(summary_cache::key(q), d_.reads.generation(), [&, filter = *f] {
            d_.m.add("bounceback_sla_report_computations_total", {});
            auto [generation, computed] = d_.reads.read_with_generation([&](const auto& m) {
                return std::pair{projection::summarize(m, d_.cfg.book, filter, per), m.position};
            });
            auto text = to_json(computed.first).dump();
            text.pop_back();  // the object's closing brace
            gzip::prefixed_body gzipped(text);
            return summary_cache::entry{generation, computed.second, std::move(text),
                                        std::move(gzipped)};
        });
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

http::response report_routes::sla_at_risk(const query& q, const http::request_context& ctx) {
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
    auto items = d_.reads.read([&](const auto& m) {
        return projection::at_risk(m, *f, d_.clock(), d_.cfg.book.default_currency);
    });
    if (breached) std::erase_if(items, [&](const auto& i) { return i.breached != *breached; });
    // Most valuable customers first, then most urgent: who is about to walk away.
    if (sort == "value")
        std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
            // No exchange rates: amounts compare as numbers whatever their currency.
            return a.customer_value.amount > b.customer_value.amount;
        });
    return json_response(bh::status::ok, paged(items, *p));
}

http::response report_routes::complaints(const query& q, const http::request_context& ctx) {
    projection::queue_query qq;
    const auto f = parse_filter(q);
    if (!f) return bad_parameter(f.error(), ctx);
    qq.filter.base = *f;
    // The limit as every list reads it; the cursor is this route's own (a keyset position).
    std::map<std::string, std::string> paging;
    if (const auto it = q.find("limit"); it != q.end()) paging.insert(*it);
    const auto p = parse_page(paging);
    if (!p) return bad_parameter(p.error(), ctx);
    qq.limit = p->limit;
    if (const auto it = q.find("status"); it != q.end()) {
        // Every piece between commas must be a status: an empty value or piece is an error.
        std::string_view rest = it->second;
        for (bool more = true; more;) {
            const auto comma = rest.find(',');
            const auto item = rest.substr(0, comma);
            more = comma != std::string_view::npos;
            if (more) rest = rest.substr(comma + 1);
            const auto* st = std::find_if(std::begin(all_statuses), std::end(all_statuses),
                                          [&](complaint_status s) { return to_string(s) == item; });
            if (st == std::end(all_statuses))
                return bad_parameter({"status",
                                      "takes statuses separated by commas, of received, "
                                      "acknowledged, investigating, awaiting_customer, "
                                      "resolved, recovered, lost, reopened, withdrawn"},
                                     ctx);
            qq.filter.statuses.push_back(*st);
        }
    }
    for (auto [name, slot] : {std::pair{"owner", &qq.filter.owner},
                              {"category", &qq.filter.category},
                              {"root_cause", &qq.filter.root_cause},
                              {"customer", &qq.filter.customer}})
        if (const auto it = q.find(name); it != q.end() && !it->second.empty()) *slot = it->second;
    if (const auto it = q.find("breached"); it != q.end()) {
        if (it->second != "true" && it->second != "false")
            return bad_parameter({"breached", "must be true or false"}, ctx);
        qq.filter.breached = it->second == "true";
    }
    for (auto [name, slot] :
         {std::pair{"due_before", &qq.filter.due_before}, {"due_after", &qq.filter.due_after}})
        if (const auto it = q.find(name); it != q.end()) {
            *slot = iso8601::parse_instant(it->second);
            if (!*slot) return bad_parameter({name, "must be an RFC 3339 instant"}, ctx);
        }
    if (const auto it = q.find("sort"); it != q.end()) {
        const auto s = projection::parse_queue_sort(it->second);
        if (!s) return bad_parameter({"sort", "must be due, value, filed or escalation"}, ctx);
        qq.sort = *s;
    }
    qq.descending = projection::queue_default_descending(qq.sort);
    if (const auto it = q.find("order"); it != q.end()) {
        if (it->second != "asc" && it->second != "desc")
            return bad_parameter({"order", "must be asc or desc"}, ctx);
        qq.descending = it->second == "desc";
    }
    if (const auto it = q.find("cursor"); it != q.end()) {
        qq.after = decode_cursor(it->second);
        if (!qq.after) return bad_parameter({"cursor", "is not a cursor this API returned"}, ctx);
    }
    const auto fallback = d_.cfg.book.default_currency;
    auto [body, next] = d_.reads.read([&](const auto& m) {
        const auto page = projection::work_queue(m, qq);
        json items = json::array();
        for (const auto& i : page.items) items.push_back(queue_item_json(i, fallback));
        std::string next;
        if (page.next) next = encode_cursor(*page.next);
        return std::pair{json{{"complaints", std::move(items)},
                              {"matched", page.matched},
                              {"next_cursor", next.empty() ? json(nullptr) : json(next)}},
                         next};
    });
    auto res = json_response(bh::status::ok, body);
    if (!next.empty()) {
        // The same query with the next cursor (RFC 8288).
        std::string link = "/v1/complaints?";
        for (const auto& [k, v] : q)
            if (k != "cursor") link += query_escape(k) + "=" + query_escape(v) + "&";
        link += "cursor=" + next;
        res.set(bh::field::link, "<" + link + ">; rel=\"next\"");
    }
    return res;
}

http::response report_routes::customer(const std::string& id, const http::request_context& ctx) {
    const auto fallback = d_.cfg.book.default_currency;
    const auto now = d_.clock();
    auto body = d_.reads.read([&](const auto& m) -> std::optional<json> {
        const auto v = projection::view_customer(m, id, now, fallback);
        if (!v) return std::nullopt;
        auto out = customer_json(*v, fallback);
        out["as_of"] = iso8601::format_instant(now);
        return out;
    });
    if (!body)
        return problem(problem_kind::unknown_customer,
                       "no complaint or compliment of customer " + id, ctx);
    return json_response(bh::status::ok, *body);
}

http::response report_routes::prevention(const query& q, const http::request_context& ctx) {
    const auto f = parse_filter(q);
    if (!f) return bad_parameter(f.error(), ctx);
    projection::pareto_grouping g;
    if (const auto it = q.find("group_by"); it != q.end()) {
        std::string_view rest = it->second;
        bool first = true;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const auto item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            if (item == "product") {
                g.product = true;
            } else if (item == "channel") {
                g.channel = true;
            } else if (const auto b = projection::parse_cause_basis(item); b && first) {
                g.by = *b;
            } else {
                return bad_parameter(
                    {"group_by", "takes root_cause or category first, then product, channel"}, ctx);
            }
            first = false;
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

http::response report_routes::employee_scores(const query& q, const std::string& employee,
                                              const http::request_context& ctx) {
    const auto f = parse_filter(q);
    if (!f) return bad_parameter(f.error(), ctx);
    const auto p = parse_page(q);
    if (!p) return bad_parameter(p.error(), ctx);
    if (employee.empty()) {
        const auto scores = d_.reads.read(
            [&](const auto& m) { return projection::employee_scores(m, *f, d_.cfg.scores); });
        auto body = paged(scores, *p);
        body["weights"] = weights_json(d_.cfg.scores);
        return json_response(bh::status::ok, body);
    }
    // The score and what it is made of, from one state of the model (two reads could straddle
    // an event and disagree).
    const auto [score, basis] = d_.reads.read([&](const auto& m) {
        std::optional<projection::employee_score> found;
        for (auto& s : projection::employee_scores(m, *f, d_.cfg.scores))
            if (s.employee_id == employee) found = std::move(s);
        auto b = found ? projection::basis_of(m, *f, employee) : projection::employee_basis{};
        return std::pair{std::move(found), std::move(b)};
    });
    if (score) {
        // What the score is made of: each complaint and outcome credited to them.
        auto body = to_json(*score);
        json complaints = json::array(), compliments = json::array();
        for (const auto& c : basis.complaints) {
            json outcomes = json::object();
            for (const auto& [name, hit] : c.outcomes) outcomes[name] = hit ? "met" : "missed";
            complaints.push_back({{"complaint_id", c.complaint_id},
                                  {"owned", c.owned},
                                  {"attributed", c.attributed},
                                  {"outcomes", outcomes}});
        }
        for (const auto& c : basis.compliments)
            compliments.push_back(
                {{"compliment_id", c.compliment_id}, {"at", iso8601::format_instant(c.at)}});
        body["basis"] = {{"complaints", complaints}, {"compliments", compliments}};
        return json_response(bh::status::ok, body);
    }
    return problem(problem_kind::unknown_employee, "no activity for employee " + employee, ctx);
}

}  // namespace bb
