#include <atomic>
#include <csignal>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/host_name.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app/commands.hpp"
#include "app/memory.hpp"
#include "app/openapi.hpp"
#include "app/web_assets.hpp"
#include "handlers/http/router.hpp"
#include "handlers/ingress/kafka_ingress.hpp"
#include "handlers/ingress/local_ingress.hpp"
#include "handlers/ingress/outcome_index.hpp"
#include "infra/http/server.hpp"
#include "infra/iso8601.hpp"
#include "infra/kafka/topic_policy.hpp"
#include "infra/kafka/topic_view.hpp"
#include "infra/logger.hpp"
#include "infra/sqlite/sqlite_event_log.hpp"
#include "infra/sqlite/webhook_receipts.hpp"
#include "infra/usable_cores.hpp"
#include "services/command_service.hpp"
#include "services/deadline_scheduler.hpp"
#include "services/delivery_replica.hpp"
#include "services/kafka_processor.hpp"
#include "services/kafka_webhook_dispatcher.hpp"
#include "services/read_side.hpp"
#include "services/webhook_dispatcher.hpp"

namespace bb::app {

namespace {
instant wall_clock() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::pair<std::string, unsigned short> split_listen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    return {listen.substr(0, colon),
            static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))};
}

// Receipts live in a file of their own: a connection writing them into events.db would take
// the database's write lock between the event log's group commits.
std::string receipts_path(const std::string& data_dir) {
    return (std::filesystem::path(data_dir) / "receipts.db").string();
}

unsigned io_thread_count(const config& cfg) {
    return cfg.http_io_threads > 0 ? static_cast<unsigned>(cfg.http_io_threads)
                                   : std::min(usable_cores(), 16u);
}

http::server_options http_options(const config& cfg) {
    const auto [host, port] = split_listen(cfg.listen);
    return {host,
            port,
            1 << 20,
            std::chrono::seconds{15},
            std::chrono::seconds{30},
            static_cast<std::size_t>(cfg.http_workers),
            io_thread_count(cfg) == 1};
}

// SIGINT/SIGTERM: say so, set `stopping`, stop taking work.
void stop_on_signal(boost::asio::signal_set& signals, std::atomic<bool>& stopping,
                    std::function<void()> stop_taking_work) {
    signals.async_wait([&stopping, stop = std::move(stop_taking_work)](
                           const boost::system::error_code& ec, int sig) {
        if (ec) return;
        log_line("signal " + std::to_string(sig) + ": draining");
        stopping = true;
        stop();
    });
}

std::vector<std::thread> start_io_threads(boost::asio::io_context& ioc, const config& cfg) {
    std::vector<std::thread> threads;
    for (unsigned i = 0, n = io_thread_count(cfg); i < n; ++i)
        threads.emplace_back([&ioc] { ioc.run(); });
    return threads;
}

// Lets in-flight requests finish and their responses go out, then stops the I/O threads.
void drain(http::server& server, boost::asio::io_context& ioc, std::vector<std::thread>& threads) {
    for (int i = 0; i < 200 && server.in_flight() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ioc.stop();
    for (auto& t : threads) t.join();
}

// A burst (catching up on a backlog, a rebuild, an import through the webhooks) frees what it
// buffered, but the allocator keeps freed pages for reuse: they are given back every few
// seconds, so that the RSS an operator sees (and sizes by) is what the service holds.
class memory_releaser {
  public:
    explicit memory_releaser(boost::asio::io_context& ioc) : timer_(ioc) { schedule(); }

  private:
    void schedule() {
        timer_.expires_after(std::chrono::seconds(10));
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            release_free_memory();
            schedule();
        });
    }
    boost::asio::steady_timer timer_;
};

// Group commits: how many appends share one transaction and its fsync (the embedded log's
// throughput lever), and what that transaction costs.
const std::vector<double> size_buckets = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

