#pragma once

#include <ostream>
#include <variant>

#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "domain/complaint.hpp"

namespace bb::test {

// "2026-11-20T15:00:00Z" -> instant. Throws on a typo so that a test cannot silently use 1970.
instant at(std::string_view iso);

// "12.50" (no currency) or "12.50 EUR" -> money; usd("12.50") in the fixtures' default currency
// (the book's default). Throw on a typo.
money amount(std::string_view text);
money usd(std::string_view text);

// Calendars used by the scenarios:
//   berlin-office: Europe/Berlin, Mon-Fri 09:00-17:00, holiday 2026-12-25
//   always:        UTC, 24x7
business_calendar berlin_office();
business_calendar always();

// Policies, first match wins:
//   vip-urgent  (segment vip, severity high|critical): always, ack PT15M, resolve PT4H,
//               bounce-back P14D, warn 0.8, reopen P30D; warning -> 1, breach -> 2,
//               second reopen -> 3
//   critical    (severity critical): always, ack PT1H, resolve PT8H; intake -> 1
//   standard    (anything): berlin-office, ack PT4H, resolve PT16H, bounce-back P14D,
//               reopen P30D; breach:resolve -> 1; intake for customers worth >= 5000 -> 1
policy_book book();
// A configured policy of book() as a filing records it: with its calendar as applied.
sla_policy applied_policy(std::string_view id);

file_complaint filing(std::string id, std::string customer, std::string segment, severity sev,
                      instant when, double value = 100);

// A VIP customer's high-severity complaint "c1" filed 2026-11-20 10:00 UTC on the 24x7
// vip-urgent policy: acknowledge due 10:15 (warning 10:12), resolve due 14:00 (warning 13:12).
std::vector<complaint_event> vip_filed();

// Folds events into a state, as the command service does on load.
complaint_state given(const std::vector<complaint_event>& history);

// A step of a scripted history: a command, or the scheduler's tick.
using script_step = std::variant<complaint_command, tick>;
std::string describe(const script_step& s);

// Runs the steps through decide/evolve and returns the whole log; every command must succeed.
std::vector<complaint_event> history_of(const std::vector<script_step>& steps);

// The events a command produces on top of a history; REQUIREs success.
std::vector<complaint_event> when(const std::vector<complaint_event>& history,
                                  const complaint_command& command);
// The events a tick produces on top of a history.
std::vector<complaint_event> when(const std::vector<complaint_event>& history, const tick& t);
// The rejection a command produces on top of a history; REQUIREs a rejection.
rejection rejected(const std::vector<complaint_event>& history, const complaint_command& command);

idempotency_key key(std::string k);
complaint_id cid(std::string id);
employee_id emp(std::string id);

}  // namespace bb::test

namespace Catch {
template <>
struct StringMaker<bb::complaint_event> {
    static std::string convert(const bb::complaint_event& e);
};
template <>
struct StringMaker<bb::rejection> {
    static std::string convert(const bb::rejection& r);
};
}  // namespace Catch
