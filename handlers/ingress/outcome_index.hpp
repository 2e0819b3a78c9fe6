#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "handlers/ingress/port.hpp"
#include "infra/kafka/client.hpp"

namespace bb {

// Kafka mode: what the owners decided for the events of webhook deliveries, read back from the
// outcomes topic by every instance, so that a sender can learn them from any instance (`?wait=`
// on the webhook, `GET /v1/webhooks/{source}/outcomes/{webhook_id}`), and a webhook-id sent again
// to another instance gets the same answer. Holds the last `window` of outcomes in memory
// (entries older are dropped; a start reads the topic from `window` ago): its cost follows the
// webhook rate, not the history.
class outcome_index {
  public:
    outcome_index(kafka::settings client, std::string topic, std::chrono::seconds window,
                  std::function<void(const std::string&)> log);
    ~outcome_index();
    outcome_index(const outcome_index&) = delete;
    outcome_index& operator=(const outcome_index&) = delete;

    std::expected<void, std::string> start();
    void stop();

    // The outcomes known for a delivery ("<source>/<webhook-id>"), one per event in its order,
    // waiting up to `wait` until `count` of them are known (0: whatever the delivery says it has).
    std::vector<decided_outcome> find(const std::string& correlation, std::size_t count,
                                      std::chrono::milliseconds wait);
    std::size_t size() const;
    // Applies one record of the outcomes topic (the reader thread's step; public for the
    // benchmark, bench/bench_outcomes.cpp).
    void add(const kafka::record& r);

  private:
    void run();

    struct entry {
        std::chrono::steady_clock::time_point seen;
        std::map<std::size_t, decided_outcome> events;  // by place in the delivery; first wins
        std::size_t of = 0;
    };
    kafka::settings client_;
    std::string topic_;
    std::chrono::seconds window_;
    std::function<void(const std::string&)> log_;
    std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::map<std::string, entry, std::less<>> entries_;
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> order_;
};

}  // namespace bb
