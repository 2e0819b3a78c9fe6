// The cost of Kafka mode's cluster-wide delivery records (services/delivery_replica): every
// instance applies every instance's finished deliveries to its outbound.db. Measures, at two
// sizes, the disk per record and the time to apply a record read from the deliveries topic, and
// the time a new instance takes to apply that much of the topic.
//   build/release/bench/bench_deliveries 10000 100000
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "infra/outbound/delivery_store.hpp"

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    for (int a = 1; a < argc; ++a) {
        const auto n = std::strtoull(argv[a], nullptr, 10);
        const auto dir = fs::temp_directory_path() / ("bench-deliveries-" + std::to_string(n));
        fs::remove_all(dir);
        fs::create_directories(dir);
        const auto path = (dir / "outbound.db").string();
        {
            // synchronous=FULL, as serve runs it (storage.synchronous default).
            bb::outbound::delivery_store store(path, true);
            const auto start = std::chrono::steady_clock::now();
            // As the replica applies them: up to 1000 records per transaction.
            std::vector<bb::outbound::delivery_store::replica_change> batch;
            for (std::size_t i = 0; i < n; ++i) {
                bb::outbound::delivery_record r;
                r.subscription = i % 3 == 0 ? "escalations" : "main";
                r.partition = static_cast<std::int32_t>(i % 6);
                r.position = static_cast<std::int64_t>(i / 6);
                r.webhook_id =
                    "complaint-sim-c" + std::to_string(i / 4) + "-v" + std::to_string(i % 4 + 1);
                r.event_type = i % 4 == 0 ? "ComplaintFiled" : "ComplaintAcknowledged";
                r.stream = "complaint-sim-c" + std::to_string(i / 4);
                r.status = i % 50 == 0 ? bb::outbound::delivery_status::failed
                                       : bb::outbound::delivery_status::delivered;
                r.attempts = i % 50 == 0 ? 10 : 1;
                r.last_status = i % 50 == 0 ? 503 : 200;
                if (i % 50 == 0) r.last_error = "HTTP 503 (all 10 attempts failed)";
                r.created_at = r.updated_at = bb::instant{} + std::chrono::seconds{i};
                batch.push_back({0, static_cast<std::int64_t>(i + 1), r, {}, false, {}});
                if (batch.size() == 1000 || i + 1 == n) {
                    store.apply_replicas(batch, "complaints.events.deliveries");
                    batch.clear();
                }
            }
            const auto s =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const auto bytes = fs::file_size(path) +
                               (fs::exists(path + "-wal") ? fs::file_size(path + "-wal") : 0);
            std::printf(
                "records %zu: applied in %.2f s (%.1f us each), outbound.db %.1f MB (%.0f bytes "
                "per record)\n",
                static_cast<std::size_t>(n), s, s * 1e6 / static_cast<double>(n), bytes / 1e6,
                static_cast<double>(bytes) / static_cast<double>(n));
        }
        fs::remove_all(dir);
    }
}
