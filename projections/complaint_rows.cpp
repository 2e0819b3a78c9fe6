#include "projections/complaint_rows.hpp"

#include "projections/byte_records.hpp"

#include <cstring>
#include <iterator>
#include <limits>

namespace bb::projection {

namespace {

// frozen_row::flags
enum : std::uint16_t {
    ack_warned = 1 << 0,
    ack_breached = 1 << 1,
    resolve_warned = 1 << 2,
    resolve_breached = 1 << 3,
    bounce_warned = 1 << 4,
    bounce_breached = 1 << 5,
    ack_ever_breached = 1 << 6,
    resolve_ever_breached = 1 << 7,
    has_acknowledged_at = 1 << 8,
    has_resolved_at = 1 << 9,
    has_paused_at = 1 << 10,
    has_first_resolved_at = 1 << 11,
    has_recovered_value = 1 << 12,
    progress_filled = 1 << 13,
    has_id = 1 << 14,
    lost_by_window = 1 << 15,
};

std::int64_t count(instant t) {
    return t.time_since_epoch().count();
}
instant at(std::int64_t n) {
    return instant{duration{n}};
}

void put(std::int64_t& n, std::uint16_t& flags, std::uint16_t bit,
         const std::optional<instant>& t) {
    if (!t) return;
    n = count(*t);
    flags |= bit;
}
void get_opt(std::optional<instant>& t, std::uint16_t flags, std::uint16_t bit, std::int64_t n) {
    if (flags & bit)
        t = at(n);
    else
        t.reset();
}

void put_clock(frozen_row& f, int i, const sla_clock& c, std::uint16_t warned,
               std::uint16_t breached) {
    f.warn_at[i] = count(c.warn_at);
    f.due[i] = count(c.due);
    if (c.warned) f.flags |= warned;
    if (c.breached) f.flags |= breached;
}
void get_clock(sla_clock& c, const frozen_row& f, int i, std::uint16_t warned,
               std::uint16_t breached) {
    c.warn_at = at(f.warn_at[i]);
    c.due = at(f.due[i]);
    c.warned = (f.flags & warned) != 0;
    c.breached = (f.flags & breached) != 0;
}

constexpr char names_chunk = 'N', rows_chunk = 'R';

template <class T>
bool fits(int v) {
    return v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max();
}

}  // namespace

complaint_rows::row_ref complaint_rows::const_iterator::operator*() const {
    const auto& [id, e] = *it_;
    if (e.live.filled()) return {id, e.live.get()};
    owner_->thaw(id, e.frozen, scratch_);
    return {id, scratch_};
}

void complaint_rows::for_each_of_customer(
    std::string_view customer,
    const std::function<void(const std::string&, const complaint_row&)>& f) const {
    const auto named = names_.find(customer);
    const auto sym = named == names_.end()
                         ? frozen_row::sym{0}
                         : static_cast<frozen_row::sym>(std::distance(names_.begin(), named) + 1);
    complaint_row scratch;
    for (const auto& [id, e] : rows_) {
        if (e.live.filled()) {
            if (e.live.get().state.customer.id.value() == customer) f(id, e.live.get());
        } else if (sym != 0 && e.frozen.customer == sym) {
            thaw(id, e.frozen, scratch);
            f(id, scratch);
        }
    }
}

std::optional<complaint_row> complaint_rows::get(std::string_view id) const {
    const auto it = find(id);
    if (it == end()) return std::nullopt;
    return it->second;
}

bool complaint_rows::settled(const complaint_row& row) {
    return is_settled(row.state.status);
}

complaint_row& complaint_rows::edit(std::string_view id) {
    auto& e = rows_[id];
    if (!e.live.filled()) {
        // A new entry is empty and live; only a frozen one has a row to thaw.
        const bool was_frozen = e.frozen.status != 0;
        auto& row = e.live.edit();
        if (was_frozen) {
            thaw(std::string(id), e.frozen, row);
            e.frozen = {};
            --frozen_;
        }
    }
    return e.live.edit();
}

bool complaint_rows::emplace(std::string id, complaint_row row) {
    if (rows_.contains(id)) return false;
    const std::string key = id;
    auto& e = rows_[key];
    e.live.edit() = std::move(row);
    settle(key);
    return true;
}

void complaint_rows::settle(std::string_view id) {
    const auto it = rows_.find(id);
    if (it == rows_.end()) return;
    auto& e = it->second;
    if (!e.live.filled() || !settled(e.live.get()) || !freezable(it->first, e.live.get())) return;
    e.frozen = freeze(e.live.get());
    e.live = {};
    ++frozen_;
}

bool complaint_rows::freezable(const std::string& id, const complaint_row& row) const {
    // What the frozen form cannot say keeps the row live: the read model never records
    // idempotency keys, an id is its key (or not yet set), and the counters are small.
    const auto& s = row.state;
    return s.seen.empty() && (s.id.value().empty() || s.id.value() == id) &&
           s.status != complaint_status::unfiled && fits<std::int16_t>(s.escalation_level) &&
           fits<std::int16_t>(s.reopen_count);
}

frozen_row::sym complaint_rows::intern(std::string_view s) {
    const auto [it, added] = names_.emplace(std::string(s), nothing{});
    (void)added;
    return static_cast<frozen_row::sym>(std::distance(names_.begin(), it) + 1);
}

const std::string& complaint_rows::name(frozen_row::sym s) const {
    return names_.nth(s - 1).first;
}

frozen_row complaint_rows::freeze(const complaint_row& row) {
    frozen_row f;
    const auto& s = row.state;
    const auto& p = row.progress.get();
    auto opt = [&](const auto& o) -> frozen_row::sym { return o ? intern(o->value()) : 0; };
    auto opt_text = [&](const std::optional<std::string>& o) -> frozen_row::sym {
        return o ? intern(*o) : 0;
    };
    f.status = static_cast<std::uint8_t>(s.status);
    f.sev = static_cast<std::uint8_t>(s.sev);
    if (!s.id.value().empty()) f.flags |= has_id;
    f.customer = intern(s.customer.id.value());
    f.segment = intern(s.customer.segment);
    f.customer_value = s.customer.value.amount;
    f.customer_currency = currency_sym(s.customer.value.cur);
    f.channel = intern(s.channel);
    f.category = intern(s.category);
    f.product = intern(s.product);
    f.team = intern(s.team);
    f.policy = static_cast<std::uint32_t>(policies_.size());
    for (std::size_t i = 0; i < policies_.size(); ++i)
        if (policies_[i].shares(s.policy) || policies_[i] == s.policy) {
            f.policy = static_cast<std::uint32_t>(i);
            break;
        }
    if (f.policy == policies_.size()) policies_.push_back(s.policy);
    f.owner = opt(s.owner);
    f.filed_at = count(s.filed_at);
    put(f.acknowledged_at, f.flags, has_acknowledged_at, s.acknowledged_at);
    put(f.resolved_at, f.flags, has_resolved_at, s.resolved_at);
    put(f.paused_at, f.flags, has_paused_at, s.paused_at);
    put_clock(f, 0, s.acknowledge, ack_warned, ack_breached);
    put_clock(f, 1, s.resolve, resolve_warned, resolve_breached);
    put_clock(f, 2, s.bounce_back, bounce_warned, bounce_breached);
    if (s.lost_by_window) f.flags |= lost_by_window;
    f.escalation_level = static_cast<std::int16_t>(s.escalation_level);
    f.reopen_count = static_cast<std::int16_t>(s.reopen_count);
    if (row.acknowledge_ever_breached) f.flags |= ack_ever_breached;
    if (row.resolve_ever_breached) f.flags |= resolve_ever_breached;
    if (row.progress.filled()) f.flags |= progress_filled;
    put(f.first_resolved_at, f.flags, has_first_resolved_at, p.first_resolved_at);
    f.resolved_by = opt(p.resolved_by);
    f.root_cause = opt_text(p.root_cause);
    f.root_cause_detail = opt_text(p.root_cause_detail);
    f.attributed_to = opt(p.attributed_to);
    f.acknowledge_credit = opt(p.acknowledge_credit);
    f.resolve_credit = opt(p.resolve_credit);
    if (p.recovered_value) {
        f.recovered_value = p.recovered_value->amount;
        f.recovered_currency = currency_sym(p.recovered_value->cur);
        f.flags |= has_recovered_value;
    }
    if (!p.pauses.empty()) f.pauses.edit() = p.pauses;
    return f;
}

void complaint_rows::thaw(const std::string& id, const frozen_row& f, complaint_row& out) const {
    auto& s = out.state;
    auto text = [&](std::string& to, frozen_row::sym from) { to.assign(name(from)); };
    auto opt_text = [&](std::optional<std::string>& to, frozen_row::sym from) {
        if (from == 0)
            to.reset();
        else if (to)
            to->assign(name(from));
        else
            to.emplace(name(from));
    };
    auto opt = [&]<class T>(std::optional<T>& to, frozen_row::sym from) {
        if (from == 0)
            to.reset();
        else if (!to || to->value() != name(from))
            to = T{name(from)};
    };
    s.status = static_cast<complaint_status>(f.status);
    s.sev = static_cast<severity>(f.sev);
    if ((f.flags & has_id) == 0)
        s.id = {};
    else if (s.id.value() != id)
        s.id = complaint_id{id};
    if (s.customer.id.value() != name(f.customer)) s.customer.id = customer_id{name(f.customer)};
    text(s.customer.segment, f.segment);
    s.customer.value = money{f.customer_value, currency_of(f.customer_currency)};
    text(s.channel, f.channel);
    text(s.category, f.category);
    text(s.product, f.product);
    text(s.team, f.team);
    // Rows of a policy share one object: a copy per row would cost two atomic counts.
    if (!s.policy.shares(policies_[f.policy])) s.policy = policies_[f.policy];
    opt(s.owner, f.owner);
    s.filed_at = at(f.filed_at);
    get_opt(s.acknowledged_at, f.flags, has_acknowledged_at, f.acknowledged_at);
    get_opt(s.resolved_at, f.flags, has_resolved_at, f.resolved_at);
    get_opt(s.paused_at, f.flags, has_paused_at, f.paused_at);
    get_clock(s.acknowledge, f, 0, ack_warned, ack_breached);
    get_clock(s.resolve, f, 1, resolve_warned, resolve_breached);
    get_clock(s.bounce_back, f, 2, bounce_warned, bounce_breached);
    s.lost_by_window = (f.flags & lost_by_window) != 0;
    s.escalation_level = f.escalation_level;
    s.reopen_count = f.reopen_count;
    s.seen.clear();
    out.acknowledge_ever_breached = (f.flags & ack_ever_breached) != 0;
    out.resolve_ever_breached = (f.flags & resolve_ever_breached) != 0;
    if ((f.flags & progress_filled) == 0) {
        out.progress = {};
        return;
    }
    auto& p = out.progress.edit();
    get_opt(p.first_resolved_at, f.flags, has_first_resolved_at, f.first_resolved_at);
    opt(p.resolved_by, f.resolved_by);
    opt_text(p.root_cause, f.root_cause);
    opt_text(p.root_cause_detail, f.root_cause_detail);
    opt(p.attributed_to, f.attributed_to);
    opt(p.acknowledge_credit, f.acknowledge_credit);
    opt(p.resolve_credit, f.resolve_credit);
    if (f.flags & has_recovered_value)
        p.recovered_value = money{f.recovered_value, currency_of(f.recovered_currency)};
    else
        p.recovered_value.reset();
    p.pauses = f.pauses.get();
}

void complaint_rows::save_frozen(const std::function<void(std::string_view)>& chunk) const {
    byte_writer w;
    auto start = [&](char kind) {
        w.out.clear();
        w.put(byte_order_mark);
        w.put(kind);
    };
    start(names_chunk);
    for (const auto& [name, unused] : names_) {
        w.text(name);
        if (w.out.size() >= chunk_bytes) {
            chunk(w.out);
            start(names_chunk);
        }
    }
    if (w.out.size() > sizeof byte_order_mark + 1) chunk(w.out);
    start(rows_chunk);
    for (const auto& [id, e] : rows_) {
        if (e.live.filled()) continue;
        const auto& f = e.frozen;
        w.text(id);
        for (auto n :
             {f.filed_at, f.acknowledged_at, f.resolved_at, f.paused_at, f.first_resolved_at,
              f.warn_at[0], f.warn_at[1], f.warn_at[2], f.due[0], f.due[1], f.due[2]})
            w.put(n);
        w.put(f.customer_value);
        w.put(f.recovered_value);
        for (auto sym :
             {f.customer_currency, f.recovered_currency, f.customer, f.segment, f.channel,
              f.category, f.product, f.team, f.owner, f.resolved_by, f.root_cause,
              f.root_cause_detail, f.attributed_to, f.acknowledge_credit, f.resolve_credit})
            w.put(sym);
        w.put(f.policy);
        w.put(f.escalation_level);
        w.put(f.reopen_count);
        w.put(f.status);
        w.put(f.sev);
        w.put(f.flags);
        const auto& pauses = f.pauses.get();
        w.put(static_cast<std::uint32_t>(pauses.size()));
        for (const auto& [from, to] : pauses) {
            w.put(count(from));
            w.put(count(to));
        }
        if (w.out.size() >= chunk_bytes) {
            chunk(w.out);
            start(rows_chunk);
        }
    }
    if (w.out.size() > sizeof byte_order_mark + 1) chunk(w.out);
}

std::expected<void, std::string> complaint_rows::load_policies(std::vector<policy_ref> policies) {
    if (!rows_.empty() || !names_.empty() || !policies_.empty())
        return std::unexpected("frozen rows load into empty rows only");
    policies_ = std::move(policies);
    return {};
}

std::expected<void, std::string> complaint_rows::load_frozen(std::string_view chunk,
                                                             bool amounts_as_doubles) {
    byte_reader r{chunk};
    if (r.get<std::uint32_t>() != byte_order_mark)
        return std::unexpected("frozen rows of another byte order");
    const auto kind = r.get<char>();
    // Read a chunk whole, then insert: each insertion's slot is prefetched a few keys ahead, so
    // the table's cache misses overlap instead of taking turns (they were most of a restart).
    constexpr std::size_t ahead = 8;
    if (kind == names_chunk) {
        std::vector<std::string_view> names;
        while (r.ok && !r.in.empty()) names.push_back(r.text());
        if (!r.ok) return std::unexpected("a frozen name is cut off");
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (i + ahead < names.size()) names_.prefetch_slot(names[i + ahead]);
            if (!names_.emplace(std::string(names[i]), nothing{}).second)
                return std::unexpected("a frozen name appears twice");
        }
        return {};
    }
    if (kind != rows_chunk) return std::unexpected("unknown frozen chunk");
    const auto names = names_.size();
    std::vector<std::pair<std::string_view, frozen_row>> rows;
    while (r.ok && !r.in.empty()) {
        const auto id = r.text();
        auto& f = rows.emplace_back(id, frozen_row{}).second;
        for (auto* n :
             {&f.filed_at, &f.acknowledged_at, &f.resolved_at, &f.paused_at, &f.first_resolved_at,
              &f.warn_at[0], &f.warn_at[1], &f.warn_at[2], &f.due[0], &f.due[1], &f.due[2]})
            *n = r.get<std::int64_t>();
        bool syms_ok = true;
        if (amounts_as_doubles) {
            const auto customer = amount_from_double(r.get<double>());
            const auto recovered = amount_from_double(r.get<double>());
            syms_ok = customer && recovered;
            f.customer_value = customer.value_or(0);
            f.recovered_value = recovered.value_or(0);
        } else {
            f.customer_value = r.get<std::int64_t>();
            f.recovered_value = r.get<std::int64_t>();
            for (auto* sym : {&f.customer_currency, &f.recovered_currency}) {
                *sym = r.get<frozen_row::sym>();
                syms_ok = syms_ok && *sym <= names;
            }
        }
        for (auto* sym : {&f.customer, &f.segment, &f.channel, &f.category, &f.product, &f.team,
                          &f.owner, &f.resolved_by, &f.root_cause, &f.root_cause_detail,
                          &f.attributed_to, &f.acknowledge_credit, &f.resolve_credit}) {
            *sym = r.get<frozen_row::sym>();
            syms_ok = syms_ok && *sym <= names;
        }
        f.policy = r.get<std::uint32_t>();
        f.escalation_level = r.get<std::int16_t>();
        f.reopen_count = r.get<std::int16_t>();
        f.status = r.get<std::uint8_t>();
        f.sev = r.get<std::uint8_t>();
        f.flags = r.get<std::uint16_t>();
        const auto pauses = r.get<std::uint32_t>();
        if (!r.ok || r.in.size() < pauses * 16) return std::unexpected("a frozen row is cut off");
        if (pauses > 0) {
            auto& p = f.pauses.edit();
            p.reserve(pauses);
            for (std::uint32_t i = 0; i < pauses; ++i) {
                const auto from = r.get<std::int64_t>();
                p.emplace_back(at(from), at(r.get<std::int64_t>()));
            }
        }
        // Every symbol a name, the customer present, the policy known, and a status frozen
        // rows can have: anything else is damage.
        if (!syms_ok || f.customer == 0 || f.segment == 0 || f.channel == 0 || f.category == 0 ||
            f.product == 0 || f.team == 0 || f.policy >= policies_.size() ||
            f.status > static_cast<int>(complaint_status::withdrawn) ||
            !is_settled(static_cast<complaint_status>(f.status)) ||
            f.sev > static_cast<int>(severity::critical))
            return std::unexpected("a frozen row does not hold together");
    }
    if (!r.ok) return std::unexpected("a frozen row is cut off");
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i + ahead < rows.size()) rows_.prefetch_slot(rows[i + ahead].first);
        auto [it, added] = rows_.emplace(std::string(rows[i].first), entry{});
        if (!added) return std::unexpected("a complaint appears twice");
        it->second.frozen = std::move(rows[i].second);
        ++frozen_;
    }
    return {};
}

bool operator==(const complaint_rows& a, const complaint_rows& b) {
    if (a.size() != b.size()) return false;
    for (const auto& [id, row] : a) {
        const auto it = b.find(id);
        if (it == b.end() || !(it->second == row)) return false;
    }
    return true;
}

}  // namespace bb::projection
