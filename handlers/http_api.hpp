#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "handlers/ingress.hpp"
#include "handlers/read_side.hpp"
#include "infra/config.hpp"
#include "infra/event_log.hpp"
#include "infra/gzip.hpp"
#include "infra/hash_chain.hpp"
#include "infra/http_server.hpp"
#include "infra/metrics.hpp"
#include "infra/outbound/delivery_store.hpp"
#include "infra/standard_webhooks.hpp"
#include "infra/webhook_receipts.hpp"

namespace bb {

// A file served as is (the dashboard), embedded in the binary.
struct static_asset {
    std::string content_type;
    std::string_view body;
};

// The HTTP routes of the embedded service: pure request -> response translation onto the
// command service and the log. Never touches a socket.
class http_api {
  public:
    struct deps {
        const config& cfg;
        ingress& in;
        read_side& reads;
        event_log& log;
        webhook_receipts& receipts;
        metrics& m;
        std::function<bool()> ready;
        std::function<instant()> clock;
        std::function<void(const std::string&)> log_line;             // one line per request
        std::string openapi;                                          // served at /openapi.yaml
        const std::map<std::string, static_asset>* assets = nullptr;  // the dashboard at /
        // Kafka mode: the hash chain is per partition, checked by this instead of verify_chain.
        std::function<std::expected<std::vector<chain_report>, std::string>()> verify_partitions{};
        // Outbound webhooks: the delivery records, and a nudge for the dispatcher.
        outbound::delivery_store* deliveries = nullptr;
        std::function<void()> on_redeliver{};
    };

    explicit http_api(deps d);
    http::response handle(const http::request& req, const http::request_context& ctx);
    // Whether the request's route answers from memory at once (http::quick_predicate): health,
    // a complaint, an SLA summary whose cached text is current, documents. Writes, the audit,
    // metrics and everything that walks the model stay on the worker pool.
    bool quick(const http::request& req) const;
    http::response error(unsigned status, const std::string& detail,
                         const http::request_context& ctx);
    // http::deferred_handler: a webhook delivery, when the ingress submits without waiting, is
    // checked on the thread that read it and answered once its events are durable, so no
    // thread waits for the disk per request.
    bool deferred(const http::request& req, const http::request_context& ctx,
                  http::responder reply);

  private:
    // The read model holds every event of the log (so its rows are the complaints as they stand).
    bool read_model_current() const;
    http::response route(const http::request& req, const http::request_context& ctx,
                         std::string& route_name);
    http::response dispatch(int route, const std::vector<std::string>& bound,
                            const http::request& req,
                            const std::map<std::string, std::string>& query,
                            const http::request_context& ctx);
    // A webhook delivery whose signature and events are valid, and the outcome of each event.
    struct delivery {
        std::string source;
        std::string webhook_id;
        std::vector<inbound::decoded_event> events;
        command_meta meta;  // per event: meta_for()
        std::vector<std::expected<command_outcome, std::error_code>> outcomes;
        command_meta meta_for(std::size_t i) const;
    };
    // The delivery to submit, or the answer it gets without submitting anything (a refusal, or
    // the stored answer to a redelivery).
    std::variant<http::response, delivery> check_webhook(const std::string& source,
                                                         const http::request& req,
                                                         const http::request_context& ctx);
    // The 202 that lists each event's outcome (and is remembered for redeliveries), or the 503
    // when an event could not be written.
    http::response webhook_answer(const delivery& d, const http::request_context& ctx);
    http::response webhook(const std::string& source, const http::request& req,
                           const http::request_context& ctx);
    // Counts and logs a request once its answer is known.
    void record(const http::request_context& ctx, std::string_view method,
                const std::string& route_name, unsigned status,
                std::chrono::steady_clock::time_point started);
    http::response complaint(const std::string& id, const http::request_context& ctx);
    http::response verify_partitions(const http::request_context& ctx);
    http::response webhook_deliveries(const std::map<std::string, std::string>& query,
                                      const http::request_context& ctx);
    http::response redeliver(const std::string& id, const http::request_context& ctx);
    http::response webhook_subscriptions();
    http::response enable_subscription(const std::string& id, const http::request_context& ctx);
    http::response history(const std::string& id, const http::request_context& ctx);
    http::response sla_summary(const std::map<std::string, std::string>& q, bool gzip_accepted,
                               const http::request_context& ctx);
    http::response sla_at_risk(const std::map<std::string, std::string>& q,
                               const http::request_context& ctx);
    http::response prevention(const std::map<std::string, std::string>& q,
                              const http::request_context& ctx);
    http::response employee_scores(const std::map<std::string, std::string>& q,
                                   const std::string& employee, const http::request_context& ctx);
    std::optional<role> authenticate(const http::request& req) const;

    deps d_;
    // The configured webhook secrets, ready to verify with (webhooks::hmac_key).
    std::map<std::string, webhooks::hmac_key, std::less<>> hmac_keys_;
    std::map<std::string, role> token_hashes_;  // sha256(token) -> role

    static std::string summary_key(const std::map<std::string, std::string>& query);
    bool summary_cached(const std::string& key) const;

    // A summary's text without its closing brace (as_of and position are added per response),
    // and the same deflated for clients that accept gzip.
    struct cached_summary {
        std::uint64_t generation = 0;
        std::int64_t position = 0;  // of the read model it was computed from
        std::string text;
        gzip::prefixed_body gzipped;
    };
    // The cached summary for `key`, computed if the read model moved on since `arrival` (its
    // generation when the request came): one computation per key at a time, and requests that
    // arrive meanwhile wait for it instead of each walking the model (a stampede after every
    // event made the summary's tail seconds long at 20,000 req/s).
    std::shared_ptr<const cached_summary> summary_for(const std::string& key, std::uint64_t arrival,
                                                      const projection::report_filter& filter,
                                                      projection::period per);
    mutable struct {
        std::mutex mutex;
        std::condition_variable computed;
        std::map<std::string, std::shared_ptr<const cached_summary>> entries;
        std::set<std::string> computing;
    } summary_cache_;
};

}  // namespace bb
