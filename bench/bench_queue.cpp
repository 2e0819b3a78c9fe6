// The work queue (GET /v1/complaints) at a million complaints: the projection's cost for a first
// page and a later one, unfiltered and filtered, in microseconds (p50 / p99 over many queries).
// The read model is built directly (rows, not a replay): 35% open, 5% resolved and waiting for
// their bounce-back, 60% settled (frozen, as the read side keeps them).
// docs/benchmarks.md, "Work queue", has the numbers and the command.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "projections/work_queue.hpp"

using namespace bb;
using namespace bb::projection;

namespace {

read_model build(std::size_t n) {
    read_model m;
    std::mt19937_64 rng(42);
    const auto base = instant{std::chrono::seconds{1'796'000'000}};
    const std::vector<std::string> segments = {"vip", "standard", "smb"};
    for (std::size_t i = 0; i < n; ++i) {
        complaint_row row;
        auto& s = row.state;
        s.id = complaint_id{"c-" + std::to_string(i)};
        s.customer.id = customer_id{"cust-" + std::to_string(rng() % (n / 3 + 1))};
        s.customer.segment = segments[rng() % segments.size()];
        s.customer.value = money{static_cast<std::int64_t>(rng() % 100'000) * 10'000};
        s.sev = static_cast<severity>(rng() % 4);
        s.team = "team-" + std::to_string(rng() % 20);
        s.category = "cat-" + std::to_string(rng() % 12);
        s.channel = "email";
        s.product = "card";
        s.filed_at = base - std::chrono::seconds(rng() % (365 * 86400));
        s.acknowledge.due = s.filed_at + std::chrono::hours(4);
        s.resolve.due = s.filed_at + std::chrono::hours(72);
        s.bounce_back.due = s.filed_at + std::chrono::days(30);
        s.escalation_level = static_cast<int>(rng() % 3);
        const auto kind = rng() % 100;
        if (kind < 15) {
            s.status = complaint_status::received;
        } else if (kind < 35) {
            s.status = complaint_status::investigating;
            s.acknowledged_at = s.filed_at + std::chrono::hours(1);
            s.owner = employee_id{"emp-" + std::to_string(rng() % 200)};
        } else if (kind < 40) {
            s.status = complaint_status::resolved;
            s.acknowledged_at = s.filed_at + std::chrono::hours(1);
            s.resolved_at = s.filed_at + std::chrono::hours(20);
            s.owner = employee_id{"emp-" + std::to_string(rng() % 200)};
        } else {
            s.status = kind < 80 ? complaint_status::recovered : complaint_status::lost;
            s.acknowledged_at = s.filed_at + std::chrono::hours(1);
            s.resolved_at = s.filed_at + std::chrono::hours(20);
            s.owner = employee_id{"emp-" + std::to_string(rng() % 200)};
        }
        s.resolve.breached = rng() % 10 == 0;
        auto id = s.id.value();
        m.complaints.emplace(std::move(id), std::move(row));
    }
    return m;
}

struct timing {
    double p50 = 0, p99 = 0;
    std::size_t items = 0, matched = 0;
};

timing measure(const read_model& m, const queue_query& q, int runs) {
    std::vector<double> us;
    queue_page last;
    for (int i = 0; i < runs; ++i) {
        const auto started = std::chrono::steady_clock::now();
        last = work_queue(m, q);
        us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
                .count());
    }
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)], last.items.size(),
            last.matched};
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
    const int runs = argc > 2 ? std::stoi(argv[2]) : 200;
    const auto built = std::chrono::steady_clock::now();
    const auto m = build(n);
    std::printf("%zu complaints (%zu frozen) built in %.1f s\n", m.complaints.size(),
                m.complaints.frozen(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - built).count());
    queue_query open_due;  // the default: unsettled, nearest due first
    queue_query filtered;
    filtered.filter.base.team = "team-3";
    filtered.filter.base.sev = severity::high;
    filtered.sort = queue_sort::value;
    filtered.descending = true;
    queue_query breached;
    breached.filter.breached = true;
    queue_query settled;  // history: frozen rows thawed to be read
    settled.filter.statuses = {complaint_status::lost};
    settled.filter.base.team = "team-3";
    settled.sort = queue_sort::filed;
    settled.descending = true;
    queue_query nobody;  // matches nothing: the cost of visiting the open rows alone
    nobody.filter.customer = "nobody";
    auto second = open_due;
    second.after = work_queue(m, open_due).next;
    const std::vector<std::pair<const char*, const queue_query*>> cases = {
        {"open, a customer who has none (the visit alone)", &nobody},
        {"open, nearest due first (default)", &open_due},
        {"open, team + severity, by value", &filtered},
        {"open, breached", &breached},
        {"the default's second page (cursor)", &second},
        {"lost (settled history), team, newest first", &settled}};
    std::printf("| query | items / matched | p50 µs | p99 µs |\n| --- | --- | --- | --- |\n");
    for (const auto& [name, q] : cases) {
        const auto t = measure(m, *q, runs);
        std::printf("| %s | %zu / %zu | %.0f | %.0f |\n", name, t.items, t.matched, t.p50, t.p99);
    }
}
