#include "handlers/simulator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <numbers>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <tuple>

#include "infra/iso8601.hpp"

namespace bb {

namespace {

using nlohmann::json;

// Root causes are Pareto-shaped in real support data: a few categories make most complaints.
constexpr std::array<std::pair<const char*, double>, 8> categories = {{{"billing", 0.30},
                                                                       {"delivery", 0.22},
                                                                       {"quality", 0.15},
                                                                       {"staff_attitude", 0.10},
                                                                       {"app_outage", 0.08},
                                                                       {"refund", 0.07},
                                                                       {"fraud", 0.05},
                                                                       {"other", 0.03}}};
constexpr std::array<const char*, 5> channels = {"email", "phone", "chat", "social", "store"};
constexpr std::array<const char*, 4> products = {"card", "account", "loan", "insurance"};
constexpr std::array<const char*, 3> teams = {"emea", "americas", "apac"};

// An event generated but not yet given out, ordered by time and then by generation order.
struct pending_event {
    instant at;
    std::size_t sequence;
    json event;
    bool operator>(const pending_event& o) const {
        return std::tie(at, sequence) > std::tie(o.at, o.sequence);
    }
};

// The draws are written here rather than taken from <random>'s distributions: the standard fixes
// mt19937_64's output but not how a distribution turns it into numbers, so libstdc++ and libc++
// would make different streams from the same seed. These use only the engine's 64-bit words
// and IEEE arithmetic, so a seed means the same stream on any standard library.
struct generator {
    std::mt19937_64 rng;
    std::priority_queue<pending_event, std::vector<pending_event>, std::greater<>> pending;
    std::size_t ids = 0;  // events generated

    // [0, 1) from the top 53 bits of one word.
    double uniform() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return uniform() < p; }
    // [0, n) without modulo bias: words from the incomplete last block are drawn again.
    std::size_t below(std::size_t n) {
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        for (;;)
            if (const auto x = rng(); x < limit) return static_cast<std::size_t>(x % n);
    }
    template <class T, std::size_t N>
    const T& pick(const std::array<T, N>& a) {
        return a[below(N)];
    }
    // Exponentially distributed delay with the given mean, in seconds (at least 1 s).
    std::chrono::seconds after(double mean_seconds) {
        const auto d = -mean_seconds * std::log1p(-uniform());
        return std::chrono::seconds{std::max<std::int64_t>(1, static_cast<std::int64_t>(d))};
    }
    // Log-normal (Box-Muller for the normal; the second normal of the pair is not kept, so each
    // draw takes exactly two words).
    double lognormal(double mu, double sigma) {
        const double u1 = 1.0 - uniform(), u2 = uniform();
        const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
        return std::exp(mu + sigma * z);
    }
    void emit(instant at, const std::string& source, const std::string& type,
              const std::string& partition, json data) {
        json e{{"specversion", "1.0"},
               {"id", "sim-" + std::to_string(++ids)},
               {"source", source},
               {"type", type},
               {"time", iso8601::format_instant(at)},
               {"datacontenttype", "application/json"},
               {"data", std::move(data)}};
        if (!partition.empty()) e["partitionkey"] = partition;
        pending.push({at, ids, std::move(e)});
    }
};

const char* category(generator& g) {
    double x = g.uniform();
    for (const auto& [name, share] : categories) {
        if (x < share) return name;
        x -= share;
    }
    return categories.back().first;
}

}  // namespace

