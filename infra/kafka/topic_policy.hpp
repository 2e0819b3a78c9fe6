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

}  // namespace bb::kafka
