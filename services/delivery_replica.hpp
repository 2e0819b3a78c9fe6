#pragma once

#include <atomic>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <librdkafka/rdkafkacpp.h>

#include "infra/kafka/client.hpp"
#include "infra/outbound/delivery_store.hpp"

namespace bb {

// Kafka mode: every instance's outbound delivery records and subscription flags, shared through
// a compacted topic (`<events topic>.deliveries`, docs/outbound.md), so that any instance lists
// every delivery, redelivers any of them, and a subscription disabled or enabled on one is so on
// all. Each finished delivery is published as `d/<subscription>/<webhook-id>` (the record after
// it), each flag change as `s/<subscription>`; each instance reads the topic from where its
// outbound.db stopped and applies what is newer than its own (delivery_store::apply_replica).
class delivery_replica {
  public:
    // `instance`: this instance's id, written into each record as its `origin` (diagnosis: who
    // made a delivery). Its own records, read back, are applied like any (a store that was
    // replaced gets them back).
    delivery_replica(kafka::settings client, std::string topic, std::string instance,
                     outbound::delivery_store& store, std::function<void(const std::string&)> log,
                     std::function<void()> changed = {});
    ~delivery_replica();
    delivery_replica(const delivery_replica&) = delete;
    delivery_replica& operator=(const delivery_replica&) = delete;

    // Publishes this store's changes from now on and applies the topic's from where the store
    // stopped.
    std::expected<void, std::string> start();
    void stop();  // what was published is flushed (up to 10 s)

    // The JSON a record or a flag travels as; nothing for a value that is neither.
    std::string encode(const outbound::delivery_record& r) const;
    std::string encode(const std::string& subscription,
                       const outbound::subscription_state& s) const;

  private:
    void run();
    // What a record of the topic changes (nothing for one that is not a delivery record).
    std::optional<outbound::delivery_store::replica_change> change_of(const kafka::record& r);
    void publish(const std::string& key, const std::string& value);

    kafka::settings client_;
    std::string topic_;
    std::string instance_;
    outbound::delivery_store& store_;
    std::function<void(const std::string&)> log_;
    std::function<void()> changed_;  // a flag or a record arrived: the dispatcher looks again
    std::unique_ptr<RdKafka::Producer> producer_;
    std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
};

}  // namespace bb
