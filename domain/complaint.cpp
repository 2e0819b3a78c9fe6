#include "domain/complaint.hpp"

#include <algorithm>

namespace bb {

std::string_view to_string(activity_kind k) {
    switch (k) {
        case activity_kind::purchase:
            return "purchase";
        case activity_kind::visit:
            return "visit";
        case activity_kind::renewal:
            return "renewal";
        case activity_kind::account_closed:
            return "account_closed";
    }
    return "unknown";
}

std::optional<activity_kind> parse_activity_kind(std::string_view s) {
    for (auto k : {activity_kind::purchase, activity_kind::visit, activity_kind::renewal,
                   activity_kind::account_closed})
        if (to_string(k) == s) return k;
    return std::nullopt;
}

std::string_view to_string(ticket_status s) {
    switch (s) {
        case ticket_status::open:
            return "open";
        case ticket_status::pending:
            return "pending";
        case ticket_status::solved:
            return "solved";
        case ticket_status::withdrawn:
            return "withdrawn";
    }
    return "unknown";
}

std::optional<ticket_status> parse_ticket_status(std::string_view s) {
    for (auto t : {ticket_status::open, ticket_status::pending, ticket_status::solved,
                   ticket_status::withdrawn})
        if (to_string(t) == s) return t;
    return std::nullopt;
}

std::string_view to_string(complaint_status s) {
    switch (s) {
        case complaint_status::unfiled:
            return "unfiled";
        case complaint_status::received:
            return "received";
        case complaint_status::acknowledged:
            return "acknowledged";
        case complaint_status::investigating:
            return "investigating";
        case complaint_status::awaiting_customer:
            return "awaiting_customer";
        case complaint_status::resolved:
            return "resolved";
        case complaint_status::recovered:
            return "recovered";
        case complaint_status::lost:
            return "lost";
        case complaint_status::reopened:
            return "reopened";
        case complaint_status::withdrawn:
            return "withdrawn";
    }
    return "unknown";
}

std::string_view event_type_name(const complaint_event& e) {
    return std::visit(overloaded{
                          [](const complaint_filed&) { return "ComplaintFiled"; },
                          [](const complaint_acknowledged&) { return "ComplaintAcknowledged"; },
                          [](const complaint_assigned&) { return "ComplaintAssigned"; },
                          [](const customer_info_requested&) { return "CustomerInfoRequested"; },
                          [](const customer_replied&) { return "CustomerReplied"; },
                          [](const root_cause_found&) { return "RootCauseFound"; },
                          [](const recovery_offered&) { return "RecoveryOffered"; },
                          [](const complaint_resolved&) { return "ComplaintResolved"; },
                          [](const complaint_reopened&) { return "ComplaintReopened"; },
                          [](const complaint_withdrawn&) { return "ComplaintWithdrawn"; },
                          [](const sla_warning_raised&) { return "SlaWarningRaised"; },
                          [](const sla_breached&) { return "SlaBreached"; },
                          [](const complaint_escalated&) { return "ComplaintEscalated"; },
                          [](const customer_bounced_back&) { return "CustomerBouncedBack"; },
                          [](const bounce_back_missed&) { return "BounceBackMissed"; },
                          [](const sla_reconciled&) { return "SlaReconciled"; },
                          [](const complaint_reclassified&) { return "ComplaintReclassified"; },
                      },
                      e);
}

instant event_time(const complaint_event& e) {
    return std::visit([](const auto& ev) { return ev.at; }, e);
}

const idempotency_key& event_key(const complaint_event& e) {
    return std::visit([](const auto& ev) -> const idempotency_key& { return ev.key; }, e);
}

bool is_open(complaint_status s) {
    switch (s) {
        case complaint_status::received:
        case complaint_status::acknowledged:
        case complaint_status::investigating:
        case complaint_status::awaiting_customer:
        case complaint_status::reopened:
            return true;
        case complaint_status::unfiled:
        case complaint_status::resolved:
        case complaint_status::recovered:
        case complaint_status::lost:
        case complaint_status::withdrawn:
            return false;
    }
    return false;
}

bool is_settled(complaint_status s) {
    return s == complaint_status::recovered || s == complaint_status::lost ||
           s == complaint_status::withdrawn;
}

complaint_state initial_complaint_state() {
    return {};
}

namespace {

bool acknowledge_clock_runs(complaint_status s) {
    return s == complaint_status::received;
}
bool resolve_clock_runs(complaint_status s) {
    return is_open(s) && s != complaint_status::awaiting_customer;
}

void add_clock_deadlines(std::vector<deadline>& out, sla_target target, const sla_clock& c) {
    if (!c.warned && !c.breached && c.warn_at < c.due)
        out.push_back({target, false, c.warn_at, c.due});
    if (!c.breached) out.push_back({target, true, c.due, c.due});
}

}  // namespace

std::vector<deadline> pending_deadlines(const complaint_state& s) {
    std::vector<deadline> out;
    if (acknowledge_clock_runs(s.status))
        add_clock_deadlines(out, sla_target::acknowledge, s.acknowledge);
    if (resolve_clock_runs(s.status)) add_clock_deadlines(out, sla_target::resolve, s.resolve);
    if (s.status == complaint_status::resolved)
        add_clock_deadlines(out, sla_target::bounce_back, s.bounce_back);
    std::stable_sort(out.begin(), out.end(), [](const deadline& a, const deadline& b) {
        return a.at < b.at || (a.at == b.at && !a.breach && b.breach);
    });
    return out;
}

std::optional<instant> next_deadline(const complaint_state& s) {
    const auto d = pending_deadlines(s);
    if (d.empty()) return std::nullopt;
    return d.front().at;
}

// ---------------------------------------------------------------------------------------------
// evolve: total, never fails, never decides.

namespace {

void remember(complaint_state& s, const idempotency_key& key, instant at) {
    if (key.value().empty()) return;
    s.seen.insert(key);
    s.last_command_at = std::max(s.last_command_at, at);
}

sla_clock fresh_clock(instant warn_at, instant due) {
    return sla_clock{warn_at, due, false, false};
}

void apply(complaint_state& s, const complaint_filed& e) {
    s.status = complaint_status::received;
    s.id = e.id;
    s.customer = e.customer;
    s.sev = e.sev;
    s.channel = e.channel;
    s.category = e.category;
    s.product = e.product;
    s.team = e.team;
    s.policy = policy_ref{e.policy};
    s.filed_at = e.at;
    s.acknowledge = fresh_clock(e.acknowledge_warn_at, e.acknowledge_due);
    s.resolve = fresh_clock(e.resolve_warn_at, e.resolve_due);
}

void apply(complaint_state& s, const complaint_acknowledged& e) {
    s.status = complaint_status::acknowledged;
    s.acknowledged_at = e.at;
    if (!s.owner) s.owner = e.employee;
}

void start_investigating(complaint_state& s) {
    if (s.status == complaint_status::acknowledged || s.status == complaint_status::reopened)
        s.status = complaint_status::investigating;
}

void apply(complaint_state& s, const complaint_assigned& e) {
    s.owner = e.employee;
    start_investigating(s);
}

void apply(complaint_state& s, const customer_info_requested& e) {
    s.status = complaint_status::awaiting_customer;
    s.paused_at = e.at;
}

void apply(complaint_state& s, const customer_replied& e) {
    s.status = complaint_status::investigating;
    s.paused_at.reset();
    s.resolve.due = e.resolve_due;
    s.resolve.warn_at = e.resolve_warn_at;
}

void apply(complaint_state& s, const root_cause_found&) {
    start_investigating(s);
}
void apply(complaint_state& s, const recovery_offered&) {
    start_investigating(s);
}

void apply(complaint_state& s, const complaint_resolved& e) {
    s.status = complaint_status::resolved;
    s.resolved_at = e.at;
    s.paused_at.reset();
    s.bounce_back = fresh_clock(e.bounce_back_warn_at, e.bounce_back_due);
}

void apply(complaint_state& s, const complaint_reopened& e) {
    s.status = complaint_status::reopened;
    s.reopen_count = e.reopen_count;
    s.lost_by_window = false;
    s.resolve = fresh_clock(e.resolve_warn_at, e.resolve_due);
}

void apply(complaint_state& s, const complaint_withdrawn&) {
    s.status = complaint_status::withdrawn;
    s.paused_at.reset();
}

sla_clock& clock_of(complaint_state& s, sla_target t) {
    switch (t) {
        case sla_target::acknowledge:
            return s.acknowledge;
        case sla_target::resolve:
            return s.resolve;
        case sla_target::bounce_back:
            return s.bounce_back;
    }
    return s.resolve;
}

void apply(complaint_state& s, const sla_warning_raised& e) {
    clock_of(s, e.target).warned = true;
}
void apply(complaint_state& s, const sla_breached& e) {
    clock_of(s, e.target).breached = true;
}
void apply(complaint_state& s, const complaint_escalated& e) {
    s.escalation_level = std::max(s.escalation_level, e.to_level);
}
void apply(complaint_state& s, const customer_bounced_back&) {
    s.status = complaint_status::recovered;
}
void apply(complaint_state& s, const bounce_back_missed& e) {
    s.status = complaint_status::lost;
    s.bounce_back.breached = true;
    s.lost_by_window = e.reason == "window_elapsed";
}
// The clock is met after all; a lost complaint's recovery follows as its own event.
void apply(complaint_state& s, const sla_reconciled& e) {
    clock_of(s, e.target).breached = false;
    if (e.target == sla_target::bounce_back) s.lost_by_window = false;
}

// New classification and policy; each re-targeted clock keeps its warned and breached flags.
void apply(complaint_state& s, const complaint_reclassified& e) {
    s.sev = e.sev;
    s.category = e.category;
    s.product = e.product;
    s.team = e.team;
    s.policy = policy_ref{e.policy};
    for (auto [clk, warn_at, due] :
         {std::tuple{&s.acknowledge, e.acknowledge_warn_at, e.acknowledge_due},
          std::tuple{&s.resolve, e.resolve_warn_at, e.resolve_due}}) {
        if (!clk->warned) clk->warn_at = warn_at;
        if (!clk->breached) clk->due = due;
    }
}

}  // namespace

complaint_state evolve(complaint_state s, const complaint_event& e) {
    std::visit([&s](const auto& ev) { remember(s, ev.key, ev.at); }, e);
    evolve_facts(s, e);
    return s;
}

void evolve_facts(complaint_state& s, const complaint_event& e) {
    std::visit([&s](const auto& ev) { apply(s, ev); }, e);
}

// ---------------------------------------------------------------------------------------------
// decide

namespace {

using events = std::vector<complaint_event>;

rejection reject(rejection_code code, std::string detail) {
    return {code, std::move(detail)};
}

rejection invalid_in(const complaint_state& s, std::string_view what) {
    return reject(rejection_code::invalid_transition,
                  std::string(what) + " is not allowed while the complaint is " +
                      std::string(to_string(s.status)));
}

// Appends an event and folds it into the working state, so later decisions in the same
// command see it.
struct decision {
    complaint_state state;
    events out;
    void emit(complaint_event e) {
        state = evolve(std::move(state), e);
        out.push_back(std::move(e));
    }
};

std::string escalation_reason(escalation_trigger trig, std::optional<sla_target> target,
                              std::string_view note) {
    // Appends, not `"x" + std::string(...)`: GCC 12 reports a false -Wrestrict for the latter.
    std::string r(to_string(trig));
    if (target) r.append(":").append(to_string(*target));
    if (!note.empty()) r.append(": ").append(note);
    return r;
}

// Escalation ladder: the highest level any matching rule asks for; manual escalation and a
// missed bounce-back climb one level when the policy has no rule for them. Never down.
void escalate(decision& d, escalation_trigger trig, std::optional<sla_target> target,
              const idempotency_key& key, instant at, std::string_view note = {}) {
    const auto& s = d.state;
    int to = -1;
    for (const auto& rule : s.policy->escalation) {
        if (rule.on != trig) continue;
        if (rule.target && target && *rule.target != *target) continue;
        // A threshold applies to customers valued in its own currency (no exchange rates).
        if (rule.min_customer_value && (s.customer.value.cur != rule.min_customer_value->cur ||
                                        s.customer.value.amount < rule.min_customer_value->amount))
            continue;
        to = std::max(to, rule.to_level);
    }
    if (to < 0 &&
        (trig == escalation_trigger::manual || trig == escalation_trigger::bounce_back_missed))
        to = s.escalation_level + 1;
    to = std::min(to, s.policy->max_level);
    if (to <= s.escalation_level) return;
    d.emit(complaint_escalated{key, s.id, s.escalation_level, to,
                               escalation_reason(trig, target, note), at});
}

// Fires every deadline due up to `now`, in order, each stamped with its own instant.
void fire_deadlines(decision& d, instant now) {
    for (;;) {
        const auto pending = pending_deadlines(d.state);
        if (pending.empty() || pending.front().at > now) return;
        const auto dl = pending.front();
        const idempotency_key none;
        if (!dl.breach) {
            d.emit(sla_warning_raised{none, d.state.id, dl.target, dl.due_at, dl.at});
            escalate(d, escalation_trigger::warning, dl.target, none, dl.at);
        } else if (dl.target == sla_target::bounce_back) {
            d.emit(bounce_back_missed{none, d.state.id, "window_elapsed", std::nullopt, dl.at});
            escalate(d, escalation_trigger::bounce_back_missed, std::nullopt, none, dl.at);
        } else {
            d.emit(sla_breached{none, d.state.id, dl.target, dl.due_at, dl.at});
            escalate(d, escalation_trigger::breach, dl.target, none, dl.at);
        }
    }
}

struct clock_due {
    instant warn_at;
    instant due;
};

clock_due start_clock(const business_calendar& cal, const sla_policy& p, instant from,
                      duration target) {
    return {add_business_time(cal, from, warning_offset(target, p.warn_at)),
            add_business_time(cal, from, target)};
}

result<const business_calendar*> calendar_for(const policy_book& book, const sla_policy& p) {
    if (p.calendar_as_applied) return &*p.calendar_as_applied;
    const auto* cal = book.calendar(p.calendar);
    if (cal == nullptr)
        return std::unexpected(reject(rejection_code::unknown_calendar,
                                      "policy " + p.id + " uses unknown calendar " + p.calendar));
    return cal;
}

result<events> decide_file(const policy_book& book, const complaint_state& s,
                           const file_complaint& c) {
    if (s.status != complaint_status::unfiled)
        return std::unexpected(
            reject(rejection_code::already_filed, "complaint " + c.id.value() + " exists"));
    if (c.id.value().empty())
        return std::unexpected(reject(rejection_code::invalid_argument, "complaint_id is empty"));
    if (c.customer.id.value().empty())
        return std::unexpected(reject(rejection_code::invalid_argument, "customer.id is empty"));
    if (c.customer.value.amount < 0)
        return std::unexpected(reject(rejection_code::invalid_argument, "customer.value < 0"));
    const auto* policy = book.match(c.customer.segment, c.sev, c.channel);
    if (policy == nullptr)
        return std::unexpected(reject(rejection_code::no_matching_policy,
                                      "no policy for segment " + c.customer.segment +
                                          ", severity " + std::string(to_string(c.sev)) +
                                          ", channel " + c.channel));
    const auto cal = calendar_for(book, *policy);
    if (!cal) return std::unexpected(cal.error());
    const auto ack = start_clock(**cal, *policy, c.at, policy->acknowledge);
    const auto res = start_clock(**cal, *policy, c.at, policy->resolve);
    // The policy as applied carries its calendar as it is today (see sla_policy).
    auto applied = *policy;
    applied.calendar_as_applied = **cal;
    // The customer's value is recorded in its currency, the deployment's default when unnamed.
    auto customer = c.customer;
    customer.value.cur = customer.value.cur.or_default(book.default_currency);
    decision d{s, {}};
    d.emit(complaint_filed{c.key, c.id, std::move(customer), c.sev, c.channel, c.category,
                           c.product, c.team, c.summary, std::move(applied), ack.due, res.due,
                           ack.warn_at, res.warn_at, c.at});
    escalate(d, escalation_trigger::intake, std::nullopt, c.key, c.at);
    return d.out;
}

bool in(complaint_status s, std::initializer_list<complaint_status> allowed) {
    return std::find(allowed.begin(), allowed.end(), s) != allowed.end();
}

using enum complaint_status;

// A clock re-targeted by a reclassification. The business time the old target had consumed by
// `from` (the instant, or where a paused resolve clock stopped) counts against the new one: the
// new due is `from` plus what is left of the new target; a target the elapsed time already
// exceeds falls due at `from` (the reclassification itself, for a running clock: its breach
// fires at once; a paused clock breaches when the customer replies). A warned or breached clock
// keeps those instants (evolve leaves them).
struct retargeted {
    instant warn_at, due;
    duration elapsed;
};
retargeted retarget(const business_calendar& old_cal, const business_calendar& new_cal,
                    const sla_clock& clk, duration old_target, duration new_target,
                    double warn_fraction, instant from) {
    const auto left = clk.due > from ? business_time_between(old_cal, from, clk.due) : duration{0};
    const auto elapsed = std::max(duration{0}, old_target - left);
    const auto until = [&](duration target) {
        return target > elapsed ? add_business_time(new_cal, from, target - elapsed) : from;
    };
    return {until(warning_offset(new_target, warn_fraction)), until(new_target), elapsed};
}

// Everything but filing: deadlines that fell due before the command's instant are decided
// first, so a late scheduler never reorders history.
struct command_decider {
    const policy_book& book;
    decision& d;

