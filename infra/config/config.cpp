#include "infra/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <date/tz.h>
#include <yaml-cpp/yaml.h>

#include "infra/iso8601.hpp"
#include "infra/standard_webhooks.hpp"

namespace bb {

std::string_view to_string(role r) {
    switch (r) {
        case role::agent:
            return "agent";
        case role::manager:
            return "manager";
        case role::auditor:
            return "auditor";
        case role::admin:
            return "admin";
    }
    return "unknown";
}

std::string_view to_string(source_kind k) {
    switch (k) {
        case source_kind::standard:
            return "standard";
        case source_kind::zammad:
            return "zammad";
        case source_kind::zendesk:
            return "zendesk";
        case source_kind::jira:
            return "jira";
        case source_kind::mapped:
            return "mapped";
    }
    return "unknown";
}

std::string_view to_string(subscription_kind k) {
    switch (k) {
        case subscription_kind::webhook:
            return "webhook";
        case subscription_kind::zendesk:
            return "zendesk";
        case subscription_kind::zammad:
            return "zammad";
        case subscription_kind::jira:
            return "jira";
    }
    return "unknown";
}

std::optional<role> parse_role(std::string_view s) {
    for (auto r : {role::agent, role::manager, role::auditor, role::admin})
        if (to_string(r) == s) return r;
    return std::nullopt;
}

namespace {

struct config_error {
    std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw config_error{path + ": " + what};
}

std::string scalar(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) fail(path, "must be a single value");
    return n.as<std::string>();
}

void only_keys(const YAML::Node& n, const std::string& path, std::set<std::string> allowed) {
    if (!n.IsMap()) fail(path.empty() ? "configuration" : path, "must be a mapping");
    for (const auto& kv : n) {
        const auto k = kv.first.as<std::string>();
        if (!allowed.contains(k)) fail(path.empty() ? k : path + "." + k, "unknown key");
    }
}

std::vector<std::string> strings(const YAML::Node& n, const std::string& path) {
    std::vector<std::string> out;
    if (!n) return out;
    if (n.IsScalar()) return {n.as<std::string>()};
    if (!n.IsSequence()) fail(path, "must be a list");
    for (std::size_t i = 0; i < n.size(); ++i)
        out.push_back(scalar(n[i], path + "[" + std::to_string(i) + "]"));
    return out;
}

std::string lower(std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return s;
}

// kind: mapped: `auth` and `map` (docs/integrations.md).
void read_mapping(const YAML::Node& n, const std::string& path, webhook_source& src) {
    const auto auth = n["auth"];
    only_keys(auth, path + ".auth", {"header", "value", "hmac", "encoding", "prefix"});
    if (auth["value"] && auth["hmac"])
        fail(path + ".auth.value", "is a header token; an HMAC is keyed by `secret`");
    if (!auth["header"]) fail(path + ".auth.header", "is required");
    src.auth_header = lower(scalar(auth["header"], path + ".auth.header"));
    if (src.auth_header.empty()) fail(path + ".auth.header", "must not be empty");
    if (const auto h = auth["hmac"]; h && !h.IsNull()) {
        src.auth_hmac = scalar(h, path + ".auth.hmac");
        if (src.auth_hmac != "sha1" && src.auth_hmac != "sha256")
            fail(path + ".auth.hmac", "must be sha1 or sha256");
    }
    if (const auto e = auth["encoding"]; e && !e.IsNull()) {
        src.auth_encoding = scalar(e, path + ".auth.encoding");
        if (src.auth_encoding != "hex" && src.auth_encoding != "base64")
            fail(path + ".auth.encoding", "must be hex or base64");
    }
    if (const auto p = auth["prefix"]; p && !p.IsNull())
        src.auth_prefix = scalar(p, path + ".auth.prefix");
    const auto map = n["map"];
    static const std::set<std::string> fields{
        "complaint_id", "status",   "owner",      "customer",   "segment",
        "value",        "severity", "team",       "channel",    "category",
        "product",      "summary",  "created_at", "updated_at", "delivery_id"};
    only_keys(map, path + ".map", fields);
    for (const auto& kv : map) {
        const auto field = kv.first.as<std::string>();
        const auto pointer = scalar(kv.second, path + ".map." + field);
        // RFC 6901: empty (the whole document) or "/"-separated tokens with ~0 and ~1 escapes.
        bool ok = pointer.empty() || pointer.front() == '/';
        for (std::size_t i = 0; ok && i < pointer.size(); ++i)
            if (pointer[i] == '~')
                ok = i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1');
        if (!ok) fail(path + ".map." + field, "must be a JSON Pointer like /ticket/id");
        src.map[field] = pointer;
    }
    for (const auto* required : {"complaint_id", "status", "customer"})
        if (!src.map.contains(required))
            fail(path + ".map." + required, "is required (a JSON Pointer into the payload)");
}

webhook_source read_webhook_source(const YAML::Node& n, const std::string& path) {
    if (!n.IsMap()) fail(path, "must be a map with a secret");
    only_keys(n, path,
              {"kind", "secret", "secrets", "priorities", "statuses", "teams", "categories",
               "category_field", "default_team", "default_category", "auth", "map"});
    webhook_source src;
    if (const auto k = n["kind"]; k && !k.IsNull()) {
        const auto kind = scalar(k, path + ".kind");
        bool known = false;
        for (const auto sk : {source_kind::standard, source_kind::zammad, source_kind::zendesk,
                              source_kind::jira, source_kind::mapped})
            if (to_string(sk) == kind) src.kind = sk, known = true;
        if (!known) fail(path + ".kind", "must be one of standard, zammad, zendesk, jira, mapped");
    }
    src.secrets = strings(n["secret"], path + ".secret");
    for (auto& s : strings(n["secrets"], path + ".secrets")) src.secrets.push_back(s);
    // kind: mapped may give its header token with the header (`auth: { header, value }`).
    if (src.kind == source_kind::mapped && n["auth"] && n["auth"].IsMap() && n["auth"]["value"])
        src.secrets.push_back(scalar(n["auth"]["value"], path + ".auth.value"));
    if (src.secrets.empty()) fail(path, "needs a secret");
    for (const auto& s : src.secrets) {
        if (src.kind != source_kind::standard) {
            if (s.empty()) fail(path + ".secret", "must not be empty");
            continue;
        }
        if (!s.starts_with("whsec_"))
            fail(path + ".secret", "must start with whsec_");
        else if (!webhooks::secret_key(s))
            fail(path + ".secret", "must be whsec_ followed by the key in base64");
    }
    const bool helpdesk = src.kind != source_kind::standard;
    for (const auto* key :
         {"priorities", "statuses", "teams", "categories", "default_team", "default_category"})
        if (const auto v = n[key]; v && !v.IsNull() && !helpdesk)
            fail(path + "." + key,
                 "applies to helpdesk kinds (zammad, zendesk, jira, mapped) only");
    for (const auto* key : {"auth", "map"}) {
        const auto v = n[key];
        const bool given = v && !v.IsNull();
        if (given && src.kind != source_kind::mapped)
            fail(path + "." + key, "applies to kind: mapped only");
        if (!given && src.kind == source_kind::mapped) fail(path + "." + key, "is required");
    }
    if (src.kind == source_kind::mapped) read_mapping(n, path, src);
    const auto table = [&](const char* key, auto&& read) {
        const auto t = n[key];
        if (!t || t.IsNull()) return;
        if (!t.IsMap()) fail(path + "." + key, "must map the helpdesk's value to ours");
        for (const auto& e : t) {
            const auto from = e.first.as<std::string>();
            read(lower(from), scalar(e.second, path + "." + key + "." + from),
                 path + "." + key + "." + from);
        }
    };
    table("priorities", [&](std::string from, const std::string& to, const std::string& at) {
        const auto sev = parse_severity(to);
        if (!sev) fail(at, "must be one of low, medium, high, critical");
        src.priorities[std::move(from)] = *sev;
    });
    table("statuses", [&](std::string from, const std::string& to, const std::string& at) {
        const auto st = parse_ticket_status(to);
        if (!st) fail(at, "must be one of open, pending, solved, withdrawn");
        src.statuses[std::move(from)] = *st;
    });
    table("teams", [&](std::string from, const std::string& to, const std::string& at) {
        if (to.empty()) fail(at, "must not be empty");
        src.teams[std::move(from)] = to;
    });
    for (auto& cat : strings(n["categories"], path + ".categories"))
        src.categories.push_back(lower(cat));
    if (const auto v = n["category_field"]; v && !v.IsNull())
        src.category_field = scalar(v, path + ".category_field");
    if (src.category_field.empty()) fail(path + ".category_field", "must not be empty");
    if (const auto v = n["default_team"]; v && !v.IsNull())
        src.default_team = scalar(v, path + ".default_team");
    if (const auto v = n["default_category"]; v && !v.IsNull())
        src.default_category = scalar(v, path + ".default_category");
    if (src.default_team.empty()) fail(path + ".default_team", "must not be empty");
    if (src.default_category.empty()) fail(path + ".default_category", "must not be empty");
    return src;
}

duration dur(const YAML::Node& n, const std::string& path, std::optional<duration> fallback = {}) {
    if (!n) {
        if (fallback) return *fallback;
        fail(path, "is required");
    }
    const auto text = scalar(n, path);
    const auto d = iso8601::parse_duration(text);
    if (!d)
        fail(path,
             "\"" + text + "\" is not an ISO 8601 duration in days or less (e.g. PT4H, P14D)");
    if (*d <= duration::zero()) fail(path, "must be longer than zero");
    return *d;
}

std::chrono::minutes clock_time(const std::string& text, const std::string& path) {
    int h = -1, m = -1;
    char colon = 0;
    std::istringstream in(text);
    in >> h >> colon >> m;
    if (!in || colon != ':' || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0))
        fail(path, "\"" + text + "\" is not a time of day HH:MM");
    return std::chrono::hours{h} + std::chrono::minutes{m};
}

