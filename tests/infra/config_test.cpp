#include <date/date.h>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "infra/config/config.hpp"
#include "infra/iso8601.hpp"

using namespace bb;
using namespace std::chrono_literals;

namespace {
const std::string minimal = R"(
calendars:
  office: { time_zone: Europe/Berlin, hours: { mon: ["09:00","17:00"], fri: [["09:00","12:00"],["13:00","17:00"]] }, holidays: ["2026-12-25"] }
  always: { time_zone: UTC, hours: all }
policies:
  - id: vip
    match: { segment: [vip], severity: [high, critical] }
    calendar: always
    acknowledge: PT15M
    resolve: PT4H
    escalation: [ { on: warning, to_level: 1 }, { on: breach, target: resolve, to_level: 2 } ]
  - id: standard
    calendar: office
    acknowledge: PT4H
    resolve: P2D
tokens: { "t-1": manager }
webhook_sources: { helpdesk: { secret: "whsec_c2VjcmV0" } }
)";

std::string error_of(const std::string& yaml, const config_overrides& o = {}) {
    const auto c = load_config(yaml, o);
    REQUIRE_FALSE(c.has_value());
    return c.error();
}
}  // namespace

TEST_CASE("a valid configuration is read completely", "[infra][config]") {
    const auto c = load_config(minimal);
    REQUIRE(c.has_value());
    CHECK(c->listen == "127.0.0.1:8080");
    CHECK(c->kafka.inbound_topic == "feedback.inbound");
    REQUIRE(c->book.policies.size() == 2);
    const auto& vip = c->book.policies[0];
    CHECK(vip.acknowledge == 15min);
    CHECK(vip.bounce_back == std::chrono::days{14});
    CHECK(vip.warn_at == 0.8);
    REQUIRE(vip.escalation.size() == 2);
    CHECK(vip.escalation[1].target == sla_target::resolve);
    const auto* office = c->book.calendar("office");
    REQUIRE(office != nullptr);
    CHECK(office->weekly[1].size() == 1);
    CHECK(office->weekly[5].size() == 2);
    CHECK(office->holidays.size() == 1);
    CHECK(c->tokens.at("t-1") == role::manager);
    CHECK(c->book.match("standard", severity::low, "email")->id == "standard");
}

TEST_CASE("invalid configuration names the key", "[infra][config]") {
    CHECK(error_of("polices: []") == "polices: unknown key");
    CHECK(error_of("calendars: {}\npolicies: []") ==
          "policies: at least one SLA policy is required");
    auto bad_duration = minimal;
    bad_duration.replace(bad_duration.find("PT15M"), 5, "15min");
    CHECK(error_of(bad_duration)
              .starts_with("policies[0].acknowledge: \"15min\" is not an ISO 8601 duration"));
    auto bad_zone = minimal;
    bad_zone.replace(bad_zone.find("Europe/Berlin"), 13, "Mars/Olympus");
    CHECK(error_of(bad_zone) ==
          "calendars.office.time_zone: \"Mars/Olympus\" is not an IANA time zone");
    auto bad_calendar = minimal;
    bad_calendar.replace(bad_calendar.find("calendar: office"), 16, "calendar: nowhere");
    CHECK(error_of(bad_calendar) ==
          "policies[1].calendar: \"nowhere\" is not a calendar in calendars");
    CHECK(
        error_of(minimal,
                 {{"policies",
                   "[{id: x, calendar: always, acknowledge: PT1H, resolve: PT1H, warn_at: 2}]"}}) ==
        "policies[0].warn_at: must be a fraction in (0, 1]");
    // A target beyond the business-time horizon used to be recorded as a due instant in the
    // year 14423 that the read side could not parse.
    CHECK(error_of(
              minimal,
              {{"policies", "[{id: x, calendar: always, acknowledge: P2000D, resolve: PT1H}]"}}) ==
          "policies[0].acknowledge: is more business time than calendar \"always\" has in three "
          "years");
    CHECK(error_of(
              minimal,
              {{"policies", "[{id: x, calendar: office, acknowledge: PT1H, resolve: PT9000H}]"}}) ==
          "policies[0].resolve: is more business time than calendar \"office\" has in three years");
    auto bad_secret = minimal;
    bad_secret.replace(bad_secret.find("whsec_c2VjcmV0"), 14, "c2VjcmV0");
    CHECK(error_of(bad_secret) == "webhook_sources.helpdesk.secret: must start with whsec_");
    for (const std::string empty_key : {"whsec_", "whsec_ c2Vj", "whsec_c2Vj!"}) {
        auto no_key = minimal;
        no_key.replace(no_key.find("whsec_c2VjcmV0"), 14, empty_key);
        CHECK(error_of(no_key) ==
              "webhook_sources.helpdesk.secret: must be whsec_ followed by the key in base64");
    }
    auto bad_role = minimal;
    bad_role.replace(bad_role.find("manager"), 7, "boss");
    const auto err = error_of(bad_role);
    CHECK(err == "tokens.<token>: role must be agent, manager, auditor or admin");
    CHECK(err.find("t-1") == std::string::npos);  // a token is a secret: never echoed
}

