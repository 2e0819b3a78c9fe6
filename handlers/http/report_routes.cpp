#include "handlers/http/report_routes.hpp"

#include <algorithm>
#include <charconv>

#include "handlers/http/query_params.hpp"
#include "handlers/http/responses.hpp"
#include "handlers/read_views.hpp"
#include "infra/iso8601.hpp"

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
