#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "handlers/cfpb_import.hpp"
#include "handlers/simulator.hpp"
#include "infra/codec/cloudevent_codec.hpp"
#include "infra/hash_chain.hpp"
#include "infra/iso8601.hpp"
#include "infra/progress.hpp"
#include "infra/sqlite/sqlite_event_log.hpp"
#include "services/command_service.hpp"
#include "services/virtual_clock_runner.hpp"

namespace bb::app {

namespace {

std::string data_dir(const cli_args& args, const config* cfg) {
    if (const auto d = args.flag("data")) return *d;
    if (const auto d = args.flag("data-dir")) return *d;
    return cfg ? cfg->data_dir : std::string("./var");
}

std::string db_path(const std::string& dir) {
    return (std::filesystem::path(dir) / "events.db").string();
}

struct batch_engine {
    sqlite_event_log log;
    metrics m;
    command_service commands;
    virtual_clock_runner runner;

    batch_engine(const config& cfg, const std::string& dir)
        : log(make_log(cfg, dir)),
          commands(log, cfg.book, m, {cfg.cached_streams, cfg.future_tolerance}, &log),
          runner(commands) {}

    static sqlite_event_log::options make_log(const config& cfg, const std::string& dir) {
        std::filesystem::create_directories(dir);
        return {db_path(dir), cfg.synchronous_full, 4096};
    }

    bool start() {
        runner.attach();  // before the rebuild, which announces every deadline
        const auto r = commands.rebuild();
        if (!r) {
            std::cerr << "bounceback: " << r.error() << '\n';
            return false;
        }
        return true;
    }