void simulate(const simulation& s, const std::function<void(const json&)>& out) {
    generator g{std::mt19937_64{s.seed}, {}, 0};
    // Draws added after the first release take their own stream, so the draws of the events a
    // seed made before stay the same (their ids and the stream's end move with the new ones).
    generator side{std::mt19937_64{s.seed ^ 0x5ec1a551f1edULL}, {}, 0};
    std::size_t given = 0;
    // Gives out, in order, the pending events before `until`, up to the number asked for.
    const auto give_before = [&](std::optional<instant> until) {
        while (!g.pending.empty() && given < s.events && (!until || g.pending.top().at < *until)) {
            out(g.pending.top().event);
            ++given;
            g.pending.pop();
        }
    };
    const auto customers = s.customers ? s.customers : std::max<std::size_t>(1, s.events / 12);
    struct customer {
        std::string id, segment;
        double value;
    };
    std::vector<customer> people;
    for (std::size_t i = 0; i < customers; ++i) {
        const bool vip = g.chance(0.1);
        // Lifetime values are long-tailed; VIPs sit an order of magnitude higher.
        const double value = std::round(g.lognormal(vip ? 9 : 6.5, 0.8));
        people.push_back({"cust-" + std::to_string(i + 1), vip ? "vip" : "standard", value});
    }
    const auto agents = std::max<std::size_t>(5, customers / 40);
    const auto agent = [&] { return "emp-" + std::to_string(1 + g.below(agents)); };

    instant t = s.start;
    std::size_t complaint_no = 0;
    std::map<std::string, std::size_t> found;  // root causes found so far
    // Complaints are generated until their events (and what follows them) exceed the target.
    // Every event of a complaint falls at or after its filing, and filings come in time order:
    // whatever is pending before the next filing can go out.
    while (g.ids < s.events) {
        t += g.after(s.minutes_between_complaints * 60);
        give_before(t);
        const auto& c = people[g.below(people.size())];
        const auto id = "sim-c" + std::to_string(++complaint_no);
        const double sev = g.uniform();
        const char* severity = sev < 0.4    ? "low"
                               : sev < 0.75 ? "medium"
                               : sev < 0.95 ? "high"
                                            : "critical";
        const auto team = g.pick(teams);
        const auto* filed_as = category(g);
        const auto channel = g.pick(channels);
        const json filing{{"complaint_id", id},
                          {"customer", {{"id", c.id}, {"segment", c.segment}, {"value", c.value}}},
                          {"severity", severity},
                          {"channel", channel},
                          {"category", filed_as},
                          {"product", g.pick(products)},
                          {"team", team},
                          {"summary", "simulated complaint " + std::to_string(complaint_no)}};
        g.emit(t, "helpdesk", "complaint.filed", c.id, filing);
        const auto owner = agent();
        auto at = t + g.after(600);
        g.emit(at, "helpdesk", "complaint.assigned", c.id,
               {{"complaint_id", id}, {"employee", owner}});
        // Most are acknowledged within hours; some late (those breach).
        at += g.after(g.chance(0.85) ? 3 * 3600 : 30 * 3600);
        g.emit(at, "helpdesk", "complaint.acknowledged", c.id,
               {{"complaint_id", id}, {"employee", owner}});
        if (g.chance(0.05)) {
            g.emit(at + g.after(1800), "helpdesk", "complaint.withdrawn", c.id,
                   {{"complaint_id", id}, {"reason", "customer withdrew"}});
            continue;
        }
        if (g.chance(0.2)) {
            at += g.after(4 * 3600);
            g.emit(at, "helpdesk", "complaint.customer_info_requested", c.id,
                   {{"complaint_id", id}});
            at += g.after(20 * 3600);
            g.emit(at, "helpdesk", "complaint.customer_replied", c.id, {{"complaint_id", id}});
        }
        // Some are found more serious (or another team's) once someone looks.
        if (side.chance(0.06)) {
            at += side.after(2 * 3600);
            const std::string raised = sev < 0.75 ? "high" : "critical";
            json change{
                {"complaint_id", id}, {"severity", raised}, {"reason", "more serious than filed"}};
            if (side.chance(0.5)) change["team"] = side.pick(teams);
            g.emit(at, "helpdesk", "complaint.reclassified", c.id, std::move(change));
        }
        if (g.chance(0.08)) {
            at += g.after(3600);
            g.emit(at, "helpdesk", "complaint.escalation_requested", c.id,
                   {{"complaint_id", id}, {"reason", "customer asked for a manager"}});
        }
        // The root cause is mostly what the customer complained about; a third of complaints
        // were filed under a category that turns out not to be the cause.
        const auto* cat = g.chance(0.65) ? filed_as : category(g);
        if (g.chance(0.7)) {
            ++found[cat];
            at += g.after(8 * 3600);
            g.emit(
                at, "helpdesk", "complaint.root_cause_found", c.id,
                {{"complaint_id", id}, {"root_cause", {{"category", cat}, {"employee", owner}}}});
        }
        if (g.chance(0.3)) {
            at += g.after(3600);
            g.emit(at, "helpdesk", "complaint.recovery_offered", c.id,
                   {{"complaint_id", id},
                    {"action", g.chance(0.5) ? "refund" : "voucher"},
                    {"value", std::round(g.uniform() * 100)}});
        }
        at += g.after(30 * 3600);
        // Every tenth complaint is solved in a helpdesk that sends its ticket as it is now
        // (complaint.synced, docs/integrations.md) instead of our resolve command.
        if (complaint_no % 10 == 0) {
            auto snapshot = filing;
            snapshot["status"] = "solved";
            snapshot["owner"] = owner;
            snapshot["created_at"] = iso8601::format_instant(t);
            g.emit(at, "helpdesk", "complaint.synced", c.id, snapshot);
        } else {
            g.emit(at, "helpdesk", "complaint.resolved", c.id,
                   {{"complaint_id", id}, {"employee", owner}});
        }
        if (g.chance(0.06)) {
            at += g.after(3 * 86400);
            g.emit(at, "helpdesk", "complaint.reopened", c.id,
                   {{"complaint_id", id}, {"reason", "not fixed"}});
            at += g.after(86400);
            g.emit(at, "helpdesk", "complaint.resolved", c.id,
                   {{"complaint_id", id}, {"employee", owner}});
        }
        // The bounce-back: most customers come back, some churn, some say so in a survey.
        const double fate = g.uniform();
        if (fate < 0.65) {
            g.emit(at + g.after(5 * 86400), "shop", "customer.activity", c.id,
                   {{"customer_id", c.id},
                    {"kind", g.chance(0.6) ? "purchase" : "visit"},
                    {"value", std::round(g.uniform() * 200)}});
        } else if (fate < 0.72) {
            g.emit(at + g.after(10 * 86400), "crm", "customer.activity", c.id,
                   {{"customer_id", c.id}, {"kind", "account_closed"}});
        }
        if (g.chance(0.4))
            g.emit(at + g.after(2 * 86400), "survey", "survey.responded", c.id,
                   {{"customer_id", c.id},
                    {"complaint_id", id},
                    {"score", static_cast<int>(g.below(11))}});
        if (g.chance(0.08))
            g.emit(at + g.after(3 * 86400), "helpdesk", "compliment.received", c.id,
                   {{"compliment_id", "sim-k" + std::to_string(complaint_no)},
                    {"customer", c.id},
                    {"employees", json::array({owner})},
                    {"channel", "email"},
                    {"text", "thank you for sorting it out"},
                    {"complaint_id", id}});
        // Every 500 complaints the team acts on the root cause found most often so far.
        if (complaint_no % 500 == 0 && !found.empty())
            g.emit(t + g.after(3600), "ops", "prevention.action_recorded", "prevention",
                   {{"action_id", "sim-p" + std::to_string(complaint_no / 500)},
                    {"category", std::max_element(found.begin(), found.end(),
                                                  [](const auto& a, const auto& b) {
                                                      return a.second < b.second;
                                                  })
                                     ->first},
                    {"description", "fix the top root cause"},
                    {"owner", "ops-lead"}});
    }
    give_before(std::nullopt);
}

}  // namespace bb
