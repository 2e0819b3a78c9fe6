// The cost of counting on the hot path: metrics::add (a counter with two labels, as every HTTP
// request does) and metrics::observe (a histogram with three labels), from one thread and from
// two at once, in ns per call; and render() of a registry holding the families a busy service
// has. docs/benchmarks.md, "Metrics", has the numbers and the command.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "infra/metrics.hpp"

namespace {

double ns_per_call(int threads, long calls, const std::function<void(long)>& one) {
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (long i = 0; i < calls; ++i) one(i);
        });
    for (auto& t : pool) t.join();
    const auto ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started)
            .count();
    return ns / static_cast<double>(calls * threads);
}

}  // namespace

int main(int argc, char** argv) {
    const long calls = argc > 1 ? std::stol(argv[1]) : 2'000'000;
    bb::metrics m;
    m.describe("bench_requests_total", "counter", "requests");
    m.describe("bench_duration_seconds", "histogram", "durations");
    const std::vector<std::string> routes = {"/v1/webhooks/{source}", "/v1/complaints/{id}",
                                             "/v1/sla/summary", "/readyz"};
    auto add = [&](long i) {
        m.add("bench_requests_total", {{"route", routes[i % 4]}, {"status", "200"}});
    };
    auto observe = [&](long i) {
        m.observe("bench_duration_seconds",
                  {{"method", "GET"}, {"route", routes[i % 4]}, {"status", "2xx"}},
                  0.0001 * static_cast<double>(i % 100));
    };
    for (int threads : {1, 2}) {
        std::printf("add, %d thread(s): %.0f ns per call\n", threads,
                    ns_per_call(threads, calls, add));
        std::printf("observe, %d thread(s): %.0f ns per call\n", threads,
                    ns_per_call(threads, calls, observe));
    }
    const auto started = std::chrono::steady_clock::now();
    std::size_t bytes = 0;
    for (int i = 0; i < 100; ++i) bytes += m.render().size();
    std::printf(
        "render: %.1f us per scrape (%zu bytes)\n",
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
                .count() /
            100,
        bytes / 100);
}