    void summary(std::ostream& os) {
        const auto& s = runner.counts();
        os << "events " << s.events << ", applied " << s.applied << ", unchanged " << s.unchanged
           << ", rejected " << s.rejected << ", invalid " << s.invalid << ", deadline ticks "
           << s.ticks << "; log head " << log.head() << '\n';
    }
};

// With --kafka HOSTS the inputs go to the cluster's inbound topic (--topic, else the config's
// kafka.inbound_topic) instead of into a data directory, and the command returns once the group
// (kafka.group) has decided every one of them: the same events then stand in the events topic as
// the embedded command writes to events.db (replay and audit read either).
int through_kafka(const char* cmd, const config& cfg, const cli_args& args,
                  const std::function<bool(std::string&)>& next) {
    const auto brokers = *args.flag("kafka");
    const auto topic = args.flag("topic").value_or(cfg.kafka.inbound_topic);
    const auto client = cli_client(brokers, &cfg);
    const auto n = publish_lines(client, topic, false, next);
    if (!n) {
        std::cerr << "bounceback " << cmd << ": " << n.error() << '\n';
        return 1;
    }
    std::cerr << "bounceback " << cmd << ": published " << *n << " records to " << topic
              << "; waiting for group " << cfg.kafka.group << " to decide them\n";
    if (const auto w = wait_processed(client, cfg.kafka.group, topic, std::chrono::minutes{30});
        !w) {
        std::cerr << "bounceback " << cmd << ": " << w.error() << '\n';
        return 1;
    }
    std::cerr << "bounceback " << cmd << ": decided; rejected and invalid records are in "
              << cfg.kafka.deadletter_topic << '\n';
    return 0;
}

}  // namespace

int process(const cli_args& args) {
    const auto cfg = load(args);
    if (!cfg) return 2;
    const auto input = args.flag("input");
    if (!input) {
        std::cerr << "bounceback process: --input events.jsonl is required\n";
        return 2;
    }
    std::optional<instant> until;
    if (const auto u = args.flag("until")) {
        until = iso8601::parse_instant(*u);
        if (!until) {
            std::cerr << "bounceback process: --until must be an RFC 3339 instant\n";
            return 2;
        }
    }
    std::ifstream in(*input);
    if (!in) {
        std::cerr << "bounceback process: cannot read " << *input << '\n';
        return 2;
    }
    if (args.flag("kafka")) {
        if (until) {
            std::cerr << "bounceback process: --until is for a data directory; the cluster's "
                         "deadlines fall due by its clock\n";
            return 2;
        }
        return through_kafka("process", *cfg, args,
                             [&](std::string& line) { return !!std::getline(in, line); });
    }
    batch_engine engine(*cfg, data_dir(args, &*cfg));
    if (!engine.start()) return 1;
    std::size_t n = 0, bad = 0;
    {
        progress bar("process", std::filesystem::file_size(*input));
        std::string line;
        while (std::getline(in, line)) {
            ++n;
            if (const auto at = in.tellg(); at > 0) bar.update(static_cast<std::uint64_t>(at));
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            const auto j = nlohmann::json::parse(line, nullptr, false);
            const auto e =
                j.is_discarded()
                    ? std::expected<inbound::cloud_event, inbound::invalid_input>(
                          std::unexpected(inbound::invalid_input{400, "", "not JSON", 0}))
                    : inbound::parse_event(j);
            if (!e) {
                ++bad;
                std::cerr << *input << ":" << n << ": "
                          << (e.error().field.empty() ? "" : e.error().field + " ")
                          << e.error().detail << '\n';
                continue;
            }
            const auto r = engine.runner.feed(*e, "line/" + std::to_string(n));
            if (!r) {
                std::cerr << "bounceback process: storage failure at line " << n << ": "
                          << r.error().message() << '\n';
                return 1;
            }
            if (r->result == command_outcome::kind::rejected)
                std::cerr << *input << ":" << n << ": rejected " << e->type << " " << e->id << ": "
                          << to_string(r->why->code) << ": " << r->why->detail << '\n';
        }
    }
    if (until) {
        if (const auto r = engine.runner.advance_to(*until); !r) {
            std::cerr << "bounceback process: storage failure: " << r.error().message() << '\n';
            return 1;
        }
    }
    engine.summary(std::cerr);
    return bad == 0 ? 0 : 1;
}

int export_events(const cli_args& args) {
    const auto dir = data_dir(args, nullptr);
    if (!std::filesystem::exists(db_path(dir))) {
        std::cerr << "bounceback export: no event store in " << dir << '\n';
        return 2;
    }
    sqlite_event_log log({db_path(dir), true, 16});
    for (std::int64_t next = 1;;) {
        const auto batch = log.read_all(next, 4096);
        if (!batch) {
            std::cerr << "bounceback export: " << batch.error().message() << '\n';
            return 1;
        }
        if (batch->empty()) break;
        for (const auto& e : *batch) std::cout << codec::to_cloudevent(e).dump() << '\n';
        next = batch->back().position + 1;
    }
    return 0;
}

namespace {

// Restores an export into an empty store, event by event, keeping positions, times and ids;
// the store recomputes every hash, and any difference from the exported hash is refused.
int import_jsonl(const cli_args& args) {
    const auto dir = data_dir(args, nullptr);
    std::filesystem::create_directories(dir);
    sqlite_event_log log({db_path(dir), true, 4096});
    if (log.head() != 0) {
        std::cerr << "bounceback import: " << dir
                  << " already holds events; import into an empty data directory\n";
        return 2;
    }
    std::ifstream in(args.positional[0]);
    if (!in) {
        std::cerr << "bounceback import: cannot read " << args.positional[0] << '\n';
        return 2;
    }
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        const auto rec = j.is_discarded()
                             ? std::expected<event_record, std::string>(std::unexpected("not JSON"))
                             : codec::from_cloudevent(j);
        if (!rec) {
            std::cerr << args.positional[0] << ":" << n << ": " << rec.error() << '\n';
            return 1;
        }
        if (rec->position != log.head() + 1) {
            std::cerr << args.positional[0] << ":" << n << ": position " << rec->position
                      << " where " << log.head() + 1
                      << " was expected: the export is incomplete or reordered\n";
            return 1;
        }
        const auto r = log.append(
            append_request{rec->stream,
                           rec->partition_key,
                           rec->version - 1,
                           {proposed_event{rec->type, rec->data, rec->time, rec->idempotency_key,
                                           rec->causation_id, rec->correlation_id, rec->traceparent,
                                           rec->tracestate}},
                           {},
                           rec->recorded_at});
        if (!r) {
            std::cerr << args.positional[0] << ":" << n << ": " << r.error().message() << '\n';
            return 1;
        }
        const auto stored = log.read_all(rec->position, 1);
        if (!stored || stored->empty() || stored->front().hash != rec->hash) {
            std::cerr << args.positional[0] << ":" << n
                      << ": the event's hash does not match its contents "
                      << "(position " << rec->position << "): the export was altered\n";
            return 1;
        }
    }
    std::cerr << "imported " << log.head() << " events; hash chain matches the export\n";
    return 0;
}

}  // namespace

