// The cost of Kafka mode's outcome window (handlers/ingress/outcome_index): memory and time per
// webhook-delivered event it holds, at two sizes. Every instance keeps the last hour of
// decisions; this says what an hour of N events costs.
//   build/release/bench/bench_outcomes 100000 1000000
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "handlers/ingress/outcome_index.hpp"

namespace {

long rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return 0;
}

// A delivery of two events, as the owners write them: a filing accepted, then an
// acknowledgement, one in ten rejected with a reason.
bb::kafka::record outcome(std::size_t i) {
    const auto delivery = i / 2;
    const bool ack = i % 2 == 1;
    nlohmann::json body{{"correlation", "helpdesk/wh-" + std::to_string(delivery)},
                        {"batch", std::string(ack ? "1" : "0") + "/2"},
                        {"id", "evt-" + std::to_string(i)},
                        {"type", ack ? "complaint.acknowledged" : "complaint.filed"},
                        {"result", ack && delivery % 10 == 0 ? "rejected" : "accepted"}};
    if (ack && delivery % 10 == 0) {
        body["reason"] = "invalid_transition";
        body["detail"] = "acknowledge is not allowed in status resolved";
    }
    bb::kafka::record r;
    r.partition = static_cast<std::int32_t>(delivery % 6);
    r.offset = static_cast<std::int64_t>(i);
    r.key = body["correlation"];
    r.value = body.dump();
    return r;
}

void measure(std::size_t n) {
    const auto before = rss_kib();
    bb::outcome_index index({}, "bench.outcomes", std::chrono::hours{1}, [](const std::string&) {});
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) index.add(outcome(i));
    const auto t1 = std::chrono::steady_clock::now();
    std::size_t found = 0;
    const std::size_t lookups = 100000;
    for (std::size_t i = 0; i < lookups; ++i)
        found += index
                     .find("helpdesk/wh-" + std::to_string((i * 7919) % (n / 2)), 0,
                           std::chrono::milliseconds{0})
                     .size();
    const auto t2 = std::chrono::steady_clock::now();
    const auto after = rss_kib();
    const double add_us = std::chrono::duration<double, std::micro>(t1 - t0).count() / n;
    const double find_us = std::chrono::duration<double, std::micro>(t2 - t1).count() / lookups;
    std::printf(
        "{\"events\": %zu, \"deliveries\": %zu, \"rss_kib\": %ld, \"bytes_per_event\": %.0f, "
        "\"add_us\": %.2f, \"find_us\": %.2f, \"found\": %zu}\n",
        n, index.size(), after - before, (after - before) * 1024.0 / static_cast<double>(n), add_us,
        find_us, found);
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) measure(std::strtoull(argv[i], nullptr, 10));
    if (argc < 2) {
        measure(100000);
        measure(1000000);
    }
}