void describe_log_metrics(metrics& m) {
    m.describe("bounceback_group_commit_appends", "histogram",
               "Appends (webhook events, deadline ticks) committed together in one transaction",
               size_buckets);
    m.describe("bounceback_group_commit_events", "histogram",
               "Domain events written by one group commit", size_buckets);
    m.describe("bounceback_commit_seconds", "histogram",
               "One group commit of the event log, BEGIN to COMMIT (the fsync included)");
    m.describe("bounceback_commit_failures_total", "counter",
               "Group commits rolled back by a storage failure");
}

void count_group_commit(metrics& m, const sqlite_event_log::group_commit& c) {
    if (!c.committed) return m.add("bounceback_commit_failures_total", {});
    m.observe("bounceback_group_commit_appends", {}, static_cast<double>(c.appends));
    m.observe("bounceback_group_commit_events", {}, static_cast<double>(c.events));
    m.observe("bounceback_commit_seconds", {}, c.seconds);
}

// Reports and views are as current as the read side: how far it is behind the log, in events
// and in time (how long ago the oldest event it has not applied was recorded). `uncopied`: in
// Kafka mode the events topic's records the instance's copy has not read yet, which the read side
// cannot have applied either (their age is unknown until they arrive).
void add_read_side_metrics(metrics& m, event_log& log, const read_side& reads,
                           std::function<std::int64_t()> uncopied) {
    m.gauge("bounceback_read_side_lag_events",
            "Events the read side has not applied yet (reports lag by these); Kafka mode: also "
            "the events topic's records this instance has not copied",
            [&log, &reads, uncopied] {
                return metric_samples{
                    {{},
                     static_cast<double>(std::max<std::int64_t>(log.head() - reads.position(), 0) +
                                         uncopied())}};
            });
    m.gauge("bounceback_read_side_lag_seconds",
            "How long ago the oldest event the read side has not applied was recorded (0 when it "
            "has applied all it holds)",
            [&log, &reads] {
                double lag = 0;
                const auto next = reads.position() + 1;
                if (next <= log.head())
                    if (const auto e = log.read_all(next, 1); e && !e->empty())
                        lag =
                            std::max(std::chrono::duration<double>(
                                         std::chrono::system_clock::now() - e->front().recorded_at)
                                         .count(),
                                     0.0);
                return metric_samples{{{}, lag}};
            });
}

}  // namespace

