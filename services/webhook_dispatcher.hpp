#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "infra/config/config.hpp"
#include "infra/event_log.hpp"
#include "infra/metrics.hpp"
#include "infra/outbound/delivery_store.hpp"
#include "infra/outbound/http_client.hpp"

namespace bb {

// What one attempt came to, and what happens next.
struct attempt_result {
    enum class kind { delivered, retry, give_up, disable };
    kind next = kind::retry;
    int status = 0;  // HTTP status, 0 when none came back
    std::string error;
    std::optional<std::chrono::seconds> retry_after;  // honoured for 429, 502, 504
};
// 2xx delivered; 410 disables the subscription; redirects are not followed (give up); 429/502/504
// retry after Retry-After when given; other statuses and transport errors retry.
attempt_result classify(const outbound::post_response& r, instant now);
std::optional<std::chrono::seconds> parse_retry_after(std::string_view v, instant now);

// Registers the outbound metrics' help texts (both shapes' dispatchers).
void describe_outbound_metrics(metrics& m);

// One event's delivery to one subscription, shared by both shapes' dispatchers: attempts on the
// schedule until it is delivered, given up, refused (SSRF guard) or the receiver answers 410.
// `wait` sleeps before each attempt and returns false to abandon the delivery (stopping, or the
// event's partition moved to another instance): `r` then stays pending and is not recorded, so
// the event goes out again (at-least-once). Returns true when the receiver asked for the
// subscription to stop (410 Gone); the caller disables it.
struct delivery_target {
    const subscription_config& cfg;
    const outbound_config& schedule;
    metrics& m;
    const std::function<instant()>& clock;
    const std::function<void(const std::string&)>& log_line;
    std::mt19937_64& rng;
};
bool deliver_event(const delivery_target& t, outbound::delivery_record& r, const event_record& e,
                   const std::function<bool(std::chrono::milliseconds)>& wait);

// Outbound webhooks: one worker per subscription follows the event log from its durable
// checkpoint and delivers each wanted event, in log order, with Standard Webhooks signatures,
// retrying on the configured schedule. A slow or dead endpoint holds up only its own
// subscription; the command path never waits for deliveries.
class webhook_dispatcher {
  public:
    using post_fn = std::function<std::expected<outbound::post_response, std::string>(
        const outbound::post_request&)>;
    struct deps {
        std::vector<subscription_config> subscriptions;
        outbound_config schedule;
        event_log& log;
        outbound::delivery_store& store;
        metrics& m;
        std::function<instant()> clock;
        std::function<void(const std::string&)> log_line;
    };
    explicit webhook_dispatcher(deps d);
    ~webhook_dispatcher();

    void start();
    void stop();
    // Wakes the workers (new events appended, a redelivery requested).
    void notify();

  private:
    struct worker;
    void run(worker& w);
    void deliver(worker& w, outbound::delivery_record& r, const event_record& e);
    bool wait_for(std::chrono::milliseconds d);

    deps d_;
    std::vector<std::unique_ptr<worker>> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::uint64_t generation_ = 0;  // bumped by notify(), guarded by mutex_
    std::atomic<bool> stopping_{false};
    std::unique_ptr<subscription> follow_;
};

}  // namespace bb
