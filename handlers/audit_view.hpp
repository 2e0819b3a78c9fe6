#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infra/event_log.hpp"
#include "infra/hash_chain.hpp"

namespace bb {

// A complaint's events as the auditor reads them (GET /v1/complaints/{id}/history and
// `bounceback audit --format json`): each as its CloudEvent with `hash_ok`, whether its own hash
// proves its bytes (verify_chain proves the chain across the log).
struct audit_trail {
    nlohmann::json body;
    bool intact = true;
};
audit_trail complaint_audit(const std::string& complaint_id,
                            const std::vector<event_record>& events);

// A hash-chain check (GET /v1/audit/verify): the whole log's, or each partition's in Kafka mode.
nlohmann::json chain_report_json(const chain_report& r);
nlohmann::json partition_reports_json(const std::vector<chain_report>& reports);

}  // namespace bb