int serve(const cli_args& args) {
    const auto cfg = load(args);
    if (!cfg) return 2;
    if (!cfg->kafka.brokers.empty()) return serve_kafka(*cfg);
    const auto [host, port] = split_listen(cfg->listen);

    std::filesystem::create_directories(cfg->data_dir);
    const auto db = (std::filesystem::path(cfg->data_dir) / "events.db").string();
    metrics m;
    add_process_metrics(m);
    describe_log_metrics(m);
    sqlite_event_log log(
        {db, cfg->synchronous_full, 1024, [&m](const auto& c) { count_group_commit(m, c); }});
    webhook_receipts receipts(receipts_path(cfg->data_dir));
    command_service commands(log, cfg->book, m,
                             {cfg->cached_streams, cfg->future_tolerance, log_line}, &log);

    boost::asio::io_context ioc{static_cast<int>(io_thread_count(*cfg))};
    deadline_scheduler scheduler(ioc, wall_clock, [&](const complaint_id& id, instant now) {
        const auto r =
            commands.tick(id, now,
                          command_meta{"scheduler", "tick/" + iso8601::format_instant(now), now, 0,
                                       0, trace::start()});
        if (!r) log_line("tick failed complaint=" + id.value() + " error=" + r.error().message());
    });
    commands.on_deadline_change(
        [&](const complaint_id& id, std::optional<instant> next) { scheduler.update(id, next); });

    // Ready once both the command side and the read side have folded the log.
    read_side reads(log, std::filesystem::path(cfg->data_dir) / "read_model.snapshot.json");
    add_read_side_metrics(m, log, reads, [] { return std::int64_t{0}; });
    std::atomic<bool> ready{false};
    outbound::delivery_store deliveries(
        (std::filesystem::path(cfg->data_dir) / "outbound.db").string(), cfg->synchronous_full);
    webhook_dispatcher dispatcher(
        {cfg->subscriptions, cfg->outbound, log, deliveries, m, wall_clock, log_line});
    local_ingress local(commands);
    router api({*cfg,
                local,
                reads,
                log,
                receipts,
                m,
                [&] { return ready.load(); },
                wall_clock,
                log_line,
                std::string(openapi_document()),
                &web_assets(),
                {},
                &deliveries,
                [&] { dispatcher.notify(); }});
    http::server server(ioc, http_options(*cfg), api);
    server.start();
    log_line("listening on http://" + host + ":" + std::to_string(server.port()) +
             " data_dir=" + cfg->data_dir);

    std::atomic<bool> stopping{false};
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    stop_on_signal(signals, stopping, [&] {
        server.stop();
        scheduler.stop();
    });

    auto threads = start_io_threads(ioc, *cfg);
    memory_releaser releaser(ioc);

    // Rebuild state from the log while /healthz already answers; /readyz says 503 until done.
    const auto rebuilt = commands.rebuild();
    if (!rebuilt) {
        log_line("cannot start: " + rebuilt.error());
        ioc.stop();
        for (auto& t : threads) t.join();
        return 1;
    }
    log_line(rebuilt->from_summaries
                 ? "command side from the summary index; " + std::to_string(scheduler.pending()) +
                       " complaints with deadlines"
                 : "command side folded " + std::to_string(rebuilt->events_folded) +
                       " events (summary index rebuilt); " + std::to_string(scheduler.pending()) +
                       " complaints with deadlines");
    scheduler.start();
    if (const auto r = reads.start(); !r) {
        log_line("cannot start the read side: " + r.error());
        ioc.stop();
        for (auto& t : threads) t.join();
        return 1;
    }
    log_line(std::string("read side at position ") + std::to_string(reads.position()) +
             (reads.loaded_snapshot() ? " (from its checkpoint)" : " (folded from position 0)"));
    dispatcher.start();
    if (!cfg->subscriptions.empty())
        log_line("outbound webhooks: " + std::to_string(cfg->subscriptions.size()) +
                 " subscription(s)");
    release_free_memory();
    ready = true;

    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // Let in-flight requests finish and their responses go out before the log closes.
    drain(server, ioc, threads);
    dispatcher.stop();  // a delivery cut short is not recorded: it goes out again next start
    // A checkpoint on the way out makes the next start fold only what came after it.
    if (reads.save_snapshot())
        log_line("read model checkpoint at position " + std::to_string(reads.position()));
    log_line("stopped");
    return 0;
}

