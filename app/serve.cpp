#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "app/commands.hpp"
#include "app/openapi.hpp"
#include "app/web_assets.hpp"
#include "handlers/command_service.hpp"
#include "handlers/deadline_scheduler.hpp"
#include "handlers/http_api.hpp"
#include "handlers/read_side.hpp"
#include "infra/http_server.hpp"
#include "infra/iso8601.hpp"
#include "infra/logger.hpp"
#include "infra/sqlite_event_log.hpp"
#include "infra/webhook_receipts.hpp"

namespace bb::app {

namespace {
instant wall_clock() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}
}  // namespace

int serve(const cli_args& args) {
    const auto cfg = load(args);
    if (!cfg) return 2;
    if (!cfg->kafka.brokers.empty()) {
        std::cerr << "bounceback: Kafka mode (kafka.brokers) is not available in this build yet; "
                     "remove kafka.brokers to run embedded\n";
        return 2;
    }
    const auto colon = cfg->listen.rfind(':');
    const auto host = cfg->listen.substr(0, colon);
    const auto port = std::stoi(cfg->listen.substr(colon + 1));

    std::filesystem::create_directories(cfg->data_dir);
    const auto db = (std::filesystem::path(cfg->data_dir) / "events.db").string();
    sqlite_event_log log({db, cfg->synchronous_full, 1024});
    webhook_receipts receipts(db, cfg->synchronous_full);
    metrics m;
    command_service commands(log, cfg->book, m);

    boost::asio::io_context ioc;
    deadline_scheduler scheduler(ioc, wall_clock, [&](const complaint_id& id, instant now) {
        const auto r = commands.tick(
            id, now, command_meta{"scheduler", "tick/" + iso8601::format_instant(now), now});
        if (!r) log_line("tick failed complaint=" + id.value() + " error=" + r.error().message());
    });
    commands.on_deadline_change(
        [&](const complaint_id& id, std::optional<instant> next) { scheduler.update(id, next); });

    // Ready once both the command side and the read side have folded the log.
    read_side reads(log, std::filesystem::path(cfg->data_dir) / "read_model.snapshot.json");
    std::atomic<bool> ready{false};
    http_api api({*cfg, commands, reads, log, receipts, m, [&] { return ready.load(); }, wall_clock,
                  log_line, std::string(openapi_document()), &web_assets()});
    http::server server(
        ioc,
        {host, static_cast<unsigned short>(port), 1 << 20, std::chrono::seconds{15},
         std::chrono::seconds{30}, 8},
        [&](const http::request& r, const http::request_context& c) { return api.handle(r, c); },
        [&](unsigned s, const std::string& d, const http::request_context& c) {
            return api.error(s, d, c);
        });
    server.start();
    log_line("listening on http://" + host + ":" + std::to_string(server.port()) +
             " data_dir=" + cfg->data_dir);

    std::atomic<bool> stopping{false};
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        log_line("signal " + std::to_string(sig) + ": draining");
        stopping = true;
        server.stop();
        scheduler.stop();
    });

    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) threads.emplace_back([&] { ioc.run(); });

    // Rebuild state from the log while /healthz already answers; /readyz says 503 until done.
    const auto rebuilt = commands.rebuild();
    if (!rebuilt) {
        log_line("cannot start: " + rebuilt.error());
        ioc.stop();
        for (auto& t : threads) t.join();
        return 1;
    }
    log_line("rebuilt " + std::to_string(*rebuilt) + " events; " +
             std::to_string(scheduler.pending()) + " complaints with deadlines; ready");
    scheduler.start();
    if (const auto r = reads.start(); !r) {
        log_line("cannot start the read side: " + r.error());
        ioc.stop();
        for (auto& t : threads) t.join();
        return 1;
    }
    log_line(std::string("read side at position ") + std::to_string(reads.position()) +
             (reads.loaded_snapshot() ? " (from its checkpoint)" : " (folded from position 0)"));
    ready = true;

    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // Let in-flight requests finish and their responses go out before the log closes.
    for (int i = 0; i < 200 && server.in_flight() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ioc.stop();
    for (auto& t : threads) t.join();
    // A checkpoint on the way out makes the next start fold only what came after it.
    if (reads.save_snapshot())
        log_line("read model checkpoint at position " + std::to_string(reads.position()));
    log_line("stopped");
    return 0;
}

}  // namespace bb::app