business_calendar read_calendar(const std::string& id, const YAML::Node& n,
                                const std::string& path) {
    only_keys(n, path, {"time_zone", "hours", "holidays"});
    business_calendar cal{.id = id, .zone = nullptr, .weekly = {}, .holidays = {}};
    const auto tz =
        n["time_zone"] ? scalar(n["time_zone"], path + ".time_zone") : std::string("UTC");
    if (tz != "UTC") {
        try {
            cal.zone = date::locate_zone(tz);
        } catch (const std::exception&) {
            fail(path + ".time_zone", "\"" + tz + "\" is not an IANA time zone");
        }
    }
    const auto hours = n["hours"];
    if (!hours) fail(path + ".hours", "is required (a weekly schedule, or \"all\")");
    if (hours.IsScalar()) {
        if (hours.as<std::string>() != "all")
            fail(path + ".hours", "must be \"all\" or a weekly schedule");
        cal.weekly = business_calendar::always_open(id).weekly;
    } else {
        static const char* days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
        only_keys(hours, path + ".hours", {"sun", "mon", "tue", "wed", "thu", "fri", "sat"});
        for (int d = 0; d < 7; ++d) {
            const auto day = hours[days[d]];
            const auto dpath = path + ".hours." + days[d];
            if (!day) continue;
            if (!day.IsSequence()) fail(dpath, "must be [\"HH:MM\",\"HH:MM\"] or a list of them");
            // ["09:00","17:00"] or [["09:00","12:00"],["13:00","17:00"]]
            std::vector<YAML::Node> ranges;
            if (day.size() > 0 && day[0].IsScalar())
                ranges.push_back(day);
            else
                for (const auto& r : day) ranges.push_back(r);
            std::chrono::minutes last_end{0};
            for (const auto& r : ranges) {
                if (!r.IsSequence() || r.size() != 2)
                    fail(dpath, "a range is [\"HH:MM\",\"HH:MM\"]");
                const auto s = clock_time(scalar(r[0], dpath), dpath);
                const auto e = clock_time(scalar(r[1], dpath), dpath);
                if (e <= s) fail(dpath, "a range must end after it starts");
                if (s < last_end) fail(dpath, "ranges must be in order and must not overlap");
                last_end = e;
                cal.weekly[d].push_back(opening_hours{s, e});
            }
        }
        if (!cal.has_hours()) fail(path + ".hours", "has no opening hours at all");
    }
    const auto hol = strings(n["holidays"], path + ".holidays");
    for (std::size_t i = 0; i < hol.size(); ++i) {
        const auto ymd = hol[i].size() == 10 ? iso8601::parse_date(hol[i]) : std::nullopt;
        if (!ymd) fail(path + ".holidays[" + std::to_string(i) + "]", "is not a date YYYY-MM-DD");
        cal.holidays.insert(date::local_days{*ymd});
    }
    return cal;
}

