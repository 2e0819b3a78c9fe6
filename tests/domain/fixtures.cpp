#include "tests/domain/fixtures.hpp"

#include <sstream>
#include <stdexcept>

#include <date/tz.h>
#include "infra/iso8601.hpp"

namespace bb::test {

using namespace std::chrono_literals;

instant at(std::string_view iso) {
    const auto t = iso8601::parse_instant(iso);
    if (!t) throw std::invalid_argument("bad test instant: " + std::string(iso));
    return *t;
}

money amount(std::string_view text) {
    const auto m = parse_money(text);
    if (!m) throw std::invalid_argument("not an amount: " + std::string(text));
    return *m;
}

money usd(std::string_view text) {
    auto m = amount(text);
    m.cur = *currency::parse("USD");
    return m;
}

business_calendar berlin_office() {
    business_calendar cal{.id = "berlin-office",
                          .zone = date::locate_zone("Europe/Berlin"),
                          .weekly = {},
                          .holidays = {}};
    for (int wd = 1; wd <= 5; ++wd) cal.weekly[wd] = {opening_hours{9h, 17h}};
    cal.holidays.insert(date::local_days{date::year{2026} / 12 / 25});
    return cal;
}

business_calendar always() {
    return business_calendar::always_open("always");
}

policy_book book() {
    policy_book b;
    b.calendars.emplace("berlin-office", berlin_office());
    b.calendars.emplace("always", always());
    using enum escalation_trigger;
    b.policies.push_back(sla_policy{.id = "vip-urgent",
                                    .version = 3,
                                    .match = {.segments = {"vip"},
                                              .severities = {severity::high, severity::critical},
                                              .channels = {}},
                                    .calendar = "always",
                                    .acknowledge = 15min,
                                    .resolve = 4h,
                                    .bounce_back = 14 * 24h,
                                    .reopen_within = 30 * 24h,
                                    .warn_at = 0.8,
                                    .escalation = {{warning, std::nullopt, 1, std::nullopt},
                                                   {breach, std::nullopt, 2, std::nullopt},
                                                   {reopen, std::nullopt, 3, std::nullopt}},
                                    .max_level = 3});
    b.policies.push_back(
        sla_policy{.id = "critical",
                   .version = 1,
                   .match = {.segments = {}, .severities = {severity::critical}, .channels = {}},
                   .calendar = "always",
                   .acknowledge = 1h,
                   .resolve = 8h,
                   .bounce_back = 14 * 24h,
                   .reopen_within = 30 * 24h,
                   .warn_at = 0.8,
                   .escalation = {{intake, std::nullopt, 1, std::nullopt}},
                   .max_level = 3});
    b.policies.push_back(sla_policy{.id = "standard",
                                    .version = 1,
                                    .match = {},
                                    .calendar = "berlin-office",
                                    .acknowledge = 4h,
                                    .resolve = 16h,
                                    .bounce_back = 14 * 24h,
                                    .reopen_within = 30 * 24h,
                                    .warn_at = 0.8,
                                    .escalation = {{breach, sla_target::resolve, 1, std::nullopt},
                                                   {intake, std::nullopt, 1, usd("5000")}},
                                    .max_level = 3});
    return b;
}

sla_policy applied_policy(std::string_view id) {
    static const auto b = book();
    for (const auto& p : b.policies)
        if (p.id == id) {
            auto applied = p;
            applied.calendar_as_applied = *b.calendar(p.calendar);
            return applied;
        }
    throw std::logic_error("no such policy");
}

file_complaint filing(std::string id, std::string customer, std::string segment, severity sev,
                      instant when, double value) {
    return file_complaint{key("helpdesk:" + id),
                          complaint_id{id},
                          customer_ref{customer_id{std::move(customer)}, std::move(segment),
                                       money{*amount_from_double(value), *currency::parse("USD")}},
                          sev,
                          "email",
                          "billing",
                          "card",
                          "support-emea",
                          "charged twice",
                          when};
}

std::vector<complaint_event> vip_filed() {
    return history_of({filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z"))});
}

complaint_state given(const std::vector<complaint_event>& history) {
    auto s = initial_complaint_state();
    for (const auto& e : history) s = evolve(std::move(s), e);
    return s;
}

std::string describe(const script_step& s) {
    std::ostringstream os;
    std::visit([&](const auto& step) { os << step; }, s);
    return os.str();
}

std::vector<complaint_event> history_of(const std::vector<script_step>& steps) {
    const auto b = book();
    std::vector<complaint_event> log;
    auto s = initial_complaint_state();
    for (const auto& step : steps) {
        INFO("step: " << describe(step));
        std::vector<complaint_event> decided;
        if (const auto* c = std::get_if<complaint_command>(&step)) {
            const auto r = decide(b, s, *c);
            REQUIRE(r.has_value());
            decided = *r;
        } else {
            decided = decide(s, std::get<tick>(step));
        }
        for (const auto& e : decided) {
            s = evolve(std::move(s), e);
            log.push_back(e);
        }
    }
    return log;
}

std::vector<complaint_event> when(const std::vector<complaint_event>& history, const tick& t) {
    return decide(given(history), t);
}

std::vector<complaint_event> when(const std::vector<complaint_event>& history,
                                  const complaint_command& command) {
    const auto r = decide(book(), given(history), command);
    INFO("command: " << command);
    if (!r) INFO("rejected: " << r.error());
    REQUIRE(r.has_value());
    return *r;
}

rejection rejected(const std::vector<complaint_event>& history, const complaint_command& command) {
    const auto r = decide(book(), given(history), command);
    INFO("command: " << command);
    REQUIRE_FALSE(r.has_value());
    return r.error();
}

idempotency_key key(std::string k) {
    return idempotency_key{std::move(k)};
}
complaint_id cid(std::string id) {
    return complaint_id{std::move(id)};
}
employee_id emp(std::string id) {
    return employee_id{std::move(id)};
}

}  // namespace bb::test

namespace Catch {
std::string StringMaker<bb::complaint_event>::convert(const bb::complaint_event& e) {
    std::ostringstream os;
    os << e;
    return os.str();
}
std::string StringMaker<bb::rejection>::convert(const bb::rejection& r) {
    std::ostringstream os;
    os << r;
    return os.str();
}
}  // namespace Catch
