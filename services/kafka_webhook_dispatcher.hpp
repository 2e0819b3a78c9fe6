#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "infra/config/config.hpp"
#include "infra/kafka/client.hpp"
#include "infra/metrics.hpp"
#include "infra/outbound/delivery_store.hpp"

namespace bb {

// Outbound webhooks in Kafka mode, with the embedded shape's contract (docs/outbound.md). Each
// subscription is a consumer group of its own on the events topic (`<group>.outbound.<id>`):
// Kafka spreads the topic's partitions over the running instances, and the group's committed
// offset is each partition's checkpoint, moved past an event once its delivery is recorded
// (delivered, failed or filtered out). An owner that is killed or loses a partition hands it over
// at the last event it finished, and the next owner delivers from there: at-least-once, each
// event's id as its `webhook-id`, so receivers dedupe the few a crash sends twice. Events of one
// partition go out in order; a delivery waiting for its next attempt holds up this instance's
// partitions of that subscription only, while the consumer keeps polling (the group does not
// evict it, and a partition taken away mid-retry is dropped here and delivered by its new owner).
//
// Delivery records and the disabled flag live in this instance's outbound.db: the list shows the
// deliveries this instance made. A 410 disables the subscription here and this instance leaves its
// group, so the partitions move to the others (which disable it too once the receiver answers them
// 410); enabling it rejoins.
class kafka_webhook_dispatcher {
  public:
    struct deps {
        std::vector<subscription_config> subscriptions;
        outbound_config schedule;
        kafka::settings client;
        std::string events_topic;
        std::string group;        // the processor's; each subscription's group is named after it
        std::string instance_id;  // static membership (KIP-345), as the processor's
        outbound::delivery_store& store;
        metrics& m;
        std::function<instant()> clock;
        std::function<void(const std::string&)> log_line;
    };
    explicit kafka_webhook_dispatcher(deps d);
    ~kafka_webhook_dispatcher();
    kafka_webhook_dispatcher(const kafka_webhook_dispatcher&) = delete;
    kafka_webhook_dispatcher& operator=(const kafka_webhook_dispatcher&) = delete;

    void start();
    void stop();    // a delivery cut short is not recorded nor committed: it goes out again
    void notify();  // a redelivery was asked for

    // The partitions of the events topic this instance delivers for `subscription`, each with the
    // next offset to deliver (committed), for the subscriptions list.
    std::map<std::int32_t, std::int64_t> partitions(const std::string& subscription) const;

    static std::string group_of(const std::string& group, const std::string& subscription) {
        return group + ".outbound." + subscription;
    }

  private:
    struct worker;
    void run(worker& w);
    bool join(worker& w);
    void leave(worker& w);
    void handle(worker& w, const kafka::record& rec);
    void redeliver(worker& w, outbound::delivery_record r);
    bool wait_polling(worker& w, std::chrono::milliseconds d);
    bool idle_wait(std::chrono::milliseconds d);

    deps d_;
    std::vector<std::unique_ptr<worker>> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::uint64_t generation_ = 0;  // bumped by notify(), guarded by mutex_
    std::atomic<bool> stopping_{false};
};

}  // namespace bb
