#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infra/kafka/client.hpp"

namespace bb::kafka {

// The events topic is the audit log: created with these, it never deletes a record (no time or
// size retention, no compaction).
settings kept_for_ever();

// Why a topic with this configuration (as topic_config reports it) can delete records, naming
// the kafka-configs command that stops it; nothing when it keeps every record.
std::optional<std::string> deletes_records(
    const std::vector<std::pair<std::string, std::string>>& config, const std::string& topic,
    const std::string& brokers);

// Why a topic that must keep the latest record per key (the outbound deliveries topic: a
// restarted instance learns every delivery's state from it) does not: it is not compacted.
// Names the kafka-configs command that fixes it; nothing when it is compacted.
std::optional<std::string> not_compacted(
    const std::vector<std::pair<std::string, std::string>>& config, const std::string& topic,
    const std::string& brokers);

}  // namespace bb::kafka
