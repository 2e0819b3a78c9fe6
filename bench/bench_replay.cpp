// Replay throughput: every event of a data directory's log folded into all projections, against
// reading and decoding the same events without folding (the reference, measured in the same run).
//   bench_replay --data DIR [--repeat 3]
// Prints one JSON object with events/s for both and their ratio (best of the repeats).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "handlers/read_side.hpp"
#include "infra/sqlite_event_log.hpp"

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
    bb::codec::text_decoder decoder;
    for (int r = 0; r < repeat; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        std::size_t decoded = 0;
        for (std::int64_t next = 1;;) {
            const auto page = log.read_fold_page(next, 4096);  // as replay reads
            if (!page || page->empty()) break;
            for (std::size_t i = 0; i < page->size(); ++i)
                if (bb::to_projected((*page)[i], decoder)) ++decoded;
            next = page->back().position + 1;
        }
        const double decode_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        t0 = std::chrono::steady_clock::now();
        bb::read_side reads(log);
        if (auto ok = reads.replay(std::nullopt); !ok) {
            std::cerr << ok.error() << '\n';
            return 1;
        }
        const double fold_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best_decode = std::max(best_decode, static_cast<double>(decoded) / decode_s);
        best_fold = std::max(best_fold, static_cast<double>(events) / fold_s);
    }
    std::cout << nlohmann::json{{"events", events},
                                {"decode_only_events_per_s", best_decode},
                                {"fold_events_per_s", best_fold},
                                {"ratio", best_fold / best_decode}}
                     .dump()
              << '\n';
    return 0;
}
