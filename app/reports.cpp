// bounceback replay and bounceback audit: the read side from the log alone.
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "handlers/read_side.hpp"
#include "handlers/read_views.hpp"
#include "infra/codec/cloudevent_codec.hpp"
#include "infra/hash_chain.hpp"
#include "infra/iso8601.hpp"
#include "infra/sqlite_event_log.hpp"

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
    if (args.flag("format").value_or("json") != "json") {
        std::cerr << "bounceback replay: only --format json is available\n";
        return 2;
    }
    const auto db = store_of(args, &*cfg);
    if (!db) return 2;
    sqlite_event_log log({*db, true, 16});
    read_side reads(log);
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
            for (const auto& i : projection::at_risk(m, all, now)) items.push_back(to_json(i));
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
    std::cout << out.dump(2) << '\n';
    return 0;
}

int audit(const cli_args& args) {
    if (args.positional.size() != 1) {
        std::cerr << "usage: bounceback audit COMPLAINT_ID --data DIR [--format json]\n";
        return 2;
    }
    const auto db = store_of(args, nullptr);
    if (!db) return 2;
    sqlite_event_log log({*db, true, 16});
    const auto events = log.read_stream("complaint-" + args.positional[0], 1);
    if (!events) {
        std::cerr << "bounceback audit: " << events.error().message() << '\n';
        return 1;
    }
    if (events->empty()) {
        std::cerr << "bounceback audit: no complaint " << args.positional[0] << '\n';
        return 1;
    }
    bool intact = true;
    const bool as_json = args.flag("format").value_or("text") == "json";
    json timeline = json::array();
    for (const auto& e : *events) {
        // Each event's own hash proves its bytes; `verify` proves the chain across the log.
        const bool ok = chain_hash(e.prev_hash, e) == e.hash;
        intact = intact && ok;
        if (as_json) {
            auto ce = codec::to_cloudevent(e);
            ce["hash_ok"] = ok;
            timeline.push_back(ce);
            continue;
        }
        std::cout << iso8601::format_instant(e.time) << "  v" << e.version << "  " << e.type << "  "
                  << json::parse(e.data).dump() << "\n    caused by "
                  << (e.causation_id.empty() ? "-" : e.causation_id) << ", recorded "
                  << iso8601::format_instant(e.recorded_at) << ", position " << e.position
                  << ", hash " << e.hash.substr(0, 16) << (ok ? " ok" : " MISMATCH") << '\n';
    }
    if (as_json)
        std::cout << json{{"complaint_id", args.positional[0]},
                          {"intact", intact},
                          {"events", timeline}}
                         .dump(2)
                  << '\n';
    else
        std::cout << (intact ? "every event's hash matches its contents\n"
                             : "TAMPERED: a hash does not match\n");
    return intact ? 0 : 1;
}

}  // namespace bb::app
