#include "app/demo.hpp"

#include <map>
#include <sstream>

#include <date/date.h>
#include <date/tz.h>

#include "domain/complaint.hpp"
#include "infra/iso8601.hpp"

namespace bb::app {
namespace {

using namespace std::chrono_literals;

instant utc(const char* iso) {
    return iso8601::parse_instant(iso).value();
}

policy_book demo_book() {
    policy_book b;
    business_calendar office{.id = "berlin-office",
                             .zone = date::locate_zone("Europe/Berlin"),
                             .weekly = {},
                             .holidays = {date::local_days{date::year{2026} / 12 / 25}}};
    for (int wd = 1; wd <= 5; ++wd) office.weekly[wd] = {opening_hours{9h, 17h}};
    b.calendars.emplace("berlin-office", office);
    b.calendars.emplace("always", business_calendar::always_open("always"));
    using enum escalation_trigger;
    b.policies.push_back(sla_policy{.id = "vip-urgent",
                                    .version = 1,
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
                                                   {breach, std::nullopt, 2, std::nullopt}},
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
                                    .escalation = {{breach, sla_target::resolve, 1, std::nullopt}},
                                    .max_level = 3});
    return b;
}

file_complaint file(const char* id, const char* customer, const char* segment, severity sev,
                    const char* when, const char* category) {
    return file_complaint{idempotency_key{std::string("demo:file-") + id},
                          complaint_id{id},
                          customer_ref{customer_id{customer}, segment, 1200},
                          sev,
                          "email",
                          category,
                          "card",
                          "support-emea",
                          "demo complaint",
                          utc(when)};
}

}  // namespace

int run_demo(std::ostream& out) {
    const auto book = demo_book();
    auto k = [n = 0]() mutable { return idempotency_key{"demo:" + std::to_string(++n)}; };
    const std::vector<complaint_command> script = {
        // A VIP complaint handled fast: acknowledged, resolved, and the customer buys again.
        file("c-100", "cust-vip", "vip", severity::high, "2026-11-20T10:00:00Z", "billing"),
        acknowledge_complaint{k(), complaint_id{"c-100"}, employee_id{"ana"},
                              utc("2026-11-20T10:05:00Z")},
        resolve_complaint{k(), complaint_id{"c-100"}, employee_id{"ana"},
                          utc("2026-11-20T12:00:00Z")},
        record_customer_activity{k(), complaint_id{"c-100"}, activity_kind::purchase, 80.0,
                                 utc("2026-11-27T09:00:00Z")},
        // A standard complaint filed Friday 16:00 Berlin, nobody picks it up until Tuesday.
        file("c-200", "cust-std", "standard", severity::medium, "2026-11-20T15:00:00Z", "delivery"),
        tick{utc("2026-11-24T16:00:00Z")},
        acknowledge_complaint{k(), complaint_id{"c-200"}, employee_id{"bo"},
                              utc("2026-11-24T16:30:00Z")},
        resolve_complaint{k(), complaint_id{"c-200"}, employee_id{"bo"},
                          utc("2026-11-25T10:00:00Z")},
        // ... and the customer never comes back.
        tick{utc("2026-12-10T00:00:00Z")},
    };

    std::map<std::string, complaint_state> states;
    for (const auto& cmd : script) {
        const auto id = std::visit(overloaded{[](const tick&) { return std::string{}; },
                                              [](const auto& c) { return c.id.value(); }},
                                   cmd);
        std::vector<std::string> targets;
        if (id.empty())
            for (const auto& [cid, _] : states) targets.push_back(cid);
        else
            targets.push_back(id);
        for (const auto& target : targets) {
            auto& state = states[target];
            const auto decided = decide(book, state, cmd);
            if (!decided) {
                out << "  rejected " << cmd << ": " << decided.error() << '\n';
                continue;
            }
            for (const auto& e : *decided) {
                out << "  " << e << '\n';
                state = evolve(std::move(state), e);
            }
        }
    }
    out << "\nSLA outcomes:\n";
    for (const auto& [id, s] : states) {
        out << "  " << id << " (" << s.policy.id << "): status=" << s.status << ", acknowledge "
            << (s.acknowledge.breached ? "BREACHED" : "met") << ", resolve "
            << (s.resolve.breached ? "BREACHED" : "met") << ", bounce-back "
            << (s.status == complaint_status::recovered ? "recovered"
                : s.status == complaint_status::lost    ? "LOST"
                                                        : "pending")
            << ", escalation level " << s.escalation_level << '\n';
    }
    return 0;
}

}  // namespace bb::app
