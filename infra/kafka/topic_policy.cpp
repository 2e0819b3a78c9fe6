#include "infra/kafka/topic_policy.hpp"

namespace bb::kafka {

settings kept_for_ever() {
    return {{"cleanup.policy", "delete"}, {"retention.ms", "-1"}, {"retention.bytes", "-1"}};
}

std::optional<std::string> deletes_records(
    const std::vector<std::pair<std::string, std::string>>& config, const std::string& topic,
    const std::string& brokers) {
    std::string why;
    for (const auto& [key, wanted] : kept_for_ever()) {
        std::optional<std::string> value;
        for (const auto& [k, v] : config)
            if (k == key) value = v;
        // A broker that does not report a setting applies its own default, which deletes.
        if (value == wanted) continue;
        why += (why.empty() ? "" : ", ") + key + "=" + value.value_or("(broker default)");
    }
    if (why.empty()) return std::nullopt;
    return "topic " + topic + " can delete records (" + why +
           "); it holds the audit log and must keep every event. Make it keep them with: "
           "kafka-configs.sh --bootstrap-server " +
           brokers + " --alter --entity-type topics --entity-name " + topic +
           " --add-config cleanup.policy=delete,retention.ms=-1,retention.bytes=-1";
}

std::optional<std::string> not_compacted(
    const std::vector<std::pair<std::string, std::string>>& config, const std::string& topic,
    const std::string& brokers) {
    std::optional<std::string> policy;
    for (const auto& [k, v] : config)
        if (k == "cleanup.policy") policy = v;
    // "compact" or "compact,delete" (in either order); the broker's default is delete.
    if (policy && policy->find("compact") != std::string::npos) return std::nullopt;
    return "topic " + topic +
           " is not compacted (cleanup.policy=" + policy.value_or("(broker default)") +
           "): its delivery records would be deleted by time alone, and a restarted instance "
           "would read every record ever made. Compact it with: kafka-configs.sh "
           "--bootstrap-server " +
           brokers + " --alter --entity-type topics --entity-name " + topic +
           " --add-config cleanup.policy=[compact,delete]";
}

}  // namespace bb::kafka