TEST_CASE("librdkafka client properties pass through, but not the ones exactly-once needs",
          "[infra][config]") {
    const auto c = load_config(minimal, {{"kafka.client",
                                          "{security.protocol: SASL_SSL, sasl.mechanism: PLAIN, "
                                          "sasl.username: bb, sasl.password: s3cret}"}});
    REQUIRE(c.has_value());
    CHECK(c->kafka.client_properties.size() == 4);
    CHECK(c->kafka.client_properties[0] ==
          std::pair<std::string, std::string>{"security.protocol", "SASL_SSL"});
    CHECK(error_of(minimal, {{"kafka.client", "{isolation.level: read_uncommitted}"}}) ==
          "kafka.client.isolation.level: is set by Bounceback and cannot be overridden");
    CHECK(error_of(minimal, {{"kafka.client", "[a, b]"}}) ==
          "kafka.client: must be a map of librdkafka properties");
}

TEST_CASE("the Kafka outcome window and topic are read and bounded", "[infra][config]") {
    const auto d = load_config(minimal);
    REQUIRE(d.has_value());
    CHECK(d->kafka.outcome_window == std::chrono::hours{1});
    CHECK(d->kafka.outcomes_topic.empty());  // serve derives <inbound_topic>.outcomes
    const auto c = load_config(
        minimal, {{"kafka.outcome_window", "PT10M"}, {"kafka.outcomes_topic", "hd.outcomes"}});
    REQUIRE(c.has_value());
    CHECK(c->kafka.outcome_window == std::chrono::minutes{10});
    CHECK(c->kafka.outcomes_topic == "hd.outcomes");
    CHECK(error_of(minimal, {{"kafka.outcome_window", "P2D"}}) ==
          "kafka.outcome_window: must be from PT1M to PT24H (the outcomes topic keeps a day)");
}

