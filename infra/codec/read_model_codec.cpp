#include "infra/codec/read_model_codec.hpp"

#include <map>

#include "infra/codec/event_codec.hpp"
#include "infra/iso8601.hpp"

namespace bb::codec {

using nlohmann::json;

namespace {

json t(instant i) {
    return i == instant::max() ? json(nullptr) : json(iso8601::format_instant(i));
}
json t(const std::optional<instant>& i) {
    return i ? t(*i) : json(nullptr);
}

instant get_t(const json& j) {
    if (j.is_null()) return instant::max();
    const auto v = iso8601::parse_instant(j.get<std::string>());
    if (!v) throw std::runtime_error("bad instant");
    return *v;
}
std::optional<instant> get_opt_t(const json& j) {
    if (j.is_null()) return std::nullopt;
    return get_t(j);
}

json clock(const sla_clock& c) {
    return {t(c.warn_at), t(c.due), c.warned, c.breached};
}
sla_clock get_clock(const json& j) {
    return {get_t(j.at(0)), get_t(j.at(1)), j.at(2).get<bool>(), j.at(3).get<bool>()};
}

json opt_str(const std::optional<std::string>& s) {
    return s ? json(*s) : json(nullptr);
}
template <class Named>
json opt_named(const std::optional<Named>& s) {
    return s ? json(s->value()) : json(nullptr);
}

// Rows name their policy by its number in the file: thousands of complaints share a handful of
// policies, and encoding each one's in full was half of a snapshot's cost.
json encode_row(const projection::complaint_row& r, std::size_t policy) {
    const auto& s = r.state;
    json seen = json::array();
    for (const auto& k : s.seen) seen.push_back(k.value());
    json pauses = json::array();
    for (const auto& [a, b] : r.pauses) pauses.push_back({t(a), t(b)});
    return {{"status", to_string(s.status)},
            {"id", s.id.value()},
            {"customer", {s.customer.id.value(), s.customer.segment, s.customer.value}},
            {"severity", to_string(s.sev)},
            {"attrs", {s.channel, s.category, s.product, s.team}},
            {"policy", policy},
            {"owner", opt_named(s.owner)},
            {"filed_at", t(s.filed_at)},
            {"acknowledged_at", t(s.acknowledged_at)},
            {"resolved_at", t(s.resolved_at)},
            {"paused_at", t(s.paused_at)},
            {"clocks", {clock(s.acknowledge), clock(s.resolve), clock(s.bounce_back)}},
            {"escalation_level", s.escalation_level},
            {"reopen_count", s.reopen_count},
            {"seen", seen},
            {"first_resolved_at", t(r.first_resolved_at)},
            {"resolved_by", opt_named(r.resolved_by)},
            {"root_cause", opt_str(r.root_cause)},
            {"attributed_to", opt_named(r.attributed_to)},
            {"pauses", pauses},
            {"breached", {r.acknowledge_ever_breached, r.resolve_ever_breached}}};
}

projection::complaint_row decode_row(const json& j, const std::vector<policy_ref>& policies) {
    projection::complaint_row r;
    auto& s = r.state;
    static const complaint_status all[] = {
        complaint_status::unfiled,           complaint_status::received,
        complaint_status::acknowledged,      complaint_status::investigating,
        complaint_status::awaiting_customer, complaint_status::resolved,
        complaint_status::recovered,         complaint_status::lost,
        complaint_status::reopened,          complaint_status::withdrawn};
    bool found = false;
    for (auto st : all)
        if (to_string(st) == j.at("status").get<std::string>()) s.status = st, found = true;
    if (!found) throw std::runtime_error("bad status");
    s.id = complaint_id{j.at("id").get<std::string>()};
    const auto& c = j.at("customer");
    s.customer = customer_ref{customer_id{c.at(0).get<std::string>()}, c.at(1).get<std::string>(),
                              c.at(2).get<double>()};
    const auto sev = parse_severity(j.at("severity").get<std::string>());
    if (!sev) throw std::runtime_error("bad severity");
    s.sev = *sev;
    const auto& a = j.at("attrs");
    s.channel = a.at(0).get<std::string>();
    s.category = a.at(1).get<std::string>();
    s.product = a.at(2).get<std::string>();
    s.team = a.at(3).get<std::string>();
    s.policy = policies.at(j.at("policy").get<std::size_t>());
    if (!j.at("owner").is_null()) s.owner = employee_id{j.at("owner").get<std::string>()};
    s.filed_at = get_t(j.at("filed_at"));
    s.acknowledged_at = get_opt_t(j.at("acknowledged_at"));
    s.resolved_at = get_opt_t(j.at("resolved_at"));
    s.paused_at = get_opt_t(j.at("paused_at"));
    s.acknowledge = get_clock(j.at("clocks").at(0));
    s.resolve = get_clock(j.at("clocks").at(1));
    s.bounce_back = get_clock(j.at("clocks").at(2));
    s.escalation_level = j.at("escalation_level").get<int>();
    s.reopen_count = j.at("reopen_count").get<int>();
    for (const auto& k : j.at("seen")) s.seen.insert(idempotency_key{k.get<std::string>()});
    r.first_resolved_at = get_opt_t(j.at("first_resolved_at"));
    if (!j.at("resolved_by").is_null())
        r.resolved_by = employee_id{j.at("resolved_by").get<std::string>()};
    if (!j.at("root_cause").is_null()) r.root_cause = j.at("root_cause").get<std::string>();
    if (!j.at("attributed_to").is_null())
        r.attributed_to = employee_id{j.at("attributed_to").get<std::string>()};
    for (const auto& p : j.at("pauses")) r.pauses.emplace_back(get_t(p.at(0)), get_t(p.at(1)));
    r.acknowledge_ever_breached = j.at("breached").at(0).get<bool>();
    r.resolve_ever_breached = j.at("breached").at(1).get<bool>();
    return r;
}

template <class Event>
json fact(const Event& e) {
    return {{"type", type_name(any_event{e})},
            {"key", e.key.value()},
            {"at", t(e.at)},
            {"data", encode(any_event{e})}};
}

template <class Event>
Event get_fact(const json& j) {
    const auto e = decode(j.at("type").get<std::string>(), j.at("data"),
                          idempotency_key{j.at("key").get<std::string>()}, get_t(j.at("at")));
    if (!e || !std::holds_alternative<Event>(*e)) throw std::runtime_error("bad fact");
    return std::get<Event>(*e);
}

}  // namespace

void write_read_model(std::ostream& out, const projection::read_model& m, json header) {
    header["format"] = 3;
    header["position"] = m.position;
    out << header.dump() << '\n';
    // A policy's line comes before the first row that names it.
    std::map<const sla_policy*, std::size_t> numbers;  // one line each
    for (const auto& [id, row] : m.complaints) {
        const auto [at, added] = numbers.emplace(&*row.state.policy, numbers.size());
        if (added) out << json{{"p", encode_policy(*row.state.policy)}}.dump() << '\n';
        out << json{{"c", encode_row(row, at->second)}}.dump() << '\n';
    }
    for (const auto& c : m.compliments) out << json{{"k", fact(c)}}.dump() << '\n';
    for (const auto& a : m.actions) out << json{{"a", fact(a)}}.dump() << '\n';
    for (const auto& e : m.escalations)
        out << json{{"e", {e.id.value(), e.to_level, t(e.at)}}}.dump() << '\n';
    // A file cut off at a line boundary would otherwise read as a smaller, valid model.
    const auto lines = numbers.size() + m.complaints.size() + m.compliments.size() +
                       m.actions.size() + m.escalations.size();
    out << json{{"end", lines}}.dump() << '\n';
}

std::expected<read_model_file, std::string> read_read_model(std::istream& in) {
    try {
        // The header is short; a longer first line is an older, single-document snapshot, which
        // is not worth decoding (a rebuild from the log replaces it).
        std::string line(64 * 1024, '\0');
        if (!in.getline(line.data(), static_cast<std::streamsize>(line.size())))
            return std::unexpected("no snapshot header");
        line.resize(static_cast<std::size_t>(in.gcount() - 1));
        read_model_file out;
        out.header = json::parse(line);
        if (out.header.at("format").get<int>() != 3)
            return std::unexpected("unknown snapshot format");
        auto& m = out.model;
        std::vector<policy_ref> policies;
        m.position = out.header.at("position").get<std::int64_t>();
        std::size_t lines = 0;
        bool ended = false;
        while (std::getline(in, line)) {
            if (ended) throw std::runtime_error("lines after the end");
            const auto j = json::parse(line);
            if (const auto end = j.find("end"); end != j.end()) {
                if (end->get<std::size_t>() != lines) throw std::runtime_error("lines missing");
                ended = true;
                continue;
            }
            ++lines;
            if (const auto c = j.find("c"); c != j.end()) {
                auto row = decode_row(*c, policies);
                auto id = row.state.id.value();
                if (!m.complaints.emplace(std::move(id), std::move(row)).second)
                    throw std::runtime_error("a complaint appears twice");
            } else if (const auto p = j.find("p"); p != j.end()) {
                auto policy = decode_policy(*p);
                if (!policy) throw std::runtime_error(policy.error());
                policies.push_back(m.policies.intern(policy_ref{std::move(*policy)}));
            } else if (const auto k = j.find("k"); k != j.end()) {
                m.compliments.push_back(get_fact<compliment_received>(*k));
            } else if (const auto a = j.find("a"); a != j.end()) {
                m.actions.push_back(get_fact<prevention_action_recorded>(*a));
            } else if (const auto e = j.find("e"); e != j.end()) {
                m.escalations.push_back({complaint_id{e->at(0).get<std::string>()},
                                         e->at(1).get<int>(), get_t(e->at(2))});
            } else {
                throw std::runtime_error("unknown line");
            }
        }
        if (in.bad()) return std::unexpected("reading the snapshot failed");
        if (!ended) return std::unexpected("the snapshot is cut off");
        return out;
    } catch (const std::exception& e) {
        return std::unexpected(std::string("unreadable snapshot: ") + e.what());
    }
}

}  // namespace bb::codec
