#include "app/demo.hpp"

#include <map>
#include <sstream>

#include <date/date.h>
#include <date/tz.h>

#include "domain/complaint.hpp"
#include "domain/overloaded.hpp"
#include "infra/config/config.hpp"
#include "infra/iso8601.hpp"

namespace bb::app {
namespace {

using namespace std::chrono_literals;

instant utc(const char* iso) {
    return iso8601::parse_instant(iso).value();
}

// The demo's policies, in the configuration format a user writes (docs/configuration.md).
constexpr const char* demo_config = R"yaml(
calendars:
  berlin-office:
    time_zone: Europe/Berlin
    hours: { mon: ["09:00","17:00"], tue: ["09:00","17:00"], wed: ["09:00","17:00"],
             thu: ["09:00","17:00"], fri: ["09:00","17:00"] }
    holidays: ["2026-12-25"]
  always: { time_zone: UTC, hours: all }
policies:
  - id: vip-urgent
    match: { segment: [vip], severity: [high, critical] }
    calendar: always
    acknowledge: PT15M
    resolve: PT4H
    escalation: [ { on: warning, to_level: 1 }, { on: breach, to_level: 2 } ]
  - id: standard
    calendar: berlin-office
    acknowledge: PT4H
    resolve: PT16H
    escalation: [ { on: breach, target: resolve, to_level: 1 } ]
)yaml";

file_complaint file(const char* id, const char* customer, const char* segment, severity sev,
                    const char* when, const char* category) {
    return file_complaint{idempotency_key{std::string("demo:file-") + id},
                          complaint_id{id},
                          customer_ref{customer_id{customer}, segment, *parse_money("1200")},
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
    const auto cfg = load_config(demo_config);
    if (!cfg) {
        out << "demo configuration: " << cfg.error() << '\n';
        return 1;
    }
    const auto& book = cfg->book;
    auto k = [n = 0]() mutable { return idempotency_key{"demo:" + std::to_string(++n)}; };
    // The demo's story: commands, and the scheduler's ticks that fire every complaint's deadlines.
    const std::vector<std::variant<complaint_command, tick>> script = {
        // A VIP complaint handled fast: acknowledged, resolved, and the customer buys again.
        file("c-100", "cust-vip", "vip", severity::high, "2026-11-20T10:00:00Z", "billing"),
        acknowledge_complaint{k(), complaint_id{"c-100"}, employee_id{"ana"},
                              utc("2026-11-20T10:05:00Z")},
        resolve_complaint{k(), complaint_id{"c-100"}, employee_id{"ana"},
                          utc("2026-11-20T12:00:00Z")},
        record_customer_activity{k(), complaint_id{"c-100"}, activity_kind::purchase,
                                 parse_money("80"), utc("2026-11-27T09:00:00Z")},
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
    const auto apply = [&](complaint_state& state, const std::vector<complaint_event>& events) {
        for (const auto& e : events) {
            out << "  " << e << '\n';
            state = evolve(std::move(state), e);
        }
    };
    for (const auto& step : script) {
        std::visit(overloaded{[&](const complaint_command& cmd) {
                                  auto& state = states[command_target(cmd).value()];
                                  const auto decided = decide(book, state, cmd);
                                  if (!decided)
                                      out << "  rejected " << cmd << ": " << decided.error()
                                          << '\n';
                                  else
                                      apply(state, *decided);
                              },
                              [&](const tick& t) {
                                  for (auto& [id, state] : states) apply(state, decide(state, t));
                              }},
                   step);
    }
    out << "\nSLA outcomes:\n";
    for (const auto& [id, s] : states) {
        out << "  " << id << " (" << s.policy->id << "): status=" << s.status << ", acknowledge "
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