TEST_CASE("every key can be overridden", "[infra][config]") {
    const auto c = load_config(minimal, {{"listen", "127.0.0.1:9999"},
                                         {"kafka.brokers", "127.0.0.1:9092"},
                                         {"storage.synchronous", "normal"},
                                         {"http.workers", "16"},
                                         {"http.io_threads", "3"},
                                         {"storage.cached_streams", "5000"},
                                         {"kafka.max_batch", "100"}});
    REQUIRE(c.has_value());
    CHECK(c->listen == "127.0.0.1:9999");
    CHECK(c->http_workers == 16);
    CHECK(c->http_io_threads == 3);
    CHECK(load_config(minimal)->http_io_threads == 0);
    CHECK(error_of(minimal, {{"http.io_threads", "-1"}}) ==
          "http.io_threads: must be a whole number from 0 (one per core) to 64");
    CHECK(c->cached_streams == 5000);
    CHECK(load_config(minimal)->cached_streams == 100'000);
    CHECK(error_of(minimal, {{"storage.cached_streams", "0"}}) ==
          "storage.cached_streams: must be a whole number from 1 to 100000000");
    CHECK(c->kafka.max_batch == 100);
    CHECK(load_config(minimal)->kafka.max_batch == 10000);
    CHECK(error_of(minimal, {{"kafka.max_batch", "-1"}}) ==
          "kafka.max_batch: must be a whole number from 1 to 100000");
    CHECK(load_config(minimal)->http_workers == 64);
    CHECK(error_of(minimal, {{"http.workers", "0"}}) ==
          "http.workers: must be a whole number from 1 to 1024");
    CHECK(error_of(minimal, {{"http.threads", "4"}}).find("http.threads") != std::string::npos);
    CHECK(c->kafka.brokers == "127.0.0.1:9092");
    CHECK_FALSE(c->synchronous_full);
}

TEST_CASE("topic replication is what the cluster can give unless configured", "[infra][config]") {
    const auto d = load_config(minimal);
    REQUIRE(d.has_value());
    CHECK(d->kafka.replication_factor == 0);
    CHECK(d->kafka.min_insync_replicas == 0);
    const auto c = load_config(
        minimal, {{"kafka.replication_factor", "5"}, {"kafka.min_insync_replicas", "3"}});
    REQUIRE(c.has_value());
    CHECK(c->kafka.replication_factor == 5);
    CHECK(c->kafka.min_insync_replicas == 3);
    CHECK(error_of(minimal, {{"kafka.replication_factor", "-2"}}) ==
          "kafka.replication_factor: must be 0 (min(3, brokers)) or a whole number of replicas");
    CHECK(error_of(minimal, {{"kafka.min_insync_replicas", "x"}}) ==
          "kafka.min_insync_replicas: must be 0 (min(2, replication factor)) or a whole number "
          "of replicas");
    CHECK(error_of(minimal,
                   {{"kafka.replication_factor", "2"}, {"kafka.min_insync_replicas", "3"}}) ==
          "kafka.min_insync_replicas: cannot exceed kafka.replication_factor: no write would "
          "ever succeed");
}

TEST_CASE("ISO 8601 instants and durations", "[infra][iso8601]") {
    using iso8601::parse_duration;
    using iso8601::parse_instant;
    CHECK(parse_duration("PT4H") == 4h);
    CHECK(parse_duration("P14D") == std::chrono::days{14});
    CHECK(parse_duration("P1DT2H30M5S") == 24h + 2h + 30min + 5s);
    CHECK(parse_duration("P2W") == std::chrono::days{14});
    CHECK_FALSE(parse_duration("P1M").has_value());  // months have no fixed length
    CHECK_FALSE(parse_duration("PT").has_value());
    CHECK_FALSE(parse_duration("4h").has_value());
    CHECK(iso8601::format_duration(24h + 2h + 30min) == "P1DT2H30M");
    CHECK(parse_instant("2026-11-20T10:00:00Z") ==
          instant{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}.time_since_epoch()} +
              10h);
    CHECK(parse_instant("2026-11-20T11:00:00.123+01:00") == parse_instant("2026-11-20T10:00:00Z"));
    CHECK_FALSE(parse_instant("2026-02-30T10:00:00Z").has_value());
    CHECK_FALSE(parse_instant("2026-11-20 10:00").has_value());
    CHECK(iso8601::format_instant(*parse_instant("2026-11-20T10:00:00-05:00")) ==
          "2026-11-20T15:00:00Z");
}

// The hand-written formatter agrees with the date library over years 1..9999 and beyond.
TEST_CASE("an instant is formatted as date::format would", "[config][iso8601]") {
    rc::prop("format_instant == date::format(%FT%TZ)", [] {
        // -62135596800 is 0001-01-01T00:00:00Z, 253402300799 is 9999-12-31T23:59:59Z.
        const auto secs = *rc::gen::inRange<std::int64_t>(-62135596800LL - 86400LL * 800,
                                                          253402300799LL + 86400LL * 800);
        const instant t{std::chrono::seconds{secs}};
        RC_ASSERT(iso8601::format_instant(t) == date::format("%FT%TZ", t));
    });
    CHECK(iso8601::format_instant(instant{}) == "1970-01-01T00:00:00Z");
    CHECK(iso8601::format_instant(instant{std::chrono::seconds{951782399}}) ==
          "2000-02-28T23:59:59Z");
    CHECK(iso8601::format_instant(instant{std::chrono::seconds{951868800}}) ==
          "2000-03-01T00:00:00Z");
}

TEST_CASE("scores and the future tolerance are read as documented", "[infra][config]") {
    const auto defaults = load_config(minimal);
    REQUIRE(defaults.has_value());
    CHECK(defaults->future_tolerance == std::chrono::minutes{5});
    const auto c = load_config(minimal + R"(
future_tolerance: PT2M
scores:
  weights: { acknowledge: 0.1, resolve: 0.4, bounce_back: 0.3, no_reopen: 0.1, praise: 0.1 }
  prior_strength: 2
)");
    REQUIRE(c.has_value());
    CHECK(c->future_tolerance == std::chrono::minutes{2});
    CHECK(c->scores.resolve == Approx(0.4));
    CHECK(c->scores.prior_strength == Approx(2));
    CHECK(error_of(minimal + "future_tolerance: 5 minutes\n").starts_with("future_tolerance:"));
    CHECK(error_of(minimal + "scores: { weights: { speed: 1 } }\n")
              .starts_with("scores.weights.speed:"));
}