sla_policy read_policy(const YAML::Node& n, const std::string& path, const policy_book& book) {
    only_keys(n, path,
              {"id", "version", "match", "calendar", "acknowledge", "resolve", "bounce_back",
               "warn_at", "reopen_within", "escalation", "max_level"});
    sla_policy p;
    if (!n["id"]) fail(path + ".id", "is required");
    p.id = scalar(n["id"], path + ".id");
    p.version = n["version"] ? n["version"].as<int>(0) : 1;
    if (p.version < 1) fail(path + ".version", "must be a positive integer");
    if (const auto m = n["match"]) {
        only_keys(m, path + ".match", {"segment", "severity", "channel"});
        p.match.segments = strings(m["segment"], path + ".match.segment");
        p.match.channels = strings(m["channel"], path + ".match.channel");
        for (const auto& s : strings(m["severity"], path + ".match.severity")) {
            const auto sev = parse_severity(s);
            if (!sev)
                fail(path + ".match.severity",
                     "\"" + s + "\" is not low, medium, high or critical");
            p.match.severities.push_back(*sev);
        }
    }
    if (!n["calendar"]) fail(path + ".calendar", "is required");
    p.calendar = scalar(n["calendar"], path + ".calendar");
    if (!book.calendar(p.calendar))
        fail(path + ".calendar", "\"" + p.calendar + "\" is not a calendar in calendars");
    p.acknowledge = dur(n["acknowledge"], path + ".acknowledge");
    p.resolve = dur(n["resolve"], path + ".resolve");
    p.bounce_back = dur(n["bounce_back"], path + ".bounce_back", std::chrono::days{14});
    p.reopen_within = dur(n["reopen_within"], path + ".reopen_within", std::chrono::days{30});
    // Business time is counted over at most three years of the calendar's days: a target it
    // cannot reach there has no due instant, and would be recorded as one that is no instant.
    for (const auto& [name, amount] :
         {std::pair{"acknowledge", p.acknowledge}, std::pair{"resolve", p.resolve}})
        if (add_business_time(*book.calendar(p.calendar), instant{}, amount) == instant::max())
            fail(path + "." + name,
                 "is more business time than calendar \"" + p.calendar + "\" has in three years");
    p.warn_at = n["warn_at"] ? n["warn_at"].as<double>(-1) : 0.8;
    if (!(p.warn_at > 0 && p.warn_at <= 1)) fail(path + ".warn_at", "must be a fraction in (0, 1]");
    p.max_level = n["max_level"] ? n["max_level"].as<int>(-1) : 3;
    if (p.max_level < 1) fail(path + ".max_level", "must be a positive integer");
    if (const auto esc = n["escalation"]) {
        if (!esc.IsSequence()) fail(path + ".escalation", "must be a list of rules");
        for (std::size_t i = 0; i < esc.size(); ++i) {
            const auto rpath = path + ".escalation[" + std::to_string(i) + "]";
            only_keys(esc[i], rpath, {"on", "to_level", "target", "min_customer_value"});
            escalation_rule r;
            if (!esc[i]["on"]) fail(rpath + ".on", "is required");
            const auto on = parse_escalation_trigger(scalar(esc[i]["on"], rpath + ".on"));
            if (!on)
                fail(rpath + ".on",
                     "must be intake, warning, breach, reopen, bounce_back_missed or manual");
            r.on = *on;
            if (!esc[i]["to_level"]) fail(rpath + ".to_level", "is required");
            r.to_level = esc[i]["to_level"].as<int>(-1);
            if (r.to_level < 1 || r.to_level > p.max_level)
                fail(rpath + ".to_level",
                     "must be between 1 and max_level (" + std::to_string(p.max_level) + ")");
            if (esc[i]["target"]) {
                const auto t = parse_sla_target(scalar(esc[i]["target"], rpath + ".target"));
                if (!t) fail(rpath + ".target", "must be acknowledge, resolve or bounce_back");
                r.target = *t;
            }
            if (esc[i]["min_customer_value"]) {
                // "10000" (the default currency) or "10000 EUR"; read as text, never a float.
                const auto path = rpath + ".min_customer_value";
                auto m = parse_money(scalar(esc[i]["min_customer_value"], path));
                if (!m || m->amount < 0)
                    fail(path,
                         "must be an amount such as 10000 or \"10000 EUR\" (an ISO 4217 code)");
                m->cur = m->cur.or_default(book.default_currency);
                r.min_customer_value = *m;
            }
            p.escalation.push_back(r);
        }
    }
    return p;
}