int import_events(const cli_args& args) {
    const auto format = args.flag("format").value_or("");
    if ((format != "cfpb" && format != "jsonl") || args.positional.size() != 1) {
        std::cerr << "usage: bounceback import --format cfpb FILE --config F (--data DIR | --kafka "
                     "HOSTS [--topic T])\n"
                     "       bounceback import --format jsonl EXPORT.jsonl --data EMPTY_DIR\n";
        return 2;
    }
    if (format == "jsonl") return import_jsonl(args);
    const auto cfg = load(args);
    if (!cfg) return 2;
    std::ifstream in(args.positional[0], std::ios::binary);
    if (!in) {
        std::cerr << "bounceback import: cannot read " << args.positional[0] << '\n';
        return 2;
    }
    const auto imported = cfpb::import_csv(in);
    if (!imported) {
        std::cerr << "bounceback import: " << imported.error() << '\n';
        return 2;
    }
    for (const auto& e : imported->errors) std::cerr << "bounceback import: " << e << '\n';
    if (args.flag("kafka")) {
        std::size_t i = 0;
        const auto r = through_kafka("import", *cfg, args, [&](std::string& line) {
            if (i == imported->events.size()) return false;
            line = imported->events[i++].dump();
            return true;
        });
        return r != 0 ? r : imported->errors.empty() ? 0 : 1;
    }
    batch_engine engine(*cfg, data_dir(args, &*cfg));
    if (!engine.start()) return 1;
    {
        progress bar("import", imported->events.size());
        std::uint64_t done = 0;
        for (const auto& j : imported->events) {
            bar.update(++done);
            const auto e = inbound::parse_event(j);
            if (!e) {
                std::cerr << "bounceback import: " << e.error().field << " " << e.error().detail
                          << '\n';
                continue;
            }
            if (const auto r = engine.runner.feed(*e, "cfpb-import"); !r) {
                std::cerr << "bounceback import: storage failure: " << r.error().message() << '\n';
                return 1;
            }
        }
    }
    std::cerr << "imported " << imported->rows << " rows: ";
    engine.summary(std::cerr);
    return imported->errors.empty() ? 0 : 1;
}

int verify(const cli_args& args) {
    const auto dir = data_dir(args, nullptr);
    if (!std::filesystem::exists(db_path(dir))) {
        std::cerr << "bounceback verify: no event store in " << dir << '\n';
        return 2;
    }
    sqlite_event_log log({db_path(dir), true, 16});
    const auto report = verify_chain(log);
    if (!report) {
        std::cerr << "bounceback verify: " << report.error().message() << '\n';
        return 1;
    }
    if (!report->intact) {
        const auto& e = *report->first_bad;
        std::cout << "FAIL at position " << e.position << " (" << e.stream << " v" << e.version
                  << ", " << e.type << "): " << report->problem << '\n';
        return 1;
    }
    std::cout << "OK: " << report->events << " events, hash chain intact, head " << report->head
              << '\n';
    return 0;
}

// A realistic, seeded inbound workload as JSON Lines (for demos, `process`, `publish` and the
// benchmarks).
int simulate(const cli_args& args) {
    simulation s;
    try {
        if (const auto n = args.flag("events")) s.events = std::stoul(*n);
        if (const auto n = args.flag("seed")) s.seed = std::stoull(*n);
        if (const auto n = args.flag("customers")) s.customers = std::stoul(*n);
    } catch (const std::exception&) {
        std::cerr << "bounceback simulate: --events, --seed and --customers take numbers\n";
        return 2;
    }
    s.start = iso8601::parse_instant(args.flag("start").value_or("2026-01-05T08:00:00Z"))
                  .value_or(instant{});
    if (s.start == instant{}) {
        std::cerr << "bounceback simulate: --start must be an RFC 3339 instant\n";
        return 2;
    }
    bb::simulate(s, [](const nlohmann::json& e) { std::cout << e.dump() << '\n'; });
    return std::cout.good() ? 0 : 1;
}

}  // namespace bb::app