TEST_CASE("helpdesk sources: a kind, the vendor's secret, and tables of values",
          "[infra][config][helpdesk]") {
    const auto c = load_config(
        minimal,
        {{"webhook_sources",
          R"({ zd: { kind: zendesk, secret: "plain-zendesk-secret", priorities: { Urgent: high },
                     statuses: { "On Hold": pending }, teams: { "98738": billing },
                     categories: [Billing, Delivery], default_team: desk,
                     default_category: general },
               zm: { kind: zammad, secret: "t" }, std: { secret: "whsec_c2VjcmV0" } })"}});
    REQUIRE(c.has_value());
    const auto& zd = c->webhook_sources.at("zd");
    CHECK(zd.kind == source_kind::zendesk);
    CHECK(zd.secrets == std::vector<std::string>{"plain-zendesk-secret"});
    CHECK(zd.priorities.at("urgent") == severity::high);  // keys compare lower-case
    CHECK(zd.statuses.at("on hold") == ticket_status::pending);
    CHECK(zd.teams.at("98738") == "billing");
    CHECK(zd.categories == std::vector<std::string>{"billing", "delivery"});
    CHECK((zd.default_team == "desk" && zd.default_category == "general"));
    CHECK(c->webhook_sources.at("zm").kind == source_kind::zammad);
    CHECK(c->webhook_sources.at("std").kind == source_kind::standard);

    const auto with = [](const std::string& sources) {
        return error_of(minimal, {{"webhook_sources", sources}});
    };
    CHECK(with("{ x: { kind: freshdesk, secret: s } }") ==
          "webhook_sources.x.kind: must be one of standard, zammad, zendesk, jira, mapped");
    CHECK(with("{ x: { kind: zammad, secret: s, priorities: { \"2 normal\": normal } } }") ==
          "webhook_sources.x.priorities.2 normal: must be one of low, medium, high, critical");
    CHECK(with("{ x: { kind: jira, secret: s, statuses: { Done: closed } } }") ==
          "webhook_sources.x.statuses.Done: must be one of open, pending, solved, withdrawn");
    CHECK(with("{ x: { secret: \"whsec_c2VjcmV0\", statuses: { a: open } } }") ==
          "webhook_sources.x.statuses: applies to helpdesk kinds (zammad, zendesk, jira, mapped) "
          "only");
    CHECK(with("{ x: { kind: zendesk } }") == "webhook_sources.x: needs a secret");
    CHECK(with("{ x: { kind: zendesk, secret: s, signing: s } }") ==
          "webhook_sources.x.signing: unknown key");
}

