#pragma once

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "handlers/http/api.hpp"
#include "infra/http/server.hpp"
#include "infra/standard_webhooks.hpp"

namespace bb {

// POST /v1/webhooks/{source}: a Standard Webhooks delivery of CloudEvents. The signature and
// every event are checked before any is submitted (a bad batch writes nothing), a redelivered
// webhook-id gets its stored answer, and the 202 lists each event's outcome once all are durable.
class webhook_route {
  public:
    explicit webhook_route(const api_deps& d);
    // Checks the delivery and submits its events to the ingress; `reply` answers once the last
    // is durable. Does not block unless the ingress does (ingress::submit_blocks).
    void start(const std::string& source, const http::request& req,
               const http::request_context& ctx, http::responder reply);
    // Kafka mode: GET /v1/webhooks/{source}/outcomes/{webhook_id}, what the owners decided.
    http::response outcome(const std::string& source, const std::string& webhook_id,
                           const http::request_context& ctx);

  private:
    // A webhook delivery whose signature and events are valid, and the outcome of each event.
    struct delivery {
        std::string source;
        std::string webhook_id;
        std::vector<inbound::decoded_event> events;
        command_meta meta;  // per event: meta_for()
        std::vector<submit_result> outcomes;
        command_meta meta_for(std::size_t i) const;
        // Kafka mode: how long the sender asked to wait for the decisions (`?wait=5s`), and
        // what was decided by the time the answer is built.
        std::chrono::milliseconds wait{0};
        std::vector<decided_outcome> decided{};
    };
    struct in_flight;
    // The delivery to submit, or the answer it gets without submitting anything (a refusal, or
    // the stored answer to a redelivery).
    std::variant<http::response, delivery> check(const std::string& source,
                                                 const http::request& req,
                                                 const http::request_context& ctx);
    // Counts an event's outcome in; the last one builds the answer.
    void finish_one(const std::shared_ptr<in_flight>& f);
    // The 202 that lists each event's outcome (and is remembered for redeliveries), or the 503
    // when an event could not be written.
    http::response answer(const delivery& d, const http::request_context& ctx);
    // Kafka mode: each event's decision where one is known (a rejection by the ingress itself,
    // or the owner's from the outcomes topic), in the delivery's order; nothing for the others.
    std::vector<std::optional<decided_outcome>> decisions(const delivery& d) const;

    const api_deps& d_;
    // The configured webhook secrets, ready to verify with.
    std::map<std::string, webhooks::hmac_key, std::less<>> hmac_keys_;
};

}  // namespace bb
