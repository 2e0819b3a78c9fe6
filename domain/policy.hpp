#pragma once

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "domain/calendar.hpp"
#include "domain/money.hpp"
#include "domain/time.hpp"

namespace bb {

enum class severity { low, medium, high, critical };
enum class sla_target { acknowledge, resolve, bounce_back };
enum class escalation_trigger { intake, warning, breach, reopen, bounce_back_missed, manual };

std::string_view to_string(severity s);
std::string_view to_string(sla_target t);
std::string_view to_string(escalation_trigger t);
std::optional<severity> parse_severity(std::string_view s);
std::optional<sla_target> parse_sla_target(std::string_view s);
std::optional<escalation_trigger> parse_escalation_trigger(std::string_view s);
std::ostream& operator<<(std::ostream& os, severity s);
std::ostream& operator<<(std::ostream& os, sla_target t);
std::ostream& operator<<(std::ostream& os, escalation_trigger t);

struct escalation_rule {
    escalation_trigger on;
    std::optional<sla_target> target;  // only for warning / breach: which clock
    int to_level = 1;
    std::optional<money> min_customer_value;  // only for intake: high-value customers
    bool operator==(const escalation_rule&) const = default;
};

// Empty lists match anything.
struct policy_match {
    std::vector<std::string> segments;
    std::vector<severity> severities;
    std::vector<std::string> channels;
    bool operator==(const policy_match&) const = default;
};

struct sla_policy {
    std::string id;
    int version = 1;
    policy_match match;
    std::string calendar;
    duration acknowledge{0};
    duration resolve{0};
    duration bounce_back{0};  // calendar time, not business time
    duration reopen_within{0};
    double warn_at = 0.8;
    std::vector<escalation_rule> escalation;
    int max_level = 3;  // agent -> team lead -> manager -> customer officer
    // The calendar as it was when a complaint was filed under the policy (its hours, holidays and
    // zone): editing or deleting the configured calendar later moves no due instant of that
    // complaint. Absent in the configuration and in events stored before it was recorded (then
    // the calendar named `calendar` is looked up, as it was).
    std::optional<business_calendar> calendar_as_applied{};
    bool operator==(const sla_policy&) const = default;
};

// A policy as applied to a complaint, immutable and shared: the complaints filed under one
// policy version can all hold the same one (see policy_pool) instead of a copy each.
class policy_ref {
  public:
    policy_ref();  // the default policy
    explicit policy_ref(sla_policy p);
    const sla_policy& operator*() const { return *p_; }
    const sla_policy* operator->() const { return p_.get(); }
    bool shares(const policy_ref& o) const { return p_ == o.p_; }
    bool operator==(const policy_ref& o) const { return p_ == o.p_ || *p_ == *o.p_; }

  private:
    std::shared_ptr<const sla_policy> p_;
};

// Hands out one policy_ref per distinct policy. Holders of many states (the read model) pass
// each filing's policy through it. A pool is a cache, not part of its holder's value: any two
// pools compare equal.
class policy_pool {
  public:
    policy_ref intern(const policy_ref& p);
    bool operator==(const policy_pool&) const { return true; }

  private:
    std::vector<policy_ref> known_;
};

// The configured policies (first match wins) and the calendars they refer to.
struct policy_book {
    std::vector<sla_policy> policies;
    std::map<std::string, business_calendar> calendars;
    // The currency of amounts that name none (config `default_currency`): decide stamps it on
    // the events it records, so each stored amount says its currency.
    currency default_currency = *currency::parse("USD");

    const sla_policy* match(std::string_view segment, severity sev, std::string_view channel) const;
    const business_calendar* calendar(const std::string& id) const;
};

// The part of a target at which the warning fires, in whole seconds.
duration warning_offset(duration target, double warn_at);

}  // namespace bb
