#pragma once

#include <algorithm>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/money.hpp"
#include "domain/named_type.hpp"
#include "domain/overloaded.hpp"
#include "domain/policy.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

namespace bb {

struct customer_ref {
    customer_id id;
    std::string segment = "standard";
    money value;  // lifetime value
    bool operator==(const customer_ref&) const = default;
};

enum class activity_kind { purchase, visit, renewal, account_closed };
std::string_view to_string(activity_kind k);
std::optional<activity_kind> parse_activity_kind(std::string_view s);

// ---------------------------------------------------------------------------------------------
// Commands. Each carries the idempotency key of the message that caused it and the instant it
// took effect; the domain never reads a clock.

struct file_complaint {
    idempotency_key key;
    complaint_id id;
    customer_ref customer;
    severity sev = severity::medium;
    std::string channel, category, product, team, summary;
    instant at;
    bool operator==(const file_complaint&) const = default;
};
struct acknowledge_complaint {
    idempotency_key key;
    complaint_id id;
    employee_id employee;
    instant at;
    bool operator==(const acknowledge_complaint&) const = default;
};
struct assign_complaint {
    idempotency_key key;
    complaint_id id;
    employee_id employee;
    instant at;
    bool operator==(const assign_complaint&) const = default;
};
struct request_customer_info {
    idempotency_key key;
    complaint_id id;
    instant at;
    bool operator==(const request_customer_info&) const = default;
};
struct record_customer_reply {
    idempotency_key key;
    complaint_id id;
    instant at;
    bool operator==(const record_customer_reply&) const = default;
};
struct record_root_cause {
    idempotency_key key;
    complaint_id id;
    std::string category;
    std::optional<employee_id> employee;
    instant at;
    std::optional<std::string> detail;  // finer than the category (CFPB's Sub-issue)
    bool operator==(const record_root_cause&) const = default;
};
struct offer_recovery {
    idempotency_key key;
    complaint_id id;
    std::string action;
    money value;
    instant at;
    bool operator==(const offer_recovery&) const = default;
};
struct resolve_complaint {
    idempotency_key key;
    complaint_id id;
    employee_id employee;
    instant at;
    bool operator==(const resolve_complaint&) const = default;
};
struct reopen_complaint {
    idempotency_key key;
    complaint_id id;
    std::string reason;
    instant at;
    bool operator==(const reopen_complaint&) const = default;
};
struct request_escalation {
    idempotency_key key;
    complaint_id id;
    std::string reason;
    instant at;
    bool operator==(const request_escalation&) const = default;
};
struct withdraw_complaint {
    idempotency_key key;
    complaint_id id;
    std::string reason;
    instant at;
    bool operator==(const withdraw_complaint&) const = default;
};
struct record_customer_activity {
    idempotency_key key;
    complaint_id id;
    activity_kind kind = activity_kind::purchase;
    std::optional<money> value;
    instant at;
    // The customer whose signal it is, when known: a signal is about that customer's complaints
    // only (see decide).
    std::optional<customer_id> customer{};
    bool operator==(const record_customer_activity&) const = default;
};
struct record_survey {
    idempotency_key key;
    complaint_id id;
    int score = 0;
    instant at;
    std::optional<customer_id> customer{};  // as for record_customer_activity
    bool operator==(const record_survey&) const = default;
};
// The complaint classified anew after filing: severity, category, team or product (each
// optional: what is not given stays). The policy is matched again and the running clocks take
// the new targets, the business time already consumed counting against them (see decide).
struct reclassify_complaint {
    idempotency_key key;
    complaint_id id;
    std::optional<severity> sev;
    std::optional<std::string> category, team, product;
    std::string reason;
    instant at;
    bool operator==(const reclassify_complaint&) const = default;
};
// Where a helpdesk's ticket stands (docs/integrations.md maps each helpdesk's states onto these).
enum class ticket_status { open, pending, solved, withdrawn };
std::string_view to_string(ticket_status s);
std::optional<ticket_status> parse_ticket_status(std::string_view s);
// A helpdesk's ticket as it is now. Helpdesks send snapshots, not our commands: decide compares
// the snapshot with the complaint and issues the steps that happened since (filing, acknowledging
// or assigning, pausing for the customer, resuming, resolving, reopening, withdrawing), all
// stamped with the snapshot's instant, except the filing, which keeps the ticket's creation.
struct sync_ticket {
    idempotency_key key;
    complaint_id id;
    file_complaint filing;  // used when the complaint does not exist yet
    ticket_status status = ticket_status::open;
    std::optional<employee_id> owner;  // the agent the ticket is assigned to
    instant at;                        // when the helpdesk last changed the ticket
    bool operator==(const sync_ticket&) const = default;
};
// The employee id for steps whose ticket names no agent (solved while unassigned).
inline const employee_id& unassigned_agent() {
    static const employee_id none{"unassigned"};
    return none;
}
// What someone asks of a complaint. Every command names its complaint, carries its idempotency
// key and says when it happened.
using complaint_command =
    std::variant<file_complaint, acknowledge_complaint, assign_complaint, request_customer_info,
                 record_customer_reply, record_root_cause, offer_recovery, resolve_complaint,
                 reopen_complaint, request_escalation, withdraw_complaint, record_customer_activity,
                 record_survey, sync_ticket, reclassify_complaint>;

// Issued by the deadline scheduler, not by anyone: decide every deadline of the complaint that
// fell due up to `now`. No key (a tick repeated finds nothing left to fire) and no rejection.
struct tick {
    instant now{};
    bool operator==(const tick&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Events: the storage contract. Never rename a type or a field; add optional fields instead.
// `key` is empty for events decided by a tick.

struct complaint_filed {
    idempotency_key key;
    complaint_id id;
    customer_ref customer;
    severity sev = severity::medium;
    std::string channel, category, product, team, summary;
    sla_policy policy;  // the policy as applied, so later config changes never rewrite history
    instant acknowledge_due, resolve_due;
    instant acknowledge_warn_at, resolve_warn_at;
    instant at;
    bool operator==(const complaint_filed&) const = default;
};
struct complaint_acknowledged {
    idempotency_key key;
    complaint_id id;
    employee_id employee;
    instant at;
    bool operator==(const complaint_acknowledged&) const = default;
};
struct complaint_assigned {
    idempotency_key key;
    complaint_id id;
    employee_id employee;
    instant at;
    bool operator==(const complaint_assigned&) const = default;
};
// Pauses the resolve clock.
struct customer_info_requested {
    idempotency_key key;
    complaint_id id;
    instant at;
    bool operator==(const customer_info_requested&) const = default;
};
// Resumes the resolve clock; carries the due instants moved by the pause.
struct customer_replied {
    idempotency_key key;
    complaint_id id;
    instant at;
    instant resolve_due;
    instant resolve_warn_at;
    bool operator==(const customer_replied&) const = default;
};
struct root_cause_found {
    idempotency_key key;
    complaint_id id;
    std::string category;
    std::optional<employee_id> employee;
    instant at;
    std::optional<std::string> detail;
    bool operator==(const root_cause_found&) const = default;
};
struct recovery_offered {
    idempotency_key key;
    complaint_id id;
    std::string action;
    money value;
    instant at;
    bool operator==(const recovery_offered&) const = default;
};
struct complaint_resolved {
    idempotency_key key;
    complaint_id id;
    employee_id employee;
    instant at;
    instant bounce_back_due;
    instant bounce_back_warn_at;
    bool operator==(const complaint_resolved&) const = default;
};
struct complaint_reopened {
    idempotency_key key;
    complaint_id id;
    std::string reason;
    int reopen_count = 0;
    instant at;
    instant resolve_due;
    instant resolve_warn_at;
    bool operator==(const complaint_reopened&) const = default;
};
struct complaint_withdrawn {
    idempotency_key key;
    complaint_id id;
    std::string reason;
    instant at;
    bool operator==(const complaint_withdrawn&) const = default;
};
// `at` is the warning instant, `due_at` the target's due instant.
struct sla_warning_raised {
    idempotency_key key;
    complaint_id id;
    sla_target target;
    instant due_at;
    instant at;
    bool operator==(const sla_warning_raised&) const = default;
};
// `at` is the due instant, never the moment a timer happened to fire.
struct sla_breached {
    idempotency_key key;
    complaint_id id;
    sla_target target;
    instant due_at;
    instant at;
    bool operator==(const sla_breached&) const = default;
};
struct complaint_escalated {
    idempotency_key key;
    complaint_id id;
    int from_level = 0;
    int to_level = 0;
    std::string reason;
    instant at;
    bool operator==(const complaint_escalated&) const = default;
};
struct customer_bounced_back {
    idempotency_key key;
    complaint_id id;
    std::string signal;  // purchase|visit|renewal|survey
    std::optional<int> score;
    instant at;
    std::optional<money> value;  // what the customer spent coming back (the activity's value)
    bool operator==(const customer_bounced_back&) const = default;
};
struct bounce_back_missed {
    idempotency_key key;
    complaint_id id;
    std::string reason;  // window_elapsed|account_closed|negative_survey
    std::optional<int> score;
    instant at;
    bool operator==(const bounce_back_missed&) const = default;
};

// A complaint classified anew: its severity, category, product and team now, the policy
// matched again (as applied, with its calendar), and the due and warning instants of the clocks
// that were running and had not breached (a clock that was not running keeps its instants).
// `*_elapsed` is the business time the old target had consumed when it changed: it counts
// against the new target, so a reclassification neither restarts a clock nor forgives time.
// Escalation levels never go down (an intake rule of the new policy may raise one).
struct complaint_reclassified {
    idempotency_key key;
    complaint_id id;
    severity sev = severity::medium;
    std::string category, product, team, reason;
    sla_policy policy;
    instant acknowledge_due, acknowledge_warn_at, resolve_due, resolve_warn_at;
    duration acknowledge_elapsed{}, resolve_elapsed{};
    instant at;
    bool operator==(const complaint_reclassified&) const = default;
};

// A fact that arrived after the deadline event it contradicts: an acknowledgement or resolution
// stamped before the due instant, recorded after the breach was; a customer coming back within
// the window, recorded after the window was declared missed. History is never rewritten: the
// breach (or miss) and what it escalated stay in the log, and this event says the SLA was met
// after all; reports count it as met. `at` is the late fact's instant, `due_at` the target's.
struct sla_reconciled {
    idempotency_key key;  // the late command's
    complaint_id id;
    sla_target target;
    instant due_at;
    instant at;
    bool operator==(const sla_reconciled&) const = default;
};

using complaint_event =
    std::variant<complaint_filed, complaint_acknowledged, complaint_assigned,
                 customer_info_requested, customer_replied, root_cause_found, recovery_offered,
                 complaint_resolved, complaint_reopened, complaint_withdrawn, sla_warning_raised,
                 sla_breached, complaint_escalated, customer_bounced_back, bounce_back_missed,
                 sla_reconciled, complaint_reclassified>;

// The stored type name of an event ("ComplaintFiled", ...): part of the storage contract.
std::string_view event_type_name(const complaint_event& e);
instant event_time(const complaint_event& e);
const idempotency_key& event_key(const complaint_event& e);

// ---------------------------------------------------------------------------------------------
// State

enum class complaint_status {
    unfiled,
    received,
    acknowledged,
    investigating,
    awaiting_customer,
    resolved,
    recovered,
    lost,
    reopened,
    withdrawn,
};
std::string_view to_string(complaint_status s);

struct sla_clock {
    instant warn_at{};
    instant due{};
    bool warned = false;
    bool breached = false;
    bool operator==(const sla_clock&) const = default;
};

// The idempotency keys of commands that took effect, as a sorted vector: a complaint sees a
// handful, and a std::set node per key cost more than the key.
class key_set {
  public:
    bool contains(const idempotency_key& k) const {
        return std::binary_search(keys_.begin(), keys_.end(), k);
    }
    void insert(idempotency_key k) {
        const auto at = std::lower_bound(keys_.begin(), keys_.end(), k);
        if (at == keys_.end() || *at != k) keys_.insert(at, std::move(k));
    }
    void clear() { keys_ = {}; }
    bool empty() const { return keys_.empty(); }
    auto begin() const { return keys_.begin(); }
    auto end() const { return keys_.end(); }
    bool operator==(const key_set&) const = default;

  private:
    std::vector<idempotency_key> keys_;
};

struct complaint_state {
    complaint_status status = complaint_status::unfiled;
    complaint_id id;
    customer_ref customer;
    severity sev = severity::medium;
    std::string channel, category, product, team;
    policy_ref policy;
    std::optional<employee_id> owner;
    instant filed_at{};
    std::optional<instant> acknowledged_at, resolved_at, paused_at;
    sla_clock acknowledge, resolve, bounce_back;
    int escalation_level = 0;
    int reopen_count = 0;
    // Lost because the bounce-back window elapsed (not a closed account or a bad survey): a
    // purchase from within the window that arrives later reconciles it.
    bool lost_by_window = false;
    key_set seen;  // idempotency keys of commands that took effect
    // The latest instant of an event a command caused (not a deadline): a helpdesk snapshot
    // older than this is stale (delivered out of order) and changes nothing. Kept, like `seen`,
    // by evolve only: read models never decide.
    instant last_command_at{};
    bool operator==(const complaint_state&) const = default;
};

complaint_state initial_complaint_state();
bool is_open(complaint_status s);  // still owes the customer a resolution
// Recovered, lost or withdrawn: the story is told; no deadline is left and no customer signal
// changes it (only a reopen of a lost complaint does). Most of history is settled.
bool is_settled(complaint_status s);

// A deadline the complaint still has to meet: a warning or a breach of one clock.
struct deadline {
    sla_target target;
    bool breach = false;
    instant at;      // when it fires
    instant due_at;  // the target's due instant
    bool operator==(const deadline&) const = default;
};
std::vector<deadline> pending_deadlines(const complaint_state& s);  // sorted by `at`
std::optional<instant> next_deadline(const complaint_state& s);

result<std::vector<complaint_event>> decide(const policy_book& book, const complaint_state& s,
                                            const complaint_command& c);
// The warnings, breaches and escalations due by the tick; none for a complaint never filed.
std::vector<complaint_event> decide(const complaint_state& s, const tick& t);
// The complaint a command is about, its idempotency key, and when it happened.
const complaint_id& command_target(const complaint_command& c);
const idempotency_key& command_key(const complaint_command& c);
instant command_time(const complaint_command& c);
complaint_state evolve(complaint_state s, const complaint_event& e);
// evolve in place and without remembering the event's idempotency key (`seen`): for read models,
// which never decide, and fold every event of the log: a copy per event would be most of a replay.
void evolve_facts(complaint_state& s, const complaint_event& e);

std::ostream& operator<<(std::ostream& os, const complaint_event& e);
std::ostream& operator<<(std::ostream& os, const complaint_command& c);
std::ostream& operator<<(std::ostream& os, const tick& t);
std::ostream& operator<<(std::ostream& os, complaint_status s);

}  // namespace bb
