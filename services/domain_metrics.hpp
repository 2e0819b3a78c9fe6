#pragma once

#include <string>
#include <utility>
#include <vector>

#include "domain/complaint.hpp"
#include "infra/metrics.hpp"

namespace bb {

// What an on-call engineer alerts on, counted from the events as they become durable: SLA
// warnings, breaches and reconciliations by target, escalations by level, bounce-backs by outcome,
// and how long after its due instant each deadline event was written. Labels are bounded (targets,
// levels, outcomes; never a complaint or customer id).
struct domain_sample {
    std::string name;
    metric_labels labels;
    double value = 1;
    bool histogram = false;
};
std::vector<domain_sample> domain_samples(const std::vector<complaint_event>& events,
                                          instant recorded_at);
void describe_domain_metrics(metrics& m);
void count(metrics& m, const std::vector<domain_sample>& samples);

}  // namespace bb