void apply_override(YAML::Node root, const std::string& dotted, const std::string& value) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(dotted);
    while (std::getline(in, part, '.')) parts.push_back(part);
    if (parts.empty()) fail(dotted, "empty override key");
    std::vector<YAML::Node> chain{root};
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        YAML::Node next = chain.back()[parts[i]];
        if (!next.IsDefined() || next.IsNull()) {
            chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
            next = chain.back()[parts[i]];
        }
        chain.push_back(next);
    }
    chain.back()[parts.back()] = YAML::Load(value);
}

config read_config(YAML::Node root) {
    config c;
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    only_keys(root, "",
              {"listen", "data_dir", "http", "storage", "kafka", "webhook_sources", "tokens",
               "calendars", "policies", "subscriptions", "outbound", "scores", "future_tolerance",
               "default_currency"});
    if (root["listen"]) c.listen = scalar(root["listen"], "listen");
    if (c.listen.rfind(':') == std::string::npos) fail("listen", "must be host:port");
    if (root["data_dir"]) c.data_dir = scalar(root["data_dir"], "data_dir");
    if (root["future_tolerance"])
        c.future_tolerance = dur(root["future_tolerance"], "future_tolerance");
    if (root["default_currency"]) {
        const auto cur = currency::parse(scalar(root["default_currency"], "default_currency"));
        if (!cur) fail("default_currency", "must be an ISO 4217 code such as USD or EUR");
        c.book.default_currency = *cur;
    }
    if (const auto h = root["http"]; h && !h.IsNull()) {
        only_keys(h, "http", {"workers", "io_threads"});
        if (h["workers"]) {
            c.http_workers = h["workers"].as<int>(0);
            if (c.http_workers < 1 || c.http_workers > 1024)
                fail("http.workers", "must be a whole number from 1 to 1024");
        }
        if (h["io_threads"]) {
            c.http_io_threads = h["io_threads"].as<int>(-1);
            if (c.http_io_threads < 0 || c.http_io_threads > 64)
                fail("http.io_threads", "must be a whole number from 0 (one per core) to 64");
        }
    }
    if (const auto s = root["storage"]) {
        only_keys(s, "storage", {"synchronous", "cached_streams"});
        const auto sync =
            s["synchronous"] ? scalar(s["synchronous"], "storage.synchronous") : "full";
        if (sync != "full" && sync != "normal")
            fail("storage.synchronous", "must be full or normal");
        c.synchronous_full = sync == "full";
        if (s["cached_streams"]) {
            const auto n = s["cached_streams"].as<long long>(-1);
            if (n < 1 || n > 100'000'000)
                fail("storage.cached_streams", "must be a whole number from 1 to 100000000");
            c.cached_streams = static_cast<std::size_t>(n);
        }
    }
    if (const auto k = root["kafka"]; k && !k.IsNull()) {
        only_keys(
            k, "kafka",
            {"brokers", "inbound_topic", "events_topic", "deadletter_topic", "outcomes_topic",
             "outcome_window", "deliveries_topic", "deliveries_retention", "group", "instance_id",
             "partitions", "replication_factor", "min_insync_replicas", "max_batch", "client"});
        if (k["brokers"] && !k["brokers"].IsNull())
            c.kafka.brokers = scalar(k["brokers"], "kafka.brokers");
        if (k["inbound_topic"])
            c.kafka.inbound_topic = scalar(k["inbound_topic"], "kafka.inbound_topic");
        if (k["events_topic"])
            c.kafka.events_topic = scalar(k["events_topic"], "kafka.events_topic");
        if (k["deadletter_topic"])
            c.kafka.deadletter_topic = scalar(k["deadletter_topic"], "kafka.deadletter_topic");
        if (k["outcomes_topic"])
            c.kafka.outcomes_topic = scalar(k["outcomes_topic"], "kafka.outcomes_topic");
        if (k["deliveries_topic"])
            c.kafka.deliveries_topic = scalar(k["deliveries_topic"], "kafka.deliveries_topic");
        if (k["deliveries_retention"]) {
            c.kafka.deliveries_retention =
                dur(k["deliveries_retention"], "kafka.deliveries_retention");
            if (c.kafka.deliveries_retention < std::chrono::hours{1})
                fail("kafka.deliveries_retention", "must be at least PT1H");
        }
        if (k["outcome_window"]) {
            c.kafka.outcome_window = dur(k["outcome_window"], "kafka.outcome_window");
            if (c.kafka.outcome_window < std::chrono::minutes{1} ||
                c.kafka.outcome_window > std::chrono::hours{24})
                fail("kafka.outcome_window",
                     "must be from PT1M to PT24H (the outcomes topic keeps a day)");
        }
        if (k["group"]) c.kafka.group = scalar(k["group"], "kafka.group");
        if (k["instance_id"]) c.kafka.instance_id = scalar(k["instance_id"], "kafka.instance_id");
        if (k["partitions"]) {
            c.kafka.partitions = k["partitions"].as<int>(0);
            if (c.kafka.partitions < 1 || c.kafka.partitions > 1000)
                fail("kafka.partitions", "must be a whole number from 1 to 1000");
        }
        if (k["replication_factor"]) {
            c.kafka.replication_factor = k["replication_factor"].as<int>(-1);
            if (c.kafka.replication_factor < 0 || c.kafka.replication_factor > 32767)
                fail("kafka.replication_factor",
                     "must be 0 (min(3, brokers)) or a whole number of replicas");
        }
        if (k["min_insync_replicas"]) {
            c.kafka.min_insync_replicas = k["min_insync_replicas"].as<int>(-1);
            if (c.kafka.min_insync_replicas < 0 || c.kafka.min_insync_replicas > 32767)
                fail("kafka.min_insync_replicas",
                     "must be 0 (min(2, replication factor)) or a whole number of replicas");
            if (c.kafka.replication_factor > 0 &&
                c.kafka.min_insync_replicas > c.kafka.replication_factor)
                fail("kafka.min_insync_replicas",
                     "cannot exceed kafka.replication_factor: no write would ever succeed");
        }
        if (k["max_batch"]) {
            c.kafka.max_batch = k["max_batch"].as<int>(0);
            if (c.kafka.max_batch < 1 || c.kafka.max_batch > 100000)
                fail("kafka.max_batch", "must be a whole number from 1 to 100000");
        }
        if (const auto props = k["client"]; props && !props.IsNull()) {
            if (!props.IsMap()) fail("kafka.client", "must be a map of librdkafka properties");
            // Exactly-once and the group protocol depend on these; a typo here must not
            // silently weaken them.
            static constexpr std::string_view reserved[] = {"bootstrap.servers",
                                                            "group.id",
                                                            "transactional.id",
                                                            "enable.idempotence",
                                                            "isolation.level",
                                                            "enable.auto.commit",
                                                            "acks",
                                                            "transaction.timeout.ms"};
            for (const auto& kv : props) {
                const auto key = scalar(kv.first, "kafka.client");
                if (std::find(std::begin(reserved), std::end(reserved), key) != std::end(reserved))
                    fail("kafka.client." + key, "is set by Bounceback and cannot be overridden");
                c.kafka.client_properties.emplace_back(key,
                                                       scalar(kv.second, "kafka.client." + key));
            }
        }
    }
    if (const auto ws = root["webhook_sources"]; ws && !ws.IsNull()) {
        if (!ws.IsMap())
            fail("webhook_sources", "must map a source name to { secret } or { secrets }");
        for (const auto& kv : ws) {
            const auto name = kv.first.as<std::string>();
            c.webhook_sources[name] = read_webhook_source(kv.second, "webhook_sources." + name);
        }
    }
    if (const auto t = root["tokens"]; t && !t.IsNull()) {
        if (!t.IsMap()) fail("tokens", "must map a bearer token to a role");
        for (const auto& kv : t) {
            const auto r = parse_role(scalar(kv.second, "tokens.<token>"));
            // The token itself is a secret: never echo it in an error.
            if (!r) fail("tokens.<token>", "role must be agent, manager, auditor or admin");
            c.tokens[kv.first.as<std::string>()] = *r;
        }
    }
    if (const auto cals = root["calendars"]; cals && !cals.IsNull()) {
        if (!cals.IsMap()) fail("calendars", "must map a calendar id to its definition");
        for (const auto& kv : cals) {
            const auto id = kv.first.as<std::string>();
            c.book.calendars.emplace(id, read_calendar(id, kv.second, "calendars." + id));
        }
    }
    const auto pols = root["policies"];
    if (!pols || !pols.IsSequence() || pols.size() == 0)
        fail("policies", "at least one SLA policy is required");
    std::set<std::string> ids;
    for (std::size_t i = 0; i < pols.size(); ++i) {
        auto p = read_policy(pols[i], "policies[" + std::to_string(i) + "]", c.book);
        if (!ids.insert(p.id).second)
            fail("policies[" + std::to_string(i) + "].id", "\"" + p.id + "\" is used twice");
        c.book.policies.push_back(std::move(p));
    }
    if (const auto subs = root["subscriptions"]; subs && !subs.IsNull()) {
        if (!subs.IsSequence()) fail("subscriptions", "must be a list");
        for (std::size_t i = 0; i < subs.size(); ++i) {
            const auto path = "subscriptions[" + std::to_string(i) + "]";
            only_keys(subs[i], path,
                      {"id", "url", "secret", "secrets", "types", "allow_private", "kind", "source",
                       "auth"});
            subscription_config s;
            s.id = subs[i]["id"] ? scalar(subs[i]["id"], path + ".id")
                                 : "sub-" + std::to_string(i + 1);
            for (const auto& other : c.subscriptions)
                if (other.id == s.id) fail(path + ".id", "\"" + s.id + "\" is used twice");
            if (const auto k = subs[i]["kind"]; k && !k.IsNull()) {
                const auto kind = scalar(k, path + ".kind");
                bool known = false;
                for (const auto sk : {subscription_kind::webhook, subscription_kind::zendesk,
                                      subscription_kind::zammad, subscription_kind::jira})
                    if (to_string(sk) == kind) s.kind = sk, known = true;
                if (!known) fail(path + ".kind", "must be one of webhook, zendesk, zammad, jira");
            }
            if (!subs[i]["url"]) fail(path + ".url", "is required");
            s.url = scalar(subs[i]["url"], path + ".url");
            if (!s.url.starts_with("http://") && !s.url.starts_with("https://"))
                fail(path + ".url", "must be an http or https URL");
            s.secrets = strings(subs[i]["secret"], path + ".secret");
            for (auto& x : strings(subs[i]["secrets"], path + ".secrets")) s.secrets.push_back(x);
            if (s.kind == subscription_kind::webhook) {
                if (subs[i]["source"] || subs[i]["auth"])
                    fail(path + (subs[i]["source"] ? ".source" : ".auth"),
                         "applies to helpdesk kinds (zendesk, zammad, jira) only");
                if (s.secrets.empty()) fail(path, "needs a secret");
                for (const auto& x : s.secrets)
                    if (!webhooks::secret_key(x))
                        fail(path + ".secret", "must be whsec_ followed by the key in base64");
            } else {
                if (!s.secrets.empty())
                    fail(path + ".secret", "a helpdesk is called with `auth`, not signed");
                if (!subs[i]["source"]) fail(path + ".source", "is required");
                s.source = scalar(subs[i]["source"], path + ".source");
                if (!c.webhook_sources.contains(s.source))
                    fail(path + ".source", "names no webhook source (its tickets are updated)");
                const auto auth = subs[i]["auth"];
                if (!auth) fail(path + ".auth", "is required");
                only_keys(auth, path + ".auth", {"email", "token"});
                if (!auth["token"]) fail(path + ".auth.token", "is required");
                s.auth_token = scalar(auth["token"], path + ".auth.token");
                if (auth["email"]) s.auth_email = scalar(auth["email"], path + ".auth.email");
                if (s.kind != subscription_kind::zammad && s.auth_email.empty())
                    fail(path + ".auth.email", "is required (the API token's agent)");
                while (s.url.ends_with('/')) s.url.pop_back();
            }
            s.types = strings(subs[i]["types"], path + ".types");
            // A helpdesk hears of what an agent must act on, unless told otherwise.
            if (s.kind != subscription_kind::webhook) {
                const std::vector<std::string> told{"SlaWarningRaised", "SlaBreached",
                                                    "SlaReconciled", "ComplaintEscalated"};
                if (s.types.empty()) s.types = told;
                for (const auto& t : s.types)
                    if (std::ranges::find(told, t) == told.end())
                        fail(path + ".types",
                             "a helpdesk is told of SlaWarningRaised, SlaBreached, "
                             "SlaReconciled and ComplaintEscalated only, not " +
                                 t);
            }
            s.allow_private = subs[i]["allow_private"] && subs[i]["allow_private"].as<bool>(false);
            c.subscriptions.push_back(std::move(s));
        }
    }
    if (const auto o = root["outbound"]; o && !o.IsNull()) {
        only_keys(o, "outbound", {"retry_schedule", "timeout", "jitter"});
        if (o["retry_schedule"]) {
            c.outbound.retry_schedule.clear();
            const auto list = strings(o["retry_schedule"], "outbound.retry_schedule");
            if (list.empty()) fail("outbound.retry_schedule", "needs at least one attempt");
            for (const auto& d : list) {
                const auto parsed = iso8601::parse_duration(d);
                if (!parsed)
                    fail("outbound.retry_schedule", "\"" + d + "\" is not an ISO 8601 duration");
                c.outbound.retry_schedule.push_back(
                    std::chrono::duration_cast<std::chrono::seconds>(*parsed));
            }
        }
        if (o["timeout"]) {
            const auto t = iso8601::parse_duration(scalar(o["timeout"], "outbound.timeout"));
            if (!t || *t <= decltype(*t){})
                fail("outbound.timeout", "must be a positive ISO 8601 duration");
            c.outbound.timeout = std::chrono::duration_cast<std::chrono::seconds>(*t);
        }
        if (o["jitter"]) {
            c.outbound.jitter = o["jitter"].as<double>(-1);
            if (c.outbound.jitter < 0 || c.outbound.jitter > 1)
                fail("outbound.jitter", "must be a fraction from 0 to 1");
        }
    }
    if (const auto sc = root["scores"]; sc && !sc.IsNull()) {
        only_keys(sc, "scores", {"weights", "prior_strength"});
        if (const auto w = sc["weights"]) {
            only_keys(w, "scores.weights",
                      {"acknowledge", "resolve", "bounce_back", "no_reopen", "praise"});
            for (auto [name, slot] : {std::pair{"acknowledge", &c.scores.acknowledge},
                                      {"resolve", &c.scores.resolve},
                                      {"bounce_back", &c.scores.bounce_back},
                                      {"no_reopen", &c.scores.no_reopen},
                                      {"praise", &c.scores.praise}})
                if (w[name]) {
                    *slot = w[name].as<double>(-1);
                    if (*slot < 0)
                        fail(std::string("scores.weights.") + name, "must be a number >= 0");
                }
        }
        if (sc["prior_strength"]) {
            c.scores.prior_strength = sc["prior_strength"].as<double>(-1);
            if (c.scores.prior_strength < 0) fail("scores.prior_strength", "must be a number >= 0");
        }
    }
    return c;
}

}  // namespace

std::expected<config, std::string> load_config(const std::string& yaml_text,
                                               const config_overrides& overrides) {
    try {
        YAML::Node root = YAML::Load(yaml_text);
        if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
        for (const auto& [k, v] : overrides) apply_override(root, k, v);
        return read_config(root);
    } catch (const config_error& e) {
        return std::unexpected(e.message);
    } catch (const YAML::Exception& e) {
        return std::unexpected(std::string("invalid YAML: ") + e.what());
    }
}

std::expected<config, std::string> load_config_file(const std::string& path,
                                                    const config_overrides& overrides) {
    std::ifstream in(path);
    if (!in) return std::unexpected("cannot read config file " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return load_config(text.str(), overrides);
}

}  // namespace bb