    const complaint_state& s() const { return d.state; }
    // An amount as recorded: in its currency, the deployment's default when unnamed.
    money priced(money m) const {
        m.cur = m.cur.or_default(book.default_currency);
        return m;
    }

    // Lost only because the window elapsed, and `at` lies within that window.
    bool window_reconciles(instant at) const {
        return s().status == lost && s().lost_by_window && s().bounce_back.breached &&
               at < s().bounce_back.due;
    }

    result<void> operator()(const file_complaint&) const { return {}; }  // handled apart
    result<void> operator()(const sync_ticket&) const { return {}; }     // handled apart

    result<void> operator()(const acknowledge_complaint& c) const {
        if (s().status != received) return std::unexpected(invalid_in(s(), "acknowledge"));
        const auto clock = s().acknowledge;
        d.emit(complaint_acknowledged{c.key, c.id, c.employee, c.at});
        reconcile(c.key, sla_target::acknowledge, clock, c.at);
        return {};
    }
    // A late fact from before a breach already recorded: the SLA was met (see sla_reconciled).
    void reconcile(const idempotency_key& key, sla_target t, const sla_clock& clock,
                   instant fact) const {
        if (clock.breached && fact < clock.due)
            d.emit(sla_reconciled{key, s().id, t, clock.due, fact});
    }
    result<void> operator()(const assign_complaint& c) const {
        if (!is_open(s().status)) return std::unexpected(invalid_in(s(), "assign"));
        d.emit(complaint_assigned{c.key, c.id, c.employee, c.at});
        return {};
    }
    result<void> operator()(const request_customer_info& c) const {
        if (!in(s().status, {acknowledged, investigating, reopened}))
            return std::unexpected(invalid_in(s(), "customer_info_requested"));
        d.emit(customer_info_requested{c.key, c.id, c.at});
        return {};
    }
    result<void> operator()(const record_customer_reply& c) const {
        if (s().status != awaiting_customer)
            return std::unexpected(invalid_in(s(), "customer_replied"));
        const auto cal = calendar_for(book, *s().policy);
        if (!cal) return std::unexpected(cal.error());
        // The pause is excluded from the resolve clock: whatever business time was left when
        // the clock stopped is added from the reply on.
        const auto paused = s().paused_at.value_or(c.at);
        const auto& clk = s().resolve;
        auto due = clk.due;
        auto warn = clk.warn_at;
        if (!clk.breached)
            due = add_business_time(**cal, c.at, business_time_between(**cal, paused, clk.due));
        if (!clk.warned)
            warn =
                add_business_time(**cal, c.at, business_time_between(**cal, paused, clk.warn_at));
        d.emit(customer_replied{c.key, c.id, c.at, due, warn});
        return {};
    }
    result<void> operator()(const record_root_cause& c) const {
        if (in(s().status, {unfiled, withdrawn}))
            return std::unexpected(invalid_in(s(), "root_cause_found"));
        if (c.category.empty())
            return std::unexpected(
                reject(rejection_code::invalid_argument, "root_cause.category is empty"));
        d.emit(root_cause_found{c.key, c.id, c.category, c.employee, c.at, c.detail});
        return {};
    }
    result<void> operator()(const offer_recovery& c) const {
        if (!in(s().status,
                {acknowledged, investigating, awaiting_customer, reopened, resolved, lost}))
            return std::unexpected(invalid_in(s(), "recovery_offered"));
        if (c.value.amount < 0)
            return std::unexpected(reject(rejection_code::invalid_argument, "value < 0"));
        d.emit(recovery_offered{c.key, c.id, c.action, priced(c.value), c.at});
        return {};
    }
    result<void> operator()(const resolve_complaint& c) const {
        if (!in(s().status, {acknowledged, investigating, awaiting_customer, reopened}))
            return std::unexpected(invalid_in(s(), "resolve"));
        const auto& p = *s().policy;
        const auto clock = s().resolve;
        d.emit(complaint_resolved{c.key, c.id, c.employee, c.at, c.at + p.bounce_back,
                                  c.at + warning_offset(p.bounce_back, p.warn_at)});
        reconcile(c.key, sla_target::resolve, clock, c.at);
        return {};
    }
    result<void> operator()(const reopen_complaint& c) const {
        if (!in(s().status, {resolved, lost})) return std::unexpected(invalid_in(s(), "reopen"));
        const auto& p = *s().policy;
        if (s().resolved_at && c.at - *s().resolved_at > p.reopen_within)
            return std::unexpected(reject(rejection_code::reopen_window_closed,
                                          "reopen window of policy " + p.id + " has closed"));
        const auto cal = calendar_for(book, p);
        if (!cal) return std::unexpected(cal.error());
        const auto res = start_clock(**cal, p, c.at, p.resolve);
        d.emit(complaint_reopened{c.key, c.id, c.reason, s().reopen_count + 1, c.at, res.due,
                                  res.warn_at});
        if (s().reopen_count >= 2)
            escalate(d, escalation_trigger::reopen, std::nullopt, c.key, c.at);
        return {};
    }
    result<void> operator()(const request_escalation& c) const {
        if (in(s().status, {unfiled, withdrawn, recovered}))
            return std::unexpected(invalid_in(s(), "escalation"));
        const auto before = d.out.size();
        escalate(d, escalation_trigger::manual, std::nullopt, c.key, c.at, c.reason);
        if (d.out.size() == before)
            return std::unexpected(
                reject(rejection_code::invalid_transition,
                       "escalation level is already " + std::to_string(s().escalation_level)));
        return {};
    }
    result<void> operator()(const withdraw_complaint& c) const {
        if (!is_open(s().status) && s().status != resolved)
            return std::unexpected(invalid_in(s(), "withdraw"));
        d.emit(complaint_withdrawn{c.key, c.id, c.reason, c.at});
        return {};
    }
    // Customer activity is a fact about the customer, routed to each of their complaints; it
    // only means something while a complaint waits for the customer to come back.
    result<void> operator()(const record_customer_activity& c) const {
        // Activity from before the resolution (a purchase reported late) is not the customer
        // coming back after we fixed things.
        if (s().resolved_at && c.at < *s().resolved_at) return {};
        // A purchase from within the window, reported after the window was declared missed:
        // the customer did come back.
        if (window_reconciles(c.at) && c.kind != activity_kind::account_closed) {
            reconcile(c.key, sla_target::bounce_back, s().bounce_back, c.at);
            d.emit(customer_bounced_back{c.key, c.id, std::string(to_string(c.kind)), std::nullopt,
                                         c.at,
                                         c.value ? std::optional(priced(*c.value)) : std::nullopt});
            return {};
        }
        if (s().status != resolved) return {};
        if (c.kind == activity_kind::account_closed) {
            d.emit(bounce_back_missed{c.key, c.id, "account_closed", std::nullopt, c.at});
            escalate(d, escalation_trigger::bounce_back_missed, std::nullopt, c.key, c.at);
        } else {
            d.emit(customer_bounced_back{c.key, c.id, std::string(to_string(c.kind)), std::nullopt,
                                         c.at,
                                         c.value ? std::optional(priced(*c.value)) : std::nullopt});
        }
        return {};
    }
    result<void> operator()(const reclassify_complaint& c) const {
        if (!is_open(s().status) && s().status != resolved)
            return std::unexpected(invalid_in(s(), "reclassify"));
        if (c.category && c.category->empty())
            return std::unexpected(reject(rejection_code::invalid_argument, "category is empty"));
        if (c.team && c.team->empty())
            return std::unexpected(reject(rejection_code::invalid_argument, "team is empty"));
        const auto sev = c.sev.value_or(s().sev);
        const auto& category = c.category ? *c.category : s().category;
        const auto& product = c.product ? *c.product : s().product;
        const auto& team = c.team ? *c.team : s().team;
        if (sev == s().sev && category == s().category && product == s().product &&
            team == s().team)
            return {};  // nothing changes
        const auto* policy = book.match(s().customer.segment, sev, s().channel);
        if (policy == nullptr)
            return std::unexpected(reject(rejection_code::no_matching_policy,
                                          "no policy for segment " + s().customer.segment +
                                              ", severity " + std::string(to_string(sev)) +
                                              ", channel " + s().channel));
        const auto old_cal = calendar_for(book, *s().policy);
        if (!old_cal) return std::unexpected(old_cal.error());
        const auto new_cal = calendar_for(book, *policy);
        if (!new_cal) return std::unexpected(new_cal.error());
        auto applied = *policy;
        applied.calendar_as_applied = **new_cal;
        const auto& old = *s().policy;
        // Only running clocks move: acknowledge while received, resolve while open.
        auto ack = retargeted{s().acknowledge.warn_at, s().acknowledge.due, {}};
        if (s().status == received)
            ack = retarget(**old_cal, **new_cal, s().acknowledge, old.acknowledge,
                           policy->acknowledge, policy->warn_at, c.at);
        auto res = retargeted{s().resolve.warn_at, s().resolve.due, {}};
        if (is_open(s().status))
            res = retarget(**old_cal, **new_cal, s().resolve, old.resolve, policy->resolve,
                           policy->warn_at, s().paused_at.value_or(c.at));
        d.emit(complaint_reclassified{c.key, c.id, sev, category, product, team, c.reason,
                                      std::move(applied), ack.due, ack.warn_at, res.due,
                                      res.warn_at, ack.elapsed, res.elapsed, c.at});
        escalate(d, escalation_trigger::intake, std::nullopt, c.key, c.at);
        return {};
    }
    result<void> operator()(const record_survey& c) const {
        if (c.score < 0 || c.score > 10)
            return std::unexpected(reject(rejection_code::invalid_argument, "score must be 0..10"));
        if (s().resolved_at && c.at < *s().resolved_at) return {};
        if (window_reconciles(c.at) && c.score >= 7) {
            reconcile(c.key, sla_target::bounce_back, s().bounce_back, c.at);
            d.emit(customer_bounced_back{c.key, c.id, "survey", c.score, c.at, std::nullopt});
            return {};
        }
        if (s().status != resolved) return {};
        if (c.score >= 7) {
            d.emit(customer_bounced_back{c.key, c.id, "survey", c.score, c.at, std::nullopt});
        } else if (c.score <= 4) {
            d.emit(bounce_back_missed{c.key, c.id, "negative_survey", c.score, c.at});
            escalate(d, escalation_trigger::bounce_back_missed, std::nullopt, c.key, c.at);
        }
        return {};
    }
};

// The steps a ticket snapshot implies, each decided as if the helpdesk had sent it, in the order
// an agent takes them. An owner acknowledges a complaint still waiting for one (or takes it over
// from another); a snapshot that skips steps (solved before anyone was assigned) issues them with
// `unassigned_agent()`. A complaint that can no longer move where the ticket is (recovered or
// withdrawn, and reopened in the helpdesk) stays as it is.
result<void> sync_steps(const command_decider& run, const sync_ticket& c) {
    const auto& s = run.s();
    const auto& agent = c.owner ? *c.owner : unassigned_agent();
    result<void> r;
    const auto step = [&](const complaint_command& cmd) {
        r = std::visit(run, cmd);
        return r.has_value();
    };
    // A solved ticket the agent works on again is reopened first, so that whoever owns it now
    // takes it over.
    const bool reopens = (c.status == ticket_status::open || c.status == ticket_status::pending) &&
                         in(s.status, {resolved, lost});
    if (reopens && !step(reopen_complaint{c.key, c.id, "reopened in the helpdesk", c.at})) return r;
    if (c.owner) {
        if (s.status == received) {
            if (!step(acknowledge_complaint{c.key, c.id, *c.owner, c.at})) return r;
        } else if (is_open(s.status) && s.owner != c.owner) {
            if (!step(assign_complaint{c.key, c.id, *c.owner, c.at})) return r;
        }
    }
    switch (c.status) {
        case ticket_status::open:
            if (s.status == awaiting_customer) (void)step(record_customer_reply{c.key, c.id, c.at});
            break;
        case ticket_status::pending:
            if (s.status == received && !step(acknowledge_complaint{c.key, c.id, agent, c.at}))
                return r;
            if (in(s.status, {acknowledged, investigating, reopened}))
                (void)step(request_customer_info{c.key, c.id, c.at});
            break;
        case ticket_status::solved:
            if (s.status == received && !step(acknowledge_complaint{c.key, c.id, agent, c.at}))
                return r;
            if (in(s.status, {acknowledged, investigating, awaiting_customer, reopened}))
                (void)step(resolve_complaint{c.key, c.id, agent, c.at});
            break;
        case ticket_status::withdrawn:
            if (is_open(s.status) || s.status == resolved)
                (void)step(withdraw_complaint{c.key, c.id, "withdrawn in the helpdesk", c.at});
            break;
    }
    return r;
}

result<events> decide_sync(const policy_book& book, const complaint_state& s,
                           const sync_ticket& c) {
    decision d{s, {}};
    if (s.status == unfiled) {
        auto filing = c.filing;
        filing.key = c.key;
        filing.id = c.id;
        if (c.at < filing.at)
            return std::unexpected(reject(rejection_code::invalid_argument,
                                          "the ticket's update is before its creation"));
        const auto filed = decide_file(book, s, filing);
        if (!filed) return std::unexpected(filed.error());
        for (const auto& e : *filed) d.emit(e);
    } else if (c.at < s.last_command_at) {
        return events{};  // stale: the helpdesk already told us something newer
    } else if (c.at < s.filed_at) {
        return std::unexpected(
            reject(rejection_code::invalid_argument, "time is before the complaint was filed"));
    }
    fire_deadlines(d, c.at);
    if (const auto r = sync_steps(command_decider{book, d}, c); !r)
        return std::unexpected(r.error());
    return d.out;
}

}  // namespace

// Every command has these members (a new one without them does not compile), so one generic
// accessor serves them all.
const complaint_id& command_target(const complaint_command& c) {
    return std::visit([](const auto& cmd) -> const complaint_id& { return cmd.id; }, c);
}

const idempotency_key& command_key(const complaint_command& c) {
    return std::visit([](const auto& cmd) -> const idempotency_key& { return cmd.key; }, c);
}

instant command_time(const complaint_command& c) {
    return std::visit([](const auto& cmd) { return cmd.at; }, c);
}

namespace {

const customer_id* signal_customer(const complaint_command& c) {
    if (const auto* a = std::get_if<record_customer_activity>(&c); a && a->customer)
        return &*a->customer;
    if (const auto* v = std::get_if<record_survey>(&c); v && v->customer) return &*v->customer;
    return nullptr;
}

}  // namespace

result<events> decide(const policy_book& book, const complaint_state& s,
                      const complaint_command& c) {
    if (s.seen.contains(command_key(c))) return events{};  // redelivery: it already took effect
    if (const auto* f = std::get_if<file_complaint>(&c)) return decide_file(book, s, *f);
    if (const auto* t = std::get_if<sync_ticket>(&c)) return decide_sync(book, s, *t);
    if (s.status == complaint_status::unfiled)
        return std::unexpected(
            reject(rejection_code::unknown_complaint, "complaint was never filed"));
    // A customer's signal (activity, survey) naming another customer's complaint would count for
    // someone who never gave it.
    if (const auto* who = signal_customer(c); who && *who != s.customer.id)
        return std::unexpected(reject(
            rejection_code::invalid_argument,
            "complaint " + s.id.value() + " is not a complaint of customer " + who->value()));
    // Nothing happens to a complaint before it exists: an acknowledgement or resolution stamped
    // earlier is a clock or mapping error upstream, and applying it would meet an SLA that was
    // never met. Customer signals are facts about the customer, routed to every complaint:
    // one from before this complaint is simply not about it.
    if (command_time(c) < s.filed_at) {
        if (std::holds_alternative<record_customer_activity>(c) ||
            std::holds_alternative<record_survey>(c))
            return events{};
        return std::unexpected(
            reject(rejection_code::invalid_argument, "time is before the complaint was filed"));
    }
    // Deadlines that fell due before the command are decided first, each at its own instant.
    decision d{s, {}};
    fire_deadlines(d, command_time(c));
    const auto r = std::visit(command_decider{book, d}, c);
    if (!r) return std::unexpected(r.error());
    return d.out;
}

events decide(const complaint_state& s, const tick& t) {
    if (s.status == complaint_status::unfiled) return {};
    decision d{s, {}};
    fire_deadlines(d, t.now);
    return d.out;
}

}  // namespace bb
