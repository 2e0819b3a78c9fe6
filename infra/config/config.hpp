#pragma once

#include <chrono>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/policy.hpp"
#include "projections/employee_scores.hpp"

namespace bb {

enum class role { agent, manager, auditor, admin };
std::string_view to_string(role r);
std::optional<role> parse_role(std::string_view s);

struct kafka_config {
    std::string brokers;  // empty = embedded mode
    std::string inbound_topic = "feedback.inbound";
    std::string events_topic = "complaints.events";
    std::string deadletter_topic = "feedback.deadletter";
    // Each webhook-delivered event's outcome, for its sender (empty: <inbound_topic>.outcomes).
    std::string outcomes_topic;
    // How long every instance keeps the decisions it read from the outcomes topic in memory
    // (~400 bytes per event; docs/benchmarks.md, "Outcome window").
    duration outcome_window = std::chrono::hours{1};
    // Outbound delivery records and subscription flags shared by the instances (empty:
    // <events_topic>.deliveries), and how long a finished delivery stays in it.
    std::string deliveries_topic;
    duration deliveries_retention = std::chrono::days{30};
    std::string group = "bounceback";
    // Stable per instance (its transactional id is <group>-<instance_id>): a restarted instance
    // with the same id fences its previous incarnation at once. Default: the host name.
    std::string instance_id;
    int partitions = 6;  // for topics `serve` creates when they are missing
    // For topics `serve` creates: 0 = min(3, brokers) and min(2, replication factor).
    int replication_factor = 0;
    int min_insync_replicas = 0;
    int max_batch = 10000;  // inbound records per transaction at most
    // librdkafka properties every client of `serve` gets (security.protocol, sasl.*, ssl.*),
    // applied after ours; the ones Bounceback's guarantees rest on cannot be overridden.
    std::vector<std::pair<std::string, std::string>> client_properties{};
};

// What a webhook source sends (docs/integrations.md): Standard Webhooks carrying CloudEvents, or
// a helpdesk's own webhooks, whose tickets become complaint.synced events.
enum class source_kind { standard, zammad, zendesk, jira, mapped };
std::string_view to_string(source_kind k);

struct webhook_source {
    // standard: whsec_<base64>; a helpdesk: the signing secret it was given. Several during
    // rotation.
    std::vector<std::string> secrets;
    source_kind kind = source_kind::standard;
    // Helpdesk kinds: how the ticket's values read as ours, on top of the kind's own tables
    // (keys compared case-insensitively, stored lower-case).
    std::map<std::string, severity> priorities{};
    std::map<std::string, ticket_status> statuses{};
    std::map<std::string, std::string> teams{};  // the helpdesk's group (name or id) -> team
    std::vector<std::string> categories{};       // tags that name a category; first match wins
    std::string category_field = "category";     // a ticket field that names it (before tags)
    std::string default_team = "support";
    std::string default_category = "uncategorized";
    // kind: mapped. How a delivery proves itself: `auth_header` holds one of the secrets
    // (a token), or, with `auth_hmac` (sha1|sha256), the HMAC of the body under one of them,
    // hex or base64 (`auth_encoding`), after `auth_prefix` ("sha256=").
    std::string auth_header{}, auth_hmac{}, auth_encoding = "hex", auth_prefix{};
    // Our field -> a JSON Pointer (RFC 6901) into the payload (docs/integrations.md).
    std::map<std::string, std::string> map{};
};

// What a subscription delivers to: a webhook receiver (Standard Webhooks + CloudEvents), or a
// helpdesk's REST API, updating the ticket a complaint came from (docs/integrations.md).
enum class subscription_kind { webhook, zendesk, zammad, jira };
std::string_view to_string(subscription_kind k);

struct subscription_config {
    std::string id;   // stable name for checkpoints, deliveries and metrics; default sub-<n>
    std::string url;  // webhook: the receiver; a helpdesk: its base URL (https://acme.zendesk.com)
    std::vector<std::string> secrets;
    std::vector<std::string> types;  // empty = every event
    bool allow_private = false;
    subscription_kind kind = subscription_kind::webhook;
    // A helpdesk: the webhook source whose tickets it updates (complaints "<source>:<ticket>"),
    // and the API credentials: an agent's e-mail and API token (Zendesk, Jira), or a token
    // (Zammad).
    std::string source{}, auth_email{}, auth_token{};
};

// How outbound deliveries are retried: attempt n waits retry_schedule[n] (plus jitter) after
// attempt n-1 failed; after the last one the delivery is recorded as failed.
struct outbound_config {
    std::vector<std::chrono::seconds> retry_schedule = {
        std::chrono::seconds{0},  std::chrono::seconds{5}, std::chrono::minutes{5},
        std::chrono::minutes{30}, std::chrono::hours{2},   std::chrono::hours{5},
        std::chrono::hours{10},   std::chrono::hours{14},  std::chrono::hours{20},
        std::chrono::hours{24}};
    std::chrono::seconds timeout{10};  // connect + response, per attempt
    double jitter = 0.1;               // +-10% of each wait
};

struct config {
    std::string listen = "127.0.0.1:8080";
    std::string data_dir = "./var";
    // Threads that run routes. A webhook holds its thread until its events are durable, and
    // every request waiting at the same time shares one fsync: more workers, bigger group
    // commits.
    int http_workers = 64;
    // Threads that read requests, run the routes answered from memory and webhooks in embedded
    // mode, and write responses. 0 = one per core the process may run on.
    int http_io_threads = 0;
    bool synchronous_full = true;  // storage.synchronous: full | normal
    // Streams whose folded state the command side keeps in memory; others are folded from the
    // log when a command needs them (docs/configuration.md).
    std::size_t cached_streams = 100'000;
    kafka_config kafka;
    std::map<std::string, webhook_source> webhook_sources;
    std::map<std::string, role> tokens;
    policy_book book;
    std::vector<subscription_config> subscriptions;
    outbound_config outbound;
    projection::score_weights scores;
    // How far in the future an inbound command's time may lie (clock skew between the sender
    // and this service); later ones are rejected: applying them would meet or breach SLAs at
    // instants that have not happened.
    duration future_tolerance = std::chrono::minutes{5};
};

// `key.path=value` overrides, applied to the YAML before it is read; value is YAML.
using config_overrides = std::vector<std::pair<std::string, std::string>>;

// Reads and validates the whole configuration. The error names the offending key, e.g.
// "policies[1].acknowledge: \"4h\" is not an ISO 8601 duration (PT4H)".
std::expected<config, std::string> load_config(const std::string& yaml_text,
                                               const config_overrides& overrides = {});
std::expected<config, std::string> load_config_file(const std::string& path,
                                                    const config_overrides& overrides = {});

}  // namespace bb
