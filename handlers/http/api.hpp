#pragma once

#include <expected>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/ingress/port.hpp"
#include "infra/config/config.hpp"
#include "infra/event_log.hpp"
#include "infra/hash_chain.hpp"
#include "infra/metrics.hpp"
#include "infra/outbound/delivery_store.hpp"
#include "infra/sqlite/webhook_receipts.hpp"
#include "services/read_side.hpp"

namespace bb {

// A file served as is (the dashboard), embedded in the binary.
struct static_asset {
    std::string content_type;
    std::string_view body;
};

// What the HTTP routes work with, in either runtime shape.
struct api_deps {
    const config& cfg;
    ingress& in;
    read_side& reads;
    event_log& log;
    webhook_receipts& receipts;
    metrics& m;
    std::function<bool()> ready;
    std::function<instant()> clock;
    std::function<void(const std::string&)> log_line;             // one line per request
    std::string openapi;                                          // served at /openapi.yaml
    const std::map<std::string, static_asset>* assets = nullptr;  // the dashboard at /
    // Kafka mode: the hash chain is per partition, checked by this instead of verify_chain.
    std::function<std::expected<std::vector<chain_report>, std::string>()> verify_partitions{};
    // Outbound webhooks: the delivery records, and a nudge for the dispatcher.
    outbound::delivery_store* deliveries = nullptr;
    std::function<void()> on_redeliver{};
    // Kafka mode: per subscription, the partitions of the events topic this instance delivers
    // and the next offset of each (the subscription's consumer group checkpoints).
    std::function<std::map<std::int32_t, std::int64_t>(const std::string&)> outbound_partitions{};
    // Kafka mode: the owners' decisions on a webhook delivery's events ("<source>/<webhook-id>"),
    // waiting up to the given time until that many are known (handlers/ingress/outcome_index).
    std::function<std::vector<decided_outcome>(const std::string&, std::size_t,
                                               std::chrono::milliseconds)>
        outcomes{};
};

}  // namespace bb
