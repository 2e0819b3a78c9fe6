#include "infra/snapshot/read_model_codec.hpp"

#include <map>

#include "infra/codec/event_codec.hpp"
#include "infra/codec/json_writer.hpp"
#include "infra/iso8601.hpp"
#include "projections/byte_records.hpp"

namespace bb::codec {

using nlohmann::json;

namespace {

// An amount as the checkpoint holds it: [ten-thousandths, "USD"] at `first` ("" = no currency);
// formats 3 and 4 held a binary float without a currency.
money money_at(const json& a, std::size_t first) {
    if (a.size() == first + 1) {  // format 3/4: a JSON number of currency units
        const auto amount = amount_from_double(a.at(first).get<double>());
        if (!amount) throw std::runtime_error("bad amount");
        return money{*amount};
    }
    money m{a.at(first).get<std::int64_t>(), {}};
    const auto code = a.at(first + 1).get<std::string>();
    if (!code.empty()) {
        const auto c = currency::parse(code);
        if (!c) throw std::runtime_error("bad currency");
        m.cur = *c;
    }
    return m;
}

json t(instant i) {
    return i == instant::max() ? json(nullptr) : json(iso8601::format_instant(i));
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

sla_clock get_clock(const json& j) {
    return {get_t(j.at(0)), get_t(j.at(1)), j.at(2).get<bool>(), j.at(3).get<bool>()};
}

void put_t(json_writer& w, instant i) {
    if (i == instant::max())
        w.null();
    else
        w.value(iso8601::format_instant(i));
}
void put_t(json_writer& w, const std::optional<instant>& i) {
    if (i)
        put_t(w, *i);
    else
        w.null();
}
void put_clock(json_writer& w, const sla_clock& c) {
    w.begin_array();
    put_t(w, c.warn_at);
    put_t(w, c.due);
    w.value(c.warned).value(c.breached).end_array();
}
void put_opt(json_writer& w, const std::optional<std::string>& s) {
    if (s)
        w.value(*s);
    else
        w.null();
}
template <class Named>
void put_opt(json_writer& w, const std::optional<Named>& s) {
    if (s)
        w.value(s->value());
    else
        w.null();
}

// A snapshot line `{"c":{...}}`, written straight to text (a nlohmann document per row was most
// of a snapshot's cost), keys in the order nlohmann's dump gave them. Rows name their policy by
// its number in the file: thousands of complaints share a handful of policies.
std::string encode_row(const projection::complaint_row& r, std::size_t policy) {
    const auto& s = r.state;
    const auto& progress = r.progress.get();
    json_writer w;
    w.begin_object().key("c").begin_object();
    w.key("acknowledge_credit");
    put_opt(w, progress.acknowledge_credit);
    w.key("acknowledged_at");
    put_t(w, s.acknowledged_at);
    w.key("attributed_to");
    put_opt(w, progress.attributed_to);
    w.key("attrs").begin_array().value(s.channel).value(s.category).value(s.product);
    w.value(s.team).end_array();
    w.key("breached").begin_array().value(r.acknowledge_ever_breached);
    w.value(r.resolve_ever_breached).end_array();
    w.key("clocks").begin_array();
    put_clock(w, s.acknowledge);
    put_clock(w, s.resolve);
    put_clock(w, s.bounce_back);
    w.end_array();
    w.key("customer").begin_array().value(s.customer.id.value()).value(s.customer.segment);
    w.value(s.customer.value.amount).value(s.customer.value.cur.code()).end_array();
    w.key("escalation_level").value(std::int64_t{s.escalation_level});
    w.key("filed_at");
    put_t(w, s.filed_at);
    w.key("first_resolved_at");
    put_t(w, progress.first_resolved_at);
    w.key("id").value(s.id.value());
    if (s.lost_by_window) w.key("lost_by_window").value(true);
    w.key("owner");
    put_opt(w, s.owner);
    w.key("paused_at");
    put_t(w, s.paused_at);
    w.key("pauses").begin_array();
    for (const auto& [a, b] : progress.pauses) {
        w.begin_array();
        put_t(w, a);
        put_t(w, b);
        w.end_array();
    }
    w.end_array();
    w.key("policy").value(static_cast<std::int64_t>(policy));
    w.key("recovered_value");
    if (progress.recovered_value)
        w.begin_array()
            .value(progress.recovered_value->amount)
            .value(progress.recovered_value->cur.code())
            .end_array();
    else
        w.null();
    w.key("reopen_count").value(std::int64_t{s.reopen_count});
    w.key("resolve_credit");
    put_opt(w, progress.resolve_credit);
    w.key("resolved_at");
    put_t(w, s.resolved_at);
    w.key("resolved_by");
    put_opt(w, progress.resolved_by);
    w.key("root_cause");
    put_opt(w, progress.root_cause);
    w.key("root_cause_detail");
    put_opt(w, progress.root_cause_detail);
    w.key("seen").begin_array();
    for (const auto& k : s.seen) w.value(k.value());
    w.end_array();
    w.key("severity").value(to_string(s.sev));
    w.key("status").value(to_string(s.status));
    w.end_object().end_object();
    return w.take();
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
                              money_at(c, 2)};
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
    // Absent: false (and from checkpoints written before late facts were reconciled).
    s.lost_by_window = j.value("lost_by_window", false);
    s.reopen_count = j.at("reopen_count").get<int>();
    for (const auto& k : j.at("seen")) s.seen.insert(idempotency_key{k.get<std::string>()});
    projection::complaint_progress progress;
    progress.first_resolved_at = get_opt_t(j.at("first_resolved_at"));
    if (!j.at("resolved_by").is_null())
        progress.resolved_by = employee_id{j.at("resolved_by").get<std::string>()};
    if (!j.at("root_cause").is_null()) progress.root_cause = j.at("root_cause").get<std::string>();
    // Absent from checkpoints written before the detail was kept.
    if (const auto d = j.find("root_cause_detail"); d != j.end() && !d->is_null())
        progress.root_cause_detail = d->get<std::string>();
    if (const auto v = j.find("recovered_value"); v != j.end() && !v->is_null())
        progress.recovered_value = v->is_array() ? money_at(*v, 0) : money_at(json::array({*v}), 0);
    // Absent from checkpoints written before outcomes were credited at their moment.
    for (auto [name, slot] : {std::pair{"acknowledge_credit", &progress.acknowledge_credit},
                              std::pair{"resolve_credit", &progress.resolve_credit}})
        if (const auto c = j.find(name); c != j.end() && !c->is_null())
            *slot = employee_id{c->get<std::string>()};
    if (!j.at("attributed_to").is_null())
        progress.attributed_to = employee_id{j.at("attributed_to").get<std::string>()};
    for (const auto& p : j.at("pauses"))
        progress.pauses.emplace_back(get_t(p.at(0)), get_t(p.at(1)));
    // Rows with nothing past their filing stay without a box, as folding leaves them.
    if (progress != projection::complaint_progress{}) r.progress.edit() = std::move(progress);
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

// The checkpoint's blocks of bytes (frozen rows, compliments, escalations) are length-prefixed
// chunks ended by an empty one.
void write_chunk(std::ostream& out, std::string_view chunk) {
    const auto n = static_cast<std::uint32_t>(chunk.size());
    out.write(reinterpret_cast<const char*>(&n), sizeof n);
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
}

// Calls f(chunk) on each chunk of a block, up to its empty one.
template <class F>
void read_block(std::istream& in, F&& f) {
    std::string chunk;
    for (;;) {
        std::uint32_t n = 0;
        if (!in.read(reinterpret_cast<char*>(&n), sizeof n))
            throw std::runtime_error("a block of bytes is cut off");
        if (n == 0) return;
        chunk.resize(n);
        if (!in.read(chunk.data(), n)) throw std::runtime_error("a block of bytes is cut off");
        f(std::string_view(chunk));
    }
}

// Records in such chunks, each starting with the byte-order mark and under ~1 MB.
class chunk_writer {
  public:
    explicit chunk_writer(std::ostream& out) : out_(out) { start(); }
    projection::byte_writer& record() {
        if (w_.out.size() >= projection::chunk_bytes) flush();
        return w_;
    }
    void finish() {
        flush();
        write_chunk(out_, {});
    }

  private:
    void start() {
        w_.out.clear();
        w_.put(projection::byte_order_mark);
    }
    void flush() {
        if (w_.out.size() > sizeof projection::byte_order_mark) write_chunk(out_, w_.out);
        start();
    }
    std::ostream& out_;
    projection::byte_writer w_;
};

// Calls record(reader) until each chunk is used up; a chunk of the other byte order, or a
// record that runs past its chunk, is an error.
template <class F>
void read_chunks(std::istream& in, F&& record) {
    read_block(in, [&](std::string_view chunk) {
        projection::byte_reader r{chunk};
        if (r.get<std::uint32_t>() != projection::byte_order_mark)
            throw std::runtime_error("records of another byte order");
        while (r.ok && !r.in.empty()) record(r);
        if (!r.ok) throw std::runtime_error("a record is cut off");
    });
}

void put_compliment(projection::byte_writer& w, const compliment_received& c) {
    w.text(c.key.value());
    w.text(c.id.value());
    w.text(c.customer.value());
    w.put(static_cast<std::uint32_t>(c.employees.size()));
    for (const auto& e : c.employees) w.text(e.value());
    w.text(c.channel);
    w.text(c.text);
    w.put(static_cast<std::uint8_t>(c.complaint.has_value()));
    if (c.complaint) w.text(c.complaint->value());
    w.put(static_cast<std::int64_t>(c.at.time_since_epoch().count()));
}

compliment_received get_compliment(projection::byte_reader& r) {
    compliment_received c;
    c.key = idempotency_key{std::string(r.text())};
    c.id = compliment_id{std::string(r.text())};
    c.customer = customer_id{std::string(r.text())};
    const auto employees = r.get<std::uint32_t>();
    // Each name takes at least its 4-byte length: a count the chunk cannot hold is damage.
    if (!r.ok || employees > r.in.size() / 4) throw std::runtime_error("a compliment is cut off");
    for (std::uint32_t i = 0; i < employees; ++i)
        c.employees.push_back(employee_id{std::string(r.text())});
    c.channel = std::string(r.text());
    c.text = std::string(r.text());
    if (r.get<std::uint8_t>() != 0) c.complaint = complaint_id{std::string(r.text())};
    c.at = instant{std::chrono::seconds{r.get<std::int64_t>()}};
    return c;
}

}  // namespace

void write_read_model(std::ostream& out, const projection::read_model& m, json header) {
    header["format"] = 6;
    header["position"] = m.position;
    out << header.dump() << '\n';
    // A policy's line comes before the first row that names it: the frozen rows' policies
    // first, in the order their bytes number them.
    std::map<const sla_policy*, std::size_t> numbers;  // one line each
    auto policy_line = [&](const policy_ref& p) {
        const auto [at, added] = numbers.emplace(&*p, numbers.size());
        if (added) out << json{{"p", encode_policy(*p)}}.dump() << '\n';
        return at->second;
    };
    for (const auto& p : m.complaints.policies()) policy_line(p);
    // Settled complaints' frozen rows as length-prefixed chunks of bytes, ended by an empty one.
    out << json{{"frozen",
                 {{"names", m.complaints.names()},
                  {"rows", m.complaints.frozen()},
                  {"policies", m.complaints.policies().size()}}}}
               .dump()
        << '\n';
    m.complaints.save_frozen([&](std::string_view chunk) { write_chunk(out, chunk); });
    write_chunk(out, {});
    std::size_t live = 0;
    m.complaints.for_each_live([&](const std::string&, const projection::complaint_row& row) {
        const auto number = policy_line(row.state.policy);
        out << encode_row(row, number) << '\n';
        ++live;
    });
    for (const auto& a : m.actions) out << json{{"a", fact(a)}}.dump() << '\n';
    // Compliments and escalations grow with history: records of bytes, as the frozen rows.
    out << json{{"compliments", m.compliments.size()}}.dump() << '\n';
    chunk_writer compliments(out);
    for (const auto& c : m.compliments) put_compliment(compliments.record(), c);
    compliments.finish();
    out << json{{"escalations", m.escalations.size()}}.dump() << '\n';
    chunk_writer escalations(out);
    for (const auto& e : m.escalations) {
        auto& w = escalations.record();
        w.text(e.id.value());
        w.put(static_cast<std::int32_t>(e.to_level));
        w.put(static_cast<std::int64_t>(e.at.time_since_epoch().count()));
    }
    escalations.finish();
    // A file cut off at a line boundary would otherwise read as a smaller, valid model.
    const auto lines = numbers.size() + 1 + live + m.actions.size() + 2;
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
        // Format 3 (before rows froze) has every row as a line; 4 the settled ones in a block of
        // bytes after the policies; 5 amounts as exact integers with a currency (3 and 4 held
        // binary floats, converted on read); 6 compliments and escalations as blocks of bytes
        // too (5 and before: a JSON line each).
        const auto format = out.header.at("format").get<int>();
        if (format < 3 || format > 6) return std::unexpected("unknown snapshot format");
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
            if (const auto fr = j.find("frozen"); fr != j.end() && format >= 4) {
                if (fr->at("policies").get<std::size_t>() != policies.size())
                    throw std::runtime_error("frozen rows name policies not read");
                if (auto r = m.complaints.load_policies(policies); !r)
                    throw std::runtime_error(r.error());
                m.complaints.reserve(fr->at("rows").get<std::size_t>(),
                                     fr->at("names").get<std::size_t>());
                read_block(in, [&](std::string_view chunk) {
                    if (auto r = m.complaints.load_frozen(chunk, format == 4); !r)
                        throw std::runtime_error(r.error());
                });
                if (m.complaints.frozen() != fr->at("rows").get<std::size_t>() ||
                    m.complaints.names() != fr->at("names").get<std::size_t>())
                    throw std::runtime_error("frozen rows missing");
            } else if (const auto c = j.find("c"); c != j.end()) {
                auto row = decode_row(*c, policies);
                auto id = row.state.id.value();
                if (!m.complaints.emplace(std::move(id), std::move(row)))
                    throw std::runtime_error("a complaint appears twice");
            } else if (const auto p = j.find("p"); p != j.end()) {
                auto policy = decode_policy(*p);
                if (!policy) throw std::runtime_error(policy.error());
                policies.push_back(m.policies.intern(policy_ref{std::move(*policy)}));
            } else if (const auto k = j.find("k"); k != j.end()) {
                m.compliments.push_back(get_fact<compliment_received>(*k));
            } else if (const auto a = j.find("a"); a != j.end()) {
                m.actions.push_back(get_fact<prevention_action_recorded>(*a));
            } else if (const auto ks = j.find("compliments"); ks != j.end() && format >= 6) {
                const auto n = ks->get<std::size_t>();
                m.compliments.reserve(n);
                read_chunks(in, [&](projection::byte_reader& r) {
                    m.compliments.push_back(get_compliment(r));
                });
                if (m.compliments.size() != n) throw std::runtime_error("compliments missing");
            } else if (const auto es = j.find("escalations"); es != j.end() && format >= 6) {
                const auto n = es->get<std::size_t>();
                m.escalations.reserve(n);
                read_chunks(in, [&](projection::byte_reader& r) {
                    auto id = complaint_id{std::string(r.text())};
                    const auto level = r.get<std::int32_t>();
                    const auto when = instant{std::chrono::seconds{r.get<std::int64_t>()}};
                    m.escalations.push_back({std::move(id), level, when});
                });
                if (m.escalations.size() != n) throw std::runtime_error("escalations missing");
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
