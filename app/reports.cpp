// bounceback replay and bounceback audit: the read side from the log alone.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "handlers/audit_view.hpp"
#include "handlers/read_views.hpp"
#include "handlers/stream_fold.hpp"
#include "handlers/whatif.hpp"
#include "infra/hash_chain.hpp"
#include "infra/iso8601.hpp"
#include "infra/kafka/topic_view.hpp"
#include "infra/sqlite/sqlite_event_log.hpp"
#include "services/read_side.hpp"

namespace bb::app {

using nlohmann::json;

namespace {
std::optional<std::string> store_of(const cli_args& args, const config* cfg) {
    auto dir = args.flag("data");
    if (!dir) dir = args.flag("data-dir");
    if (!dir && cfg) dir = cfg->data_dir;
    if (!dir) dir = "./var";
    const auto db = (std::filesystem::path(*dir) / "events.db").string();
    if (!std::filesystem::exists(db)) {
        std::cerr << "bounceback: no event store in " << *dir << '\n';
        return std::nullopt;
    }
    return db;
}

// A copy of the topic in a temporary directory, removed with it: the view reads the log
// through its SQLite copy (as a serving instance's read side does).
class scratch_view final {
  public:
    explicit scratch_view(const std::string& topic)
        : dir_(std::filesystem::temp_directory_path() /
               ("bounceback-" + topic + "-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(dir_);
    }
    ~scratch_view() {
        view.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    std::string path() const { return (dir_ / "view.db").string(); }
    std::unique_ptr<kafka::topic_view> view;

  private:
    std::filesystem::path dir_;
};

// The log a report reads: the embedded store under --data, or with --kafka HOSTS the events
// topic (--topic, else the config's kafka.events_topic), read to its end as of now. Positions
// then count events in the order they were read, partition by partition; hashes, versions and
// the events themselves are the topic's.
struct opened_log {
    std::unique_ptr<scratch_view> scratch;
    std::unique_ptr<event_log> embedded;
    event_log* operator->() const { return scratch ? scratch->view.get() : embedded.get(); }
    event_log& operator*() const { return *operator->(); }
    explicit operator bool() const { return scratch || embedded; }
};

opened_log open_log(const cli_args& args, const config* cfg, const char* cmd) {
    if (const auto brokers = args.flag("kafka")) {
        const auto topic = args.flag("topic").value_or(cfg && !cfg->kafka.events_topic.empty()
                                                           ? cfg->kafka.events_topic
                                                           : std::string("complaints.events"));
        auto scratch = std::make_unique<scratch_view>(topic);
        scratch->view =
            std::make_unique<kafka::topic_view>(cli_client(*brokers, cfg), topic, scratch->path());
        auto& view = *scratch->view;
        if (const auto r = view.start(); !r) {
            std::cerr << "bounceback " << cmd << ": " << r.error() << '\n';
            return {};
        }
        // caught_up() is set by the view's thread once it holds every partition's end as of
        // its start; nothing else to wait on.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes{10};
        while (!view.caught_up()) {
            if (std::chrono::steady_clock::now() > deadline) {
                std::cerr << "bounceback " << cmd << ": " << topic
                          << " was not read to its end within 10 minutes\n";
                return {};
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        opened_log out;
        out.scratch = std::move(scratch);
        return out;
    }
    const auto db = store_of(args, cfg);
    if (!db) return {};
    opened_log out;
    out.embedded = std::make_unique<sqlite_event_log>(sqlite_event_log::options{*db, true, 16});
    return out;
}
}  // namespace

int replay(const cli_args& args) {
    const auto cfg = load(args);
    if (!cfg) return 2;
    std::optional<instant> until;
    if (const auto u = args.flag("until")) {
        until = iso8601::parse_instant(*u);
        if (!until) {
            std::cerr << "bounceback replay: --until must be an RFC 3339 instant\n";
            return 2;
        }
    }
    const auto which = args.flag("projection").value_or("all");
    if (which != "all" && which != "sla" && which != "at-risk" && which != "prevention" &&
        which != "employees") {
        std::cerr << "bounceback replay: --projection is one of sla, at-risk, prevention, "
                     "employees, all\n";
        return 2;
    }
    const auto format = args.flag("format").value_or("json");
    if (format != "json" && format != "csv") {
        std::cerr << "bounceback replay: --format is json or csv\n";
        return 2;
    }
    if (format == "csv" && which == "all") {
        std::cerr << "bounceback replay: --format csv needs one --projection (sla, at-risk, "
                     "prevention, employees)\n";
        return 2;
    }
    const auto log = open_log(args, &*cfg, "replay");
    if (!log) return 2;
    read_side reads(*log);
    if (const auto r = reads.replay(until); !r) {
        std::cerr << "bounceback replay: " << r.error() << '\n';
        return 1;
    }
    // "As of" T: what the log had recorded by T, with T as "now" for time-left figures.
    const auto now =
        until.value_or(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    json out{{"as_of", iso8601::format_instant(now)}, {"position", reads.position()}};
    reads.read([&](const projection::read_model& m) {
        const projection::report_filter all;
        if (which == "all" || which == "sla")
            out["sla"] =
                to_json(projection::summarize(m, cfg->book, all, projection::period::week));
        if (which == "all" || which == "at-risk") {
            json items = json::array();
            for (const auto& i : projection::at_risk(m, all, now, cfg->book.default_currency))
                items.push_back(to_json(i));
            out["at_risk"] = items;
        }
        if (which == "all" || which == "prevention")
            out["prevention"] = prevention_report(m, all, {}, 8, now);
        if (which == "all" || which == "employees") {
            json items = json::array();
            for (const auto& s : projection::employee_scores(m, all, cfg->scores))
                items.push_back(to_json(s));
            out["employees"] = {{"items", items}, {"weights", weights_json(cfg->scores)}};
        }
        return 0;
    });
    if (format == "json") {
        std::cout << out.dump(2) << '\n';
        return 0;
    }
    // CSV: one table per projection, for spreadsheets.
    auto field = [](const json& v) {
        std::string s = v.is_string() ? v.get<std::string>()
                        : v.is_null() ? std::string{}
                                      : v.dump();
        if (s.find_first_of(",\"\n") == std::string::npos) return s;
        std::string q = "\"";
        for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        return q + "\"";
    };
    auto table = [&](const json& rows,
                     const std::vector<std::pair<std::string, json::json_pointer>>& cols) {
        for (std::size_t i = 0; i < cols.size(); ++i) std::cout << (i ? "," : "") << cols[i].first;
        std::cout << '\n';
        for (const auto& r : rows) {
            for (std::size_t i = 0; i < cols.size(); ++i)
                std::cout << (i ? "," : "")
                          << (r.contains(cols[i].second) ? field(r[cols[i].second])
                                                         : std::string{});
            std::cout << '\n';
        }
    };
    using P = json::json_pointer;
    if (which == "sla")
        table(out["sla"]["buckets"], {{"period", P("/period")},
                                      {"team", P("/team")},
                                      {"segment", P("/segment")},
                                      {"policy", P("/policy")},
                                      {"severity", P("/severity")},
                                      {"acknowledge_met", P("/acknowledge/met")},
                                      {"acknowledge_missed", P("/acknowledge/missed")},
                                      {"resolve_met", P("/resolve/met")},
                                      {"resolve_missed", P("/resolve/missed")},
                                      {"bounce_back_met", P("/bounce_back/met")},
                                      {"bounce_back_missed", P("/bounce_back/missed")}});
    else if (which == "at-risk")
        table(out["at_risk"], {{"complaint_id", P("/complaint_id")},
                               {"customer_id", P("/customer_id")},
                               {"customer_value", P("/customer_value")},
                               {"team", P("/team")},
                               {"owner", P("/owner")},
                               {"target", P("/target")},
                               {"due", P("/due")},
                               {"seconds_left", P("/seconds_left")},
                               {"breached", P("/breached")}});
    else if (which == "prevention")
        table(out["prevention"]["pareto"], {{"category", P("/category")},
                                            {"count", P("/count")},
                                            {"share", P("/share")},
                                            {"cumulative_share", P("/cumulative_share")}});
    else
        table(out["employees"]["items"], {{"employee_id", P("/employee_id")},
                                          {"score", P("/score")},
                                          {"compliments", P("/compliments")},
                                          {"owned", P("/owned")},
                                          {"attributed", P("/attributed")}});
    return 0;
}

int audit(const cli_args& args) {
    if (args.positional.size() != 1) {
        std::cerr
            << "usage: bounceback audit COMPLAINT_ID (--data DIR | --kafka HOSTS [--topic T]) "
               "[--format json]\n";
        return 2;
    }
    const auto log = open_log(args, nullptr, "audit");
    if (!log) return 2;
    const auto events = log->read_stream(complaint_stream(complaint_id{args.positional[0]}), 1);
    if (!events) {
        std::cerr << "bounceback audit: " << events.error().message() << '\n';
        return 1;
    }
    if (events->empty()) {
        std::cerr << "bounceback audit: no complaint " << args.positional[0] << '\n';
        return 1;
    }
    // The same trail GET /v1/complaints/{id}/history answers with.
    const auto trail = complaint_audit(args.positional[0], *events);
    if (args.flag("format").value_or("text") == "json") {
        std::cout << trail.body.dump(2) << '\n';
        return trail.intact ? 0 : 1;
    }
    for (const auto& e : *events) {
        // Each event's own hash proves its bytes; `verify` proves the chain across the log.
        const bool ok = chain_hash(e.prev_hash, e) == e.hash;
        std::cout << iso8601::format_instant(e.time) << "  v" << e.version << "  " << e.type << "  "
                  << json::parse(e.data).dump() << "\n    caused by "
                  << (e.causation_id.empty() ? "-" : e.causation_id)
                  << (e.traceparent.empty() ? "" : " in trace " + e.traceparent.substr(3, 32))
                  << ", recorded " << iso8601::format_instant(e.recorded_at) << ", position "
                  << e.position << ", hash " << e.hash.substr(0, 16) << (ok ? " ok" : " MISMATCH")
                  << '\n';
    }
    std::cout << (trail.intact ? "every event's hash matches its contents\n"
                               : "TAMPERED: a hash does not match\n");
    return trail.intact ? 0 : 1;
}

namespace {
json outcome_json(const whatif::sla_outcome& o) {
    return {{"policy", o.policy},
            {"acknowledge", o.acknowledge},
            {"resolve", o.resolve},
            {"escalation_level", o.escalation_level},
            {"status", o.status}};
}
}  // namespace

int whatif_report(const cli_args& args) {
    // The new policies and calendars: --config (the data directory is the one to read).
    const auto cfg = load(args);
    if (!cfg) return 2;
    instant horizon = std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
    if (const auto u = args.flag("until")) {
        const auto t = iso8601::parse_instant(*u);
        if (!t) {
            std::cerr << "bounceback whatif: --until must be an RFC 3339 instant\n";
            return 2;
        }
        horizon = *t;
    }
    std::size_t limit = 1000;
    if (const auto l = args.flag("limit")) {
        try {
            limit = std::stoul(*l);
        } catch (const std::exception&) {
            std::cerr << "bounceback whatif: --limit must be a number\n";
            return 2;
        }
    }
    const auto log = open_log(args, &*cfg, "whatif");
    if (!log) return 2;
    // Every complaint's events, by stream (a report over the whole history: its memory grows
    // with the log, which `whatif` only reads).
    std::map<std::string, std::vector<complaint_event>> streams;
    for (std::int64_t from = 1;;) {
        const auto page = log->read_all(from, 4096);
        if (!page) {
            std::cerr << "bounceback whatif: " << page.error().message() << '\n';
            return 1;
        }
        if (page->empty()) break;
        for (const auto& r : *page) {
            const auto e = decode_stored(r);
            if (!e) {
                std::cerr << "bounceback whatif: event " << r.position << ": "
                          << e.error().message() << '\n';
                return 1;
            }
            if (const auto* c = std::get_if<complaint_event>(&*e)) streams[r.stream].push_back(*c);
        }
        from = page->back().position + 1;
    }
    whatif::totals totals;
    json changes = json::array();
    for (const auto& [_, events] : streams) {
        const auto c = whatif::rerun(cfg->book, events, horizon);
        whatif::add(totals, c);
        if (!c.changed() || changes.size() >= limit) continue;
        json row{{"complaint_id", c.id.value()},
                 {"before", outcome_json(c.before)},
                 {"after", outcome_json(c.after)}};
        if (c.refused)
            row["refused"] = {{"reason", std::string(to_string(c.refused->code))},
                              {"detail", c.refused->detail}};
        changes.push_back(std::move(row));
    }
    json out{{"horizon", iso8601::format_instant(horizon)},
             {"summary",
              {{"complaints", totals.complaints},
               {"changed", totals.changed},
               {"refused", totals.refused},
               {"before", totals.before},
               {"after", totals.after}}},
             {"changes", changes}};
    std::cout << out.dump(2) << '\n';
    return 0;
}

}  // namespace bb::app
