// Replay throughput: every event of a data directory's log folded into all projections, against
// reading and decoding the same events without folding (the reference, measured in the same run).
//   bench_replay --data DIR [--repeat 3]
// Prints one JSON object with events/s for both and their ratio (best of the repeats), the CPU
// time per event of each (all threads), and the fold alone: every event decoded into memory
// first, then folded on one thread (what the replay pipeline can at best reach).
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infra/sqlite/sqlite_event_log.hpp"
#include "services/read_side.hpp"

namespace {

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    const auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return s(u.ru_utime) + s(u.ru_stime);
}

// Reads every event as replay does (fold pages of 4,096) and hands each decoded one to `use`.
template <class Use>
void for_each_decoded(bb::event_log& log, bb::codec::text_decoder& decoder, Use use) {
    for (std::int64_t next = 1;;) {
        const auto page = log.read_fold_page(next, 4096);
        if (!page || page->empty()) break;
        for (std::size_t i = 0; i < page->size(); ++i)
            if (auto pe = bb::to_projected((*page)[i], decoder)) use(std::move(*pe));
        next = page->back().position + 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string data = "var/bench";
    int repeat = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--data") data = argv[i + 1];
        if (k == "--repeat") repeat = std::stoi(argv[i + 1]);
    }
    bb::sqlite_event_log log({(std::filesystem::path(data) / "events.db").string(), false, 64});
    const auto events = log.head();
    double best_decode = 0, best_fold = 0;
    double decode_cpu = 1e300, fold_cpu = 1e300;  // seconds, least of the repeats
    bb::codec::text_decoder decoder;
    for (int r = 0; r < repeat; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        auto c0 = cpu_seconds();
        std::size_t decoded = 0;
        for_each_decoded(log, decoder, [&](bb::projection::projected_event&&) { ++decoded; });
        const double decode_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        decode_cpu = std::min(decode_cpu, cpu_seconds() - c0);
        t0 = std::chrono::steady_clock::now();
        c0 = cpu_seconds();
        bb::read_side reads(log);
        if (auto ok = reads.replay(std::nullopt); !ok) {
            std::cerr << ok.error() << '\n';
            return 1;
        }
        const double fold_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        fold_cpu = std::min(fold_cpu, cpu_seconds() - c0);
        best_decode = std::max(best_decode, static_cast<double>(decoded) / decode_s);
        best_fold = std::max(best_fold, static_cast<double>(events) / fold_s);
    }
    // The fold alone, over events decoded beforehand (the best of the repeats).
    std::vector<bb::projection::projected_event> all;
    all.reserve(static_cast<std::size_t>(events));
    for_each_decoded(log, decoder,
                     [&](bb::projection::projected_event&& e) { all.push_back(std::move(e)); });
    double fold_alone = 0;
    for (int r = 0; r < repeat; ++r) {
        bb::projection::read_model m;
        const auto t0 = std::chrono::steady_clock::now();
        bb::projection::apply_all(m, all);
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        fold_alone = std::max(fold_alone, static_cast<double>(all.size()) / s);
    }
    std::cout << nlohmann::json{{"events", events},
                                {"decode_only_events_per_s", best_decode},
                                {"fold_events_per_s", best_fold},
                                {"ratio", best_fold / best_decode},
                                {"decode_only_cpu_us_per_event", decode_cpu * 1e6 / events},
                                {"fold_cpu_us_per_event", fold_cpu * 1e6 / events},
                                {"fold_alone_events_per_s", fold_alone}}
                     .dump()
              << '\n';
    return 0;
}
