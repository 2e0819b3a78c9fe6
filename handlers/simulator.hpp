#pragma once

#include <cstdint>
#include <functional>

#include <nlohmann/json.hpp>

#include "domain/time.hpp"

namespace bb {

struct simulation {
    std::size_t events = 10000;  // inbound events to produce (the last complaints may be cut short)
    std::uint64_t seed = 1;
    std::size_t customers = 0;  // 0: events / 12
    instant start{};            // the first complaint's time
    // Minutes between complaints on average (the arrival rate of the whole population).
    double minutes_between_complaints = 4;
};

// A realistic, reproducible inbound stream (CloudEvents, time-ordered): customers with segments
// and lifetime values; complaints across severities, channels, categories (a Pareto mix),
// products and teams; agents who assign, acknowledge, ask the customer, find root causes, offer
// recovery and resolve after realistic delays; reopenings; customer activity, churn and surveys
// after resolution; compliments; prevention actions now and then. Same seed, same stream.
// Each event goes to `out` as soon as no later-generated event can precede it, so memory holds
// only the complaints still in progress, however many events are asked for.
void simulate(const simulation& s, const std::function<void(const nlohmann::json&)>& out);

}  // namespace bb