// Distributed: a member of the consumer group; the HTTP ingress produces to the inbound topic and
// the read side follows the event topic.
int serve_kafka(const config& cfg) {
    kafka::settings client{
        {"bootstrap.servers", cfg.kafka.brokers}, {"client.id", "bounceback"}, {"log_level", "4"}};
    client.insert(client.end(), cfg.kafka.client_properties.begin(),
                  cfg.kafka.client_properties.end());
    kafka_processor_options o{
        client, cfg.kafka.inbound_topic, cfg.kafka.events_topic, cfg.kafka.deadletter_topic,
        cfg.kafka.group,
        cfg.kafka.instance_id.empty() ? boost::asio::ip::host_name() : cfg.kafka.instance_id,
        static_cast<std::size_t>(cfg.kafka.max_batch), std::chrono::milliseconds{50},
        std::chrono::milliseconds{kafka::transaction_timeout_ms / 4}, cfg.cached_streams,
        // Each owned partition's local store (docs/kafka.md, "State and its cost").
        (std::filesystem::path(cfg.data_dir) / "kafka").string(), cfg.future_tolerance,
        cfg.kafka.outcomes_topic.empty() ? cfg.kafka.inbound_topic + ".outcomes"
                                         : cfg.kafka.outcomes_topic};
    const auto deliveries_topic = cfg.kafka.deliveries_topic.empty()
                                      ? cfg.kafka.events_topic + ".deliveries"
                                      : cfg.kafka.deliveries_topic;
    // Every topic replicated as configured; the events topic, the audit log, kept for ever.
    if (auto t = kafka::ensure_topics(
            client,
            {{cfg.kafka.inbound_topic, cfg.kafka.partitions},
             {cfg.kafka.events_topic, cfg.kafka.partitions, kafka::kept_for_ever()},
             {cfg.kafka.deadletter_topic, cfg.kafka.partitions},
             // Outcomes matter to senders for minutes; a day is kept (docs/kafka.md).
             {o.outcomes_topic, cfg.kafka.partitions, {{"retention.ms", "86400000"}}},
             // Outbound delivery records: the latest per delivery, for the retention.
             {deliveries_topic,
              1,
              {{"cleanup.policy", "compact,delete"},
               {"retention.ms",
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   cfg.kafka.deliveries_retention)
                                   .count())}}}},
            {cfg.kafka.replication_factor, cfg.kafka.min_insync_replicas});
        !t) {
        std::cerr << "bounceback: " << t.error() << "\n";
        return 1;
    }
    // A topic made by someone else (or by an older release) is checked, not trusted.
    const auto events_config = kafka::topic_config(client, cfg.kafka.events_topic);
    if (!events_config) {
        std::cerr << "bounceback: " << events_config.error() << "\n";
        return 1;
    }
    if (const auto why =
            kafka::deletes_records(*events_config, cfg.kafka.events_topic, cfg.kafka.brokers)) {
        std::cerr << "bounceback: refusing to run: " << *why << "\n";
        return 2;
    }
    // The deliveries topic must keep each delivery's latest record (not merely the last days').
    const auto deliveries_config = kafka::topic_config(client, deliveries_topic);
    if (!deliveries_config) {
        std::cerr << "bounceback: " << deliveries_config.error() << "\n";
        return 1;
    }
    if (const auto why =
            kafka::not_compacted(*deliveries_config, deliveries_topic, cfg.kafka.brokers)) {
        std::cerr << "bounceback: refusing to run: " << *why << "\n";
        return 2;
    }
    const auto partitions = check_copartitioned(o);
    if (!partitions) {
        std::cerr << "bounceback: refusing to run: " << partitions.error() << "\n";
        return 2;
    }

    std::filesystem::create_directories(cfg.data_dir);
    webhook_receipts receipts(receipts_path(cfg.data_dir));
    metrics m;
    add_process_metrics(m);
    // The read side's copy of the event topic and its checkpoint live under the data directory:
    // a restart reads only what the topic gained since (docs/kafka.md, "State and its cost").
    const auto state_dir = std::filesystem::path(cfg.data_dir) / "kafka";
    kafka::topic_view view(client, cfg.kafka.events_topic,
                           (state_dir / (cfg.kafka.events_topic + ".view.db")).string());
    if (auto v = view.start(); !v) {
        std::cerr << "bounceback: " << v.error() << "\n";
        return 1;
    }
    if (!view.replaced().empty())
        log_line("read side: copy of " + cfg.kafka.events_topic + " started again (" +
                 view.replaced() + ")");
    // A checkpoint counts arrivals in the copy it was taken on; a new copy numbers them anew
    // (the partitions interleave differently), so an old checkpoint could match a position by
    // its event and still cover other events before it.
    if (view.started_empty()) std::filesystem::remove(state_dir / "read_model.snapshot.json");
    auto in = kafka_ingress::open(client, cfg.kafka.inbound_topic, view);
    if (!in) {
        std::cerr << "bounceback: " << in.error() << "\n";
        return 1;
    }
    (*in)->report_rejections_to(o.outcomes_topic);
    // Outbound webhooks: each subscription a consumer group on the events topic (docs/outbound.md).
    outbound::delivery_store deliveries(
        (std::filesystem::path(cfg.data_dir) / "outbound.db").string(), cfg.synchronous_full);
    kafka_webhook_dispatcher dispatcher({cfg.subscriptions, cfg.outbound, client,
                                         cfg.kafka.events_topic, o.group, o.instance_id, deliveries,
                                         m, wall_clock, log_line});
    // Every instance's delivery records and subscription flags (docs/outbound.md).
    delivery_replica replica(client, deliveries_topic, o.instance_id, deliveries, log_line,
                             [&] { dispatcher.notify(); });
    if (auto r = replica.start(); !r) {
        std::cerr << "bounceback: " << r.error() << "\n";
        return 1;
    }
    kafka_processor processor(o, cfg.book, m, wall_clock, log_line);
    // What the owners decided for webhook deliveries, from every instance (docs/kafka.md).
    outcome_index outcomes(
        client, o.outcomes_topic,
        std::chrono::duration_cast<std::chrono::seconds>(cfg.kafka.outcome_window), log_line);
    if (auto r = outcomes.start(); !r) {
        std::cerr << "bounceback: " << r.error() << "\n";
        return 1;
    }
    read_side reads(view, state_dir / "read_model.snapshot.json");
    add_read_side_metrics(m, view, reads, [&view] { return view.records_behind(); });

    boost::asio::io_context ioc{static_cast<int>(io_thread_count(cfg))};
    router api(
        {cfg, **in, reads, view, receipts, m,
         // Ready when the owned partitions are loaded and the read side has every event
         // the topic held at start: any query is then answered for the whole cluster.
         [&] {
             const auto caught_up = view.caught_up();
             return processor.ready() && caught_up && reads.position() >= *caught_up;
         },
         wall_clock, log_line, std::string(openapi_document()), &web_assets(),
         [&] { return view.verify(); }, &deliveries, [&] { dispatcher.notify(); },
         [&](const std::string& id) { return dispatcher.partitions(id); },
         [&](const std::string& correlation, std::size_t count, std::chrono::milliseconds wait) {
             return outcomes.find(correlation, count, wait);
         }});
    http::server server(ioc, http_options(cfg), api);
    server.start();
    log_line("listening on http://" + cfg.listen + " kafka=" + cfg.kafka.brokers + " group=" +
             o.group + " instance=" + o.instance_id + " partitions=" + std::to_string(*partitions));

    std::atomic<bool> stopping{false};
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    stop_on_signal(signals, stopping, [&] { server.stop(); });
    auto threads = start_io_threads(ioc, cfg);
    memory_releaser releaser(ioc);
    if (auto r = reads.start(); !r) {
        log_line("cannot start the read side: " + r.error());
        stopping = true;
    } else {
        log_line("read side at arrival " + std::to_string(reads.position()) +
                 (reads.loaded_snapshot() ? " (from its checkpoint)" : " (folded from the start)"));
    }
    dispatcher.start();
    if (!cfg.subscriptions.empty())
        log_line("outbound webhooks: " + std::to_string(cfg.subscriptions.size()) +
                 " subscription(s), each a consumer group on " + cfg.kafka.events_topic);
    const auto why = processor.run(stopping);
    stopping = true;
    dispatcher.stop();  // a delivery cut short is neither recorded nor committed: it goes again
    server.stop();
    drain(server, ioc, threads);
    // After the last request: an enable through the API publishes its flag.
    replica.stop();
    // A checkpoint on the way out makes the next start fold only what arrived after it.
    if (reads.save_snapshot())
        log_line("read model checkpoint at arrival " + std::to_string(reads.position()));
    switch (why) {
        case kafka_processor::stop_reason::requested:
            log_line("stopped");
            return 0;
        case kafka_processor::stop_reason::fenced:
            log_line("stopped: fenced by a newer instance with the same id");
            return 3;
        case kafka_processor::stop_reason::failed:
            log_line("stopped: the Kafka processor cannot go on");
            return 1;
    }
    return 1;
}

}  // namespace bb::app
