#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "handlers/ingress/port.hpp"
#include "infra/kafka/client.hpp"

namespace bb {

// Webhook ingress in Kafka mode: each event goes to the inbound topic, keyed by its customer,
// with an idempotent producer (acks=all); submit returns once the broker acknowledged it.
class kafka_ingress final : public ingress {
  public:
    static std::expected<std::unique_ptr<kafka_ingress>, std::string> open(
        const kafka::settings& client, std::string topic, event_log& view);
    kafka_ingress(std::unique_ptr<RdKafka::DeliveryReportCb> reports,
                  std::unique_ptr<RdKafka::Producer> p, std::string topic, event_log& view);
    ~kafka_ingress() override;

    // Produces the event and waits for the broker's acknowledgement.
    void submit(const inbound::cloud_event& e, const inbound::command& c, const command_meta& meta,
                outcome_callback done) override {
        done(produce(e, c, meta));
    }
    bool submit_blocks() const override { return true; }
    // An event of a webhook delivery this ingress refuses itself never reaches an owner: its
    // rejection is written to the outcomes topic here, so other instances can answer it too.
    void report_rejections_to(std::string outcomes_topic) {
        outcomes_topic_ = std::move(outcomes_topic);
    }
    bool reads_event_data() const override { return true; }
    complaint_lookup complaint(const complaint_id& id) const override;
    // The instance follows the whole events topic in memory.
    bool complaint_in_memory(const complaint_id&) const override { return true; }

  private:
    submit_result produce(const inbound::cloud_event& e, const inbound::command& c,
                          const command_meta& meta);
    std::string key_for(const inbound::cloud_event& e, const inbound::command& c);

    std::unique_ptr<RdKafka::DeliveryReportCb> reports_;
    std::unique_ptr<RdKafka::Producer> producer_;
    std::string topic_;
    std::string outcomes_topic_;
    event_log& view_;
    std::mutex customers_mutex_;
    // Complaints filed through this ingress that the view may not have seen yet.
    std::unordered_map<std::string, std::string> customers_;
    std::atomic<bool> stop_{false};
    std::thread poller_;
};

// librdkafka settings that place a key where Java clients place it (murmur2), so every producer
// of the inbound topic agrees on a customer's partition.
inline constexpr const char* java_compatible_partitioner = "murmur2_random";

}  // namespace bb