TEST_CASE("mapped sources: authentication and a JSON Pointer per field",
          "[infra][config][helpdesk]") {
    const auto c = load_config(minimal, {{"webhook_sources",
                                          R"({ fd: { kind: mapped, secret: tok,
                              auth: { header: X-Bounceback-Token },
                              map: { complaint_id: /freshdesk_webhook/ticket_id,
                                     status: /freshdesk_webhook/ticket_status,
                                     customer: "/freshdesk_webhook/ticket_contact_email" } },
                        ih: { kind: mapped, secret: k,
                              auth: { header: X-Signature, hmac: sha256, encoding: base64,
                                      prefix: "v1=" },
                              map: { complaint_id: /id, status: /state, customer: /who/id,
                                     updated_at: /changed } } })"}});
    REQUIRE(c.has_value());
    const auto& fd = c->webhook_sources.at("fd");
    CHECK(fd.kind == source_kind::mapped);
    CHECK(fd.auth_header == "x-bounceback-token");  // headers compare case-insensitively
    CHECK(fd.auth_hmac.empty());
    CHECK(fd.map.at("status") == "/freshdesk_webhook/ticket_status");
    // As the issue writes it: the token next to its header.
    const auto as_value = load_config(
        minimal, {{"webhook_sources",
                   R"({ fd: { kind: mapped, auth: { header: X-Bounceback-Token, value: tok2 },
                              map: { complaint_id: /id, status: /s, customer: /c } } })"}});
    REQUIRE(as_value.has_value());
    CHECK(as_value->webhook_sources.at("fd").secrets == std::vector<std::string>{"tok2"});
    const auto& ih = c->webhook_sources.at("ih");
    CHECK((ih.auth_hmac == "sha256" && ih.auth_encoding == "base64" && ih.auth_prefix == "v1="));

    const auto with = [](const std::string& sources) {
        return error_of(minimal, {{"webhook_sources", sources}});
    };
    const std::string map = "map: { complaint_id: /id, status: /s, customer: /c }";
    CHECK(with("{ x: { kind: mapped, secret: s, " + map + " } }") ==
          "webhook_sources.x.auth: is required");
    CHECK(with("{ x: { kind: mapped, secret: s, auth: { header: H } } }") ==
          "webhook_sources.x.map: is required");
    CHECK(with("{ x: { kind: mapped, secret: s, auth: { header: H }, map: { complaint_id: /id, "
               "status: /s } } }") ==
          "webhook_sources.x.map.customer: is required (a JSON Pointer into the payload)");
    CHECK(with("{ x: { kind: mapped, secret: s, auth: { header: H }, map: { complaint_id: id, "
               "status: /s, customer: /c } } }") ==
          "webhook_sources.x.map.complaint_id: must be a JSON Pointer like /ticket/id");
    CHECK(with("{ x: { kind: mapped, secret: s, auth: { header: H }, map: { complaint_id: /a~2, "
               "status: /s, customer: /c } } }") ==
          "webhook_sources.x.map.complaint_id: must be a JSON Pointer like /ticket/id");
    CHECK(with("{ x: { kind: mapped, secret: s, auth: { header: H }, map: { ticket: /t, "
               "complaint_id: /id, status: /s, customer: /c } } }") ==
          "webhook_sources.x.map.ticket: unknown key");
    CHECK(with("{ x: { kind: mapped, secret: s, auth: { header: H, hmac: md5 }, " + map + " } }") ==
          "webhook_sources.x.auth.hmac: must be sha1 or sha256");
    CHECK(with("{ x: { kind: zendesk, secret: s, " + map + " } }") ==
          "webhook_sources.x.map: applies to kind: mapped only");
}

TEST_CASE("helpdesk subscriptions: a base URL, the source whose tickets, and API credentials",
          "[infra][config][helpdesk]") {
    const std::string sources = R"({ zd: { kind: zendesk, secret: s } })";
    const auto c = load_config(
        minimal, {{"webhook_sources", sources},
                  {"subscriptions",
                   R"([{ id: zd-notes, kind: zendesk, url: "https://acme.zendesk.com/", source: zd,
                         auth: { email: agent@acme.com, token: t0k } }])"}});
    REQUIRE(c.has_value());
    const auto& s = c->subscriptions.at(0);
    CHECK(s.kind == subscription_kind::zendesk);
    CHECK(s.url == "https://acme.zendesk.com");  // the API paths are appended
    CHECK((s.source == "zd" && s.auth_email == "agent@acme.com" && s.auth_token == "t0k"));
    CHECK(s.types == std::vector<std::string>{"SlaWarningRaised", "SlaBreached", "SlaReconciled",
                                              "ComplaintEscalated"});
    CHECK(s.secrets.empty());

    const auto with = [&](const std::string& sub) {
        return error_of(minimal,
                        {{"webhook_sources", sources}, {"subscriptions", "[" + sub + "]"}});
    };
    CHECK(with("{ kind: zendesk, url: \"https://x\", source: nowhere, auth: { email: a, token: t "
               "} }") ==
          "subscriptions[0].source: names no webhook source (its tickets are updated)");
    CHECK(with("{ kind: zendesk, url: \"https://x\", source: zd, auth: { token: t } }") ==
          "subscriptions[0].auth.email: is required (the API token's agent)");
    CHECK(with("{ kind: zammad, url: \"https://x\", source: zd }") ==
          "subscriptions[0].auth: is required");
    CHECK(with("{ kind: jira, url: \"https://x\", source: zd, auth: { email: a, token: t }, "
               "types: [ComplaintResolved] }") ==
          "subscriptions[0].types: a helpdesk is told of SlaWarningRaised, SlaBreached, "
          "SlaReconciled and ComplaintEscalated only, not ComplaintResolved");
    CHECK(with("{ kind: freshdesk, url: \"https://x\" }") ==
          "subscriptions[0].kind: must be one of webhook, zendesk, zammad, jira");
    CHECK(with("{ url: \"https://x\", secret: \"whsec_c2VjcmV0\", source: zd }") ==
          "subscriptions[0].source: applies to helpdesk kinds (zendesk, zammad, jira) only");
}
