// Real HTTP over loopback against the embedded service, one scenario per status code.
#include <sqlite3.h>
#include <future>
#include <set>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "handlers/http/router.hpp"
#include "handlers/ingress/local_ingress.hpp"
#include "infra/http/server.hpp"
#include "infra/iso8601.hpp"
#include "infra/sqlite/sqlite_event_log.hpp"
#include "infra/sqlite/webhook_receipts.hpp"
#include "infra/standard_webhooks.hpp"
#include "services/command_service.hpp"
#include "services/deadline_scheduler.hpp"
#include "services/read_side.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/infra/faulty_vfs.hpp"
#include "tests/infra/gunzip.hpp"
#include "tests/infra/temp_dir.hpp"

using namespace bb;
using nlohmann::json;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = beast::http;

namespace {

const std::string secret = "whsec_" + webhooks::base64_encode("helpdesk-secret-for-tests");

instant wall() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

config test_config() {
    config c;
    c.book = test::book();
    c.webhook_sources["helpdesk"] = webhook_source{{secret}};
    c.tokens = {{"tok-agent", role::agent},
                {"tok-manager", role::manager},
                {"tok-auditor", role::auditor},
                {"tok-admin", role::admin}};
    return c;
}

struct reply {
    unsigned status = 0;
    std::string body;
    std::string content_type;
    std::string www_authenticate;
    std::string content_encoding;
    std::string vary;
    std::string link;
    json js() const { return json::parse(body, nullptr, false); }
};

json filing_event(const std::string& id, const std::string& complaint);

// The Kafka shape's ingress in miniature: submit returns only once the event is durable (as a
// produce waits for the broker), so the router runs webhooks on its workers and waits.
class blocking_ingress final : public ingress {
  public:
    explicit blocking_ingress(ingress& inner) : inner_(inner) {}
    void submit(const inbound::cloud_event& e, const inbound::command& c, const command_meta& meta,
                outcome_callback done) override {
        auto durable = std::make_shared<std::promise<submit_result>>();
        auto result = durable->get_future();
        inner_.submit(e, c, meta, [durable](submit_result r) { durable->set_value(std::move(r)); });
        done(result.get());
    }
    bool submit_blocks() const override { return true; }
    bool reads_event_data() const override { return true; }
    complaint_lookup complaint(const complaint_id& id) const override {
        return inner_.complaint(id);
    }
    bool complaint_in_memory(const complaint_id& id) const override {
        return inner_.complaint_in_memory(id);
    }

  private:
    ingress& inner_;
};

enum class ingress_shape { queues, blocks };

// The embedded service on an ephemeral loopback port.
struct service {
    test::temp_dir dir;
    config cfg = test_config();
    sqlite_event_log log{{(dir.path() / "events.db").string(), true, 1024}};
    webhook_receipts receipts{(dir.path() / "receipts.db").string()};
    metrics m;
    command_service commands{log, cfg.book, m};
    asio::io_context ioc;
    deadline_scheduler scheduler{
        ioc, wall, [this](const complaint_id& id, instant now) {
            (void)commands.tick(id, now, command_meta{"scheduler", "tick", now});
        }};
    std::vector<std::string> log_lines;
    std::mutex log_mutex;
    read_side reads{log};
    local_ingress local{commands};
    blocking_ingress blocking{local};
    ingress_shape shape;
    router api{{cfg, shape == ingress_shape::blocks ? static_cast<ingress&>(blocking) : local,
                reads, log, receipts, m, [this] { return scheduler.ready(); }, wall,
                [this](const std::string& l) {
                    std::lock_guard lock(log_mutex);
                    log_lines.push_back(l);
                },
                "openapi: 3.0.3\n"}};
    http::server server{
        ioc, {"127.0.0.1", 0, 1 << 20, std::chrono::seconds{1}, std::chrono::seconds{2}, 4}, api};
    std::vector<std::thread> threads;

    // A small `cached_streams` makes the command side fold most complaints from the log.
    explicit service(std::size_t cached_streams = 100'000,
                     ingress_shape in_shape = ingress_shape::queues)
        : commands{log, cfg.book, m, {cached_streams}}, shape(in_shape) {
        commands.on_deadline_change(
            [this](const complaint_id& id, std::optional<instant> n) { scheduler.update(id, n); });
        server.start();
        for (int i = 0; i < 2; ++i) threads.emplace_back([this] { ioc.run(); });
        REQUIRE(commands.rebuild().has_value());
        REQUIRE(reads.start().has_value());
        scheduler.start();
    }
    ~service() {
        server.stop();
        scheduler.stop();
        ioc.stop();
        for (auto& t : threads) t.join();
    }

    reply send(bh::verb method, const std::string& target, const std::string& body = {},
               const std::map<std::string, std::string>& headers = {}) {
        asio::io_context io;
        beast::tcp_stream stream(io);
        stream.connect(asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), server.port()});
        bh::request<bh::string_body> req{method, target, 11};
        req.set(bh::field::host, "127.0.0.1");
        for (const auto& [k, v] : headers) req.set(k, v);
        req.body() = body;
        req.prepare_payload();
        bh::write(stream, req);
        beast::flat_buffer buf;
        bh::response<bh::string_body> res;
        bh::read(stream, buf, res);
        return {res.result_int(),
                res.body(),
                std::string(res[bh::field::content_type]),
                std::string(res[bh::field::www_authenticate]),
                std::string(res[bh::field::content_encoding]),
                std::string(res[bh::field::vary]),
                std::string(res[bh::field::link])};
    }

    // Files complaints c0..c{n-1} by webhook and waits until the read model holds them.
    void file_complaints(int n) {
        for (int i = 0; i < n; ++i) {
            const auto k = std::to_string(i);
            REQUIRE(webhook(filing_event("e-" + k, "c" + k).dump(), "m" + k, wall()).status == 202);
        }
        REQUIRE(reads.wait_for(log.head(), std::chrono::seconds{5}));
    }

    reply get(const std::string& target, const std::string& token = {}) {
        return send(bh::verb::get, target, {},
                    token.empty()
                        ? std::map<std::string, std::string>{}
                        : std::map<std::string, std::string>{{"Authorization", "Bearer " + token}});
    }

    reply webhook(const std::string& body, const std::string& id, instant ts,
                  const std::string& source = "helpdesk", const std::string& key = secret) {
        const auto t = std::to_string(ts.time_since_epoch().count());
        return send(bh::verb::post, "/v1/webhooks/" + source, body,
                    {{"webhook-id", id},
                     {"webhook-timestamp", t},
                     {"webhook-signature", webhooks::sign(key, id, t, body)},
                     {"content-type", "application/json"}});
    }
};

json filing_event(const std::string& id, const std::string& complaint) {
    return json{{"specversion", "1.0"},
                {"id", id},
                {"source", "zendesk"},
                {"type", "complaint.filed"},
                {"time", iso8601::format_instant(wall())},
                {"data",
                 {{"complaint_id", complaint},
                  {"customer", {{"id", "cust-1"}, {"segment", "standard"}, {"value", 100}}},
                  {"severity", "low"},
                  {"channel", "email"},
                  {"category", "billing"},
                  {"product", "card"},
                  {"team", "emea"},
                  {"summary", "double charge"}}}};
}

}  // namespace

SCENARIO("signed webhooks are accepted once, durably", "[http][webhook]") {
    service svc;
    GIVEN("a valid signed delivery") {
        const auto body = filing_event("e-1", "c1").dump();
        const auto r = svc.webhook(body, "msg_1", wall());
        THEN("it is 202 with the accepted ids, and the event is in the log") {
            CHECK(r.status == 202);
            CHECK(r.js()["accepted"] == json::array({"e-1"}));
            CHECK(svc.log.head() == 1);
            CHECK(svc.log.read_stream("complaint-c1", 1)->front().type == "ComplaintFiled");
        }
        WHEN("the same webhook-id is delivered again") {
            const auto again = svc.webhook(body, "msg_1", wall());
            THEN("it is 202 with the same answer and nothing is written") {
                CHECK(again.status == 202);
                CHECK(again.body == r.body);
                CHECK(svc.log.head() == 1);
            }
        }
        WHEN("the same webhook-id comes back with a body that is not valid") {
            const auto bad = svc.webhook("", "msg_1", wall());
            THEN("the body is refused as such, not answered from the stored receipt") {
                CHECK(bad.status == 400);
                CHECK(svc.log.head() == 1);
            }
        }
        WHEN("the same event arrives under another webhook-id") {
            const auto again = svc.webhook(body, "msg_2", wall());
            THEN("it is 202, reported unchanged, and nothing is written") {
                CHECK(again.status == 202);
                CHECK(again.js()["unchanged"] == json::array({"e-1"}));
                CHECK(svc.log.head() == 1);
            }
        }
        WHEN("an event does not fit the complaint's state") {
            auto ev = filing_event("e-2", "c1");
            ev["type"] = "complaint.resolved";
            ev["data"] = {{"complaint_id", "c1"}, {"employee", "ana"}};
            const auto rej = svc.webhook(ev.dump(), "msg_3", wall());
            THEN("it is accepted as a delivery and the rejection names its reason") {
                CHECK(rej.status == 202);
                CHECK(rej.js()["rejected"][0]["reason"] == "invalid_transition");
                CHECK(rej.js()["rejected"][0]["id"] == "e-2");
                CHECK(rej.js()["rejected"][0]["type"] == "complaint.resolved");
                CHECK(rej.js()["accepted"] == json::array());
                // The text is what nlohmann dumps for it (receipts of older answers hold that).
                CHECK(rej.body == rej.js().dump());
                CHECK(svc.log.head() == 1);
                CHECK(svc.m.value("bounceback_rejections_total",
                                  {{"reason", "invalid_transition"}}) == 1);
            }
        }
    }
    GIVEN("a batch of two events") {
        const auto body =
            json::array({filing_event("e-1", "c1"), filing_event("e-2", "c2")}).dump();
        THEN("both are accepted") {
            const auto r = svc.webhook(body, "msg_b", wall());
            CHECK(r.status == 202);
            CHECK(r.js()["accepted"].size() == 2);
            CHECK(svc.log.head() == 2);
        }
    }
}

SCENARIO("webhooks that cannot be trusted or understood are refused", "[http][webhook]") {
    service svc;
    const auto body = filing_event("e-1", "c1").dump();
    THEN("unsigned -> 401") {
        const auto r = svc.send(bh::verb::post, "/v1/webhooks/helpdesk", body);
        CHECK(r.status == 401);
        CHECK(r.content_type == "application/problem+json");
    }
    THEN("any one of the three headers missing -> 401") {
        const auto t = std::to_string(wall().time_since_epoch().count());
        const std::map<std::string, std::string> all{
            {"webhook-id", "m-h"},
            {"webhook-timestamp", t},
            {"webhook-signature", webhooks::sign(secret, "m-h", t, body)}};
        for (const auto& [missing, _] : all) {
            auto headers = all;
            headers.erase(missing);
            CHECK(svc.send(bh::verb::post, "/v1/webhooks/helpdesk", body, headers).status == 401);
        }
        CHECK(svc.log.head() == 0);
    }
    THEN("a timestamp 301 s ahead -> 401; 299 s ahead -> 202") {
        CHECK(svc.webhook(body, "f1", wall() + std::chrono::seconds{301}).status == 401);
        CHECK(svc.webhook(body, "f2", wall() + std::chrono::seconds{299}).status == 202);
    }
    THEN("during rotation both secrets verify, and extra signatures do no harm") {
        const std::string next = "whsec_" + webhooks::base64_encode("the-next-helpdesk-secret");
        svc.cfg.webhook_sources["helpdesk"].secrets = {next, secret};
        CHECK(svc.webhook(body, "r1", wall(), "helpdesk", next).status == 202);
        CHECK(svc.webhook(filing_event("e-2", "c2").dump(), "r2", wall()).status == 202);
        const auto t = std::to_string(wall().time_since_epoch().count());
        const auto b3 = filing_event("e-3", "c3").dump();
        const auto both =
            "v1,bm90LWEtc2lnbmF0dXJlLWF0LWFsbC0wMDAwMDAwMDA= " + webhooks::sign(next, "r3", t, b3) +
            " v1a,ignored";
        CHECK(
            svc.send(bh::verb::post, "/v1/webhooks/helpdesk", b3,
                     {{"webhook-id", "r3"}, {"webhook-timestamp", t}, {"webhook-signature", both}})
                .status == 202);
        svc.cfg.webhook_sources["helpdesk"].secrets = {next};
        CHECK(svc.webhook(filing_event("e-4", "c4").dump(), "r4", wall()).status == 401);
    }
    THEN("signed with another secret -> 401") {
        CHECK(
            svc.webhook(body, "m", wall(), "helpdesk", "whsec_" + webhooks::base64_encode("wrong"))
                .status == 401);
    }
    THEN("a timestamp 301 s old -> 401; 299 s old -> 202") {
        CHECK(svc.webhook(body, "m1", wall() - std::chrono::seconds{301}).status == 401);
        CHECK(svc.webhook(body, "m2", wall() - std::chrono::seconds{299}).status == 202);
    }
    THEN("an unknown source -> 404") {
        CHECK(svc.webhook(body, "m", wall(), "nosuch").status == 404);
    }
    THEN("a body that is not JSON -> 400 problem+json") {
        const auto r = svc.webhook("{not json", "m", wall());
        CHECK(r.status == 400);
        CHECK(r.js()["type"] == "/problems/malformed-body");
        CHECK_FALSE(r.js()["request_id"].get<std::string>().empty());
    }
    THEN("an invalid event -> 422 naming the field, nothing written") {
        auto ev = filing_event("e-1", "c1");
        ev["data"]["customer"].erase("id");
        const auto r = svc.webhook(ev.dump(), "m", wall());
        CHECK(r.status == 422);
        CHECK(r.js()["field"] == "data.customer.id");
        CHECK(svc.log.head() == 0);
    }
    THEN("a batch with one invalid event writes nothing") {
        auto bad = filing_event("e-2", "c2");
        bad["data"]["severity"] = "huge";
        const auto r =
            svc.webhook(json::array({filing_event("e-1", "c1"), bad}).dump(), "m", wall());
        CHECK(r.status == 422);
        CHECK(r.js()["field"] == "[1].data.severity");
        CHECK(svc.log.head() == 0);
    }
    THEN("a body over 1 MiB -> 413") {
        // Headers announce the size; the server answers before the body is sent.
        asio::io_context io;
        asio::ip::tcp::socket s(io);
        s.connect({asio::ip::make_address("127.0.0.1"), svc.server.port()});
        const std::string head =
            "POST /v1/webhooks/helpdesk HTTP/1.1\r\nHost: x\r\nContent-Length: " +
            std::to_string((1 << 20) + 1) + "\r\n\r\n{";
        asio::write(s, asio::buffer(head));
        beast::flat_buffer buf;
        bh::response<bh::string_body> res;
        bh::read(s, buf, res);
        CHECK(res.result_int() == 413);
        CHECK(json::parse(res.body())["type"] == "/problems/body-too-large");
    }
}

SCENARIO("every other endpoint needs a bearer token with the right role", "[http][auth]") {
    service svc;
    REQUIRE(svc.webhook(filing_event("e-1", "c1").dump(), "m", wall()).status == 202);
    THEN("health and readiness are open") {
        CHECK(svc.get("/healthz").status == 200);
        CHECK(svc.get("/readyz").status == 200);
    }
    THEN("no token -> 401 with a challenge; an unknown token -> 401") {
        const auto r = svc.get("/v1/complaints/c1");
        CHECK(r.status == 401);
        CHECK(r.www_authenticate == "Bearer");
        CHECK(svc.get("/v1/complaints/c1", "tok-nobody").status == 401);
    }
    THEN("an agent reads complaints and their history, not metrics") {
        const auto r = svc.get("/v1/complaints/c1", "tok-agent");
        CHECK(r.status == 200);
        CHECK(r.js()["status"] == "received");
        CHECK(r.js()["policy"]["id"] == "standard");
        const auto h = svc.get("/v1/complaints/c1/history", "tok-agent").js();
        CHECK(h["events"][0]["type"] == "ComplaintFiled");
        CHECK(h["events"][0]["hash_ok"] == true);
        CHECK(h["intact"] == true);
        CHECK(svc.get("/metrics", "tok-agent").status == 403);
    }
    THEN("a manager reads metrics, an auditor history, an admin everything") {
        const auto m = svc.get("/metrics", "tok-manager");
        CHECK(m.status == 200);
        CHECK(m.body.find("bounceback_events_appended_total 1") != std::string::npos);
        CHECK(m.body.find("bounceback_http_requests_total{route=\"/v1/webhooks/"
                          "{source}\",status=\"202\"} 1") != std::string::npos);
        CHECK(m.body.find("bounceback_complaints{state=\"received\"} 1") != std::string::npos);
        CHECK(m.body.find("bounceback_append_seconds_bucket") != std::string::npos);
        CHECK(svc.get("/v1/complaints/c1/history", "tok-auditor").status == 200);
        const auto v = svc.get("/v1/audit/verify", "tok-auditor");
        CHECK(v.status == 200);
        CHECK(v.js()["intact"] == true);
        CHECK(v.js()["events"] == 1);
        CHECK(svc.get("/v1/audit/verify", "tok-agent").status == 403);
        CHECK(svc.get("/v1/complaints/c1/history", "tok-manager").status == 403);
        CHECK(svc.get("/metrics", "tok-admin").status == 200);
    }
    THEN("unknown things are 404 and wrong methods 405, as problem+json") {
        CHECK(svc.get("/v1/complaints/nope", "tok-agent").status == 404);
        CHECK(svc.get("/v1/nothing-here", "tok-admin").status == 404);
        const auto r = svc.send(bh::verb::delete_, "/v1/complaints/c1");
        CHECK(r.status == 405);
        CHECK(r.content_type == "application/problem+json");
    }
    THEN("tokens and signatures never reach the log") {
        (void)svc.get("/v1/complaints/c1", "tok-agent");
        std::lock_guard lock(svc.log_mutex);
        REQUIRE_FALSE(svc.log_lines.empty());
        for (const auto& l : svc.log_lines) {
            CHECK(l.find("tok-agent") == std::string::npos);
            CHECK(l.find("v1,") == std::string::npos);
            CHECK(l.find("request_id=") == 0);
        }
    }
}

SCENARIO("a client that sends too slowly is cut off", "[http][timeouts]") {
    service svc;
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), svc.server.port()});
    asio::write(
        s, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));  // never finishes
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    beast::flat_buffer buf;
    bh::response<bh::string_body> res;
    beast::error_code ec;
    bh::read(s, buf, res, ec);
    CHECK((ec || res.result_int() == 408));
}

SCENARIO("scraping metrics while commands run never deadlocks", "[http][metrics]") {
    // A scrape reads every stream's state; a command holds its stream and counts into metrics.
    service svc;
    std::atomic<int> accepted{0}, scraped{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 40; ++i) {
                const auto id = "t" + std::to_string(t) + "-" + std::to_string(i);
                if (svc.webhook(filing_event(id, "c-" + id).dump(), "m-" + id, wall()).status ==
                    202)
                    ++accepted;
            }
        });
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 60; ++i)
                if (svc.get("/metrics", "tok-manager").status == 200) ++scraped;
        });
    for (auto& th : threads) th.join();
    CHECK(accepted == 120);
    CHECK(scraped == 120);
}

SCENARIO("every endpoint x every role: 401 without a valid token, 403 for the wrong role",
         "[http][auth]") {
    service svc;
    REQUIRE(svc.webhook(filing_event("e-1", "c1").dump(), "m", wall()).status == 202);
    REQUIRE(svc.reads.wait_for(1, std::chrono::seconds{5}));
    struct endpoint {
        std::string path;
        std::set<std::string> roles;  // admin may always
    };
    const std::vector<endpoint> endpoints = {
        {"/v1/complaints/c1", {"tok-agent", "tok-manager", "tok-auditor"}},
        {"/v1/complaints", {"tok-agent", "tok-manager", "tok-auditor"}},
        {"/v1/complaints/c1/history", {"tok-agent", "tok-auditor"}},
        {"/v1/audit/verify", {"tok-auditor"}},
        {"/v1/sla/summary", {"tok-manager"}},
        {"/v1/sla/at-risk", {"tok-manager", "tok-agent"}},
        {"/v1/analytics/prevention", {"tok-manager"}},
        {"/v1/employees/scores", {"tok-manager"}},
        {"/v1/employees/nobody", {"tok-manager"}},
        {"/metrics", {"tok-manager"}},
        {"/v1/webhook-deliveries", {"tok-manager", "tok-auditor"}},
        {"/v1/webhook-subscriptions", {"tok-manager", "tok-auditor"}},
    };
    for (const auto& ep : endpoints) {
        INFO(ep.path);
        CHECK(svc.get(ep.path).status == 401);
        CHECK(svc.get(ep.path, "tok-unknown").status == 401);
        for (const std::string token : {"tok-agent", "tok-manager", "tok-auditor", "tok-admin"}) {
            INFO(token);
            const auto status = svc.get(ep.path, token).status;
            const bool may = token == "tok-admin" || ep.roles.contains(token);
            if (may)
                CHECK((status == 200 || status == 404));
            else
                CHECK(status == 403);
        }
    }
    // Redelivery and resuming a subscription change state: admin only (404 here: this service
    // has no subscriptions and records no deliveries).
    for (const std::string path :
         {"/v1/webhook-deliveries/1/redeliver", "/v1/webhook-subscriptions/main/enable"}) {
        INFO(path);
        const auto post = [&](const std::string& token) {
            return svc
                .send(bh::verb::post, path, {},
                      token.empty() ? std::map<std::string, std::string>{}
                                    : std::map<std::string, std::string>{{"Authorization",
                                                                          "Bearer " + token}})
                .status;
        };
        CHECK(post("") == 401);
        CHECK(post("tok-unknown") == 401);
        for (const std::string token : {"tok-agent", "tok-manager", "tok-auditor"})
            CHECK(post(token) == 403);
        CHECK(post("tok-admin") == 404);
    }
    for (const std::string open : {"/healthz", "/readyz", "/openapi.yaml"}) {
        INFO(open);
        CHECK(svc.get(open).status == 200);
    }
}

TEST_CASE("a report's policy_version must be a positive integer", "[http][reports]") {
    service svc;
    for (const auto* bad : {"0", "two", "2x", "-1"}) {
        const auto r = svc.get(std::string("/v1/sla/summary?policy_version=") + bad, "tok-manager");
        INFO(bad);
        CHECK(r.status == 400);
        CHECK(r.body.find("policy_version") != std::string::npos);
    }
    CHECK(svc.get("/v1/sla/summary?policy_version=2", "tok-manager").status == 200);
}

SCENARIO("a complaint's view shows the root cause found, and its value as exact money",
         "[http][view]") {
    service svc;
    REQUIRE(svc.webhook(filing_event("e-1", "c1").dump(), "m1", wall()).status == 202);
    auto found = filing_event("e-2", "c1");
    found["type"] = "complaint.root_cause_found";
    found["data"] = {{"complaint_id", "c1"},
                     {"root_cause", {{"category", "payment-gateway"}, {"detail", "timeout"}}}};
    REQUIRE(svc.webhook(found.dump(), "m2", wall()).status == 202);
    REQUIRE(svc.reads.wait_for(svc.log.head(), std::chrono::seconds{5}));
    const auto v = svc.get("/v1/complaints/c1", "tok-agent").js();
    CHECK(v["root_cause"] == json{{"category", "payment-gateway"}, {"detail", "timeout"}});
    CHECK(v["customer"]["value"] == "100.00");
    CHECK(v["customer"]["currency"] == "USD");
}

SCENARIO("a customer's page over HTTP", "[http][customer]") {
    service svc;
    svc.file_complaints(3);  // c0..c2, all of cust-1
    WHEN("an agent asks for the customer") {
        const auto r = svc.get("/v1/customers/cust-1", "tok-agent");
        INFO(r.body);
        REQUIRE(r.status == 200);
        const auto j = r.js();
        THEN("every complaint is there with its clocks, and the counts and risk are given") {
            CHECK(j["customer_id"] == "cust-1");
            CHECK(j["segment"] == "standard");
            CHECK(j["lifetime_value"] == json{{"amount", "100.00"}, {"currency", "USD"}});
            CHECK(j["counts"]["complaints"] == 3);
            CHECK(j["counts"]["open"] == 3);
            CHECK(j["counts"]["open_breaches"] == 0);
            REQUIRE(j["complaints"].size() == 3);
            for (const auto& c : j["complaints"]) {
                CHECK(c["status"] == "received");
                CHECK(c["sla"]["acknowledge"] == "pending");
                CHECK(c["bounce_back"]["state"] == "not_yet");
                CHECK_FALSE(c.contains("customer"));  // the page is the customer's: not repeated
            }
            // Three open at once is one reason: medium risk needs more.
            CHECK(j["churn_risk"]["level"] == "low");
            CHECK(j["churn_risk"]["reasons"][0]["code"] == "several_open");
            CHECK(j["recovered_revenue"] == json::object());
        }
    }
    WHEN("the customer is unknown") {
        const auto r = svc.get("/v1/customers/nobody", "tok-manager");
        THEN("404 says so as a problem") {
            CHECK(r.status == 404);
            CHECK(r.content_type == "application/problem+json");
            CHECK(r.js()["type"] == "/problems/unknown-customer");
        }
    }
    WHEN("no token is given") {
        THEN("401") {
            CHECK(svc.get("/v1/customers/cust-1").status == 401);
        }
    }
}

SCENARIO("the work queue pages through complaints with a cursor and a Link header",
         "[http][queue]") {
    service svc;
    svc.file_complaints(5);
    GIVEN("five open complaints of the same value, pages of two, most valuable first") {
        std::vector<std::string> seen;
        std::string target = "/v1/complaints?sort=value&limit=2&team=emea";
        int pages = 0;
        while (!target.empty() && pages < 10) {
            const auto r = svc.get(target, "tok-agent");
            INFO(target << " -> " << r.body);
            REQUIRE(r.status == 200);
            const auto j = r.js();
            CHECK(j["matched"] == 5);
            for (const auto& c : j["complaints"]) {
                seen.push_back(c["id"]);
                CHECK(c["status"] == "received");
                CHECK(c["next_due"]["target"] == "acknowledge");
                CHECK(c["customer"]["currency"] == "USD");
            }
            ++pages;
            if (j["next_cursor"].is_null()) {
                CHECK(r.link.empty());
                target.clear();
            } else {
                // The Link header is the same query with the next cursor.
                const auto cursor = j["next_cursor"].get<std::string>();
                CHECK(r.link.find("cursor=" + cursor) != std::string::npos);
                CHECK(r.link.find("team=emea") != std::string::npos);
                CHECK(r.link.ends_with(">; rel=\"next\""));
                target = r.link.substr(1, r.link.find('>') - 1);
            }
        }
        THEN("three pages hold each complaint once, ties in value ordered by id") {
            CHECK(pages == 3);
            CHECK(seen == std::vector<std::string>{"c0", "c1", "c2", "c3", "c4"});
        }
    }
    WHEN("a parameter is wrong") {
        for (const auto& [query, field] :
             std::vector<std::pair<std::string, std::string>>{{"status=open", "status"},
                                                              {"sort=urgency", "sort"},
                                                              {"order=up", "order"},
                                                              {"breached=maybe", "breached"},
                                                              {"due_before=tomorrow", "due_before"},
                                                              {"limit=0", "limit"},
                                                              {"cursor=zz", "cursor"},
                                                              {"cursor=12~f", "cursor"}}) {
            INFO(query);
            const auto r = svc.get("/v1/complaints?" + query, "tok-agent");
            THEN("400 names the parameter") {
                CHECK(r.status == 400);
                CHECK(r.content_type == "application/problem+json");
                CHECK(r.body.find("\"" + field + "\"") != std::string::npos);
            }
        }
        AND_WHEN("a cursor of the documented shape points past the end") {
            const auto r = svc.get("/v1/complaints?cursor=999999999999999999~ff", "tok-agent");
            THEN("the page is empty, not an error") {
                CHECK(r.status == 200);
                CHECK(r.js()["complaints"].empty());
                CHECK(r.js()["next_cursor"].is_null());
            }
        }
    }
}

SCENARIO("the SLA summary is cached only until the read model changes", "[http][reports]") {
    service svc;
    REQUIRE(svc.webhook(filing_event("e-1", "c1").dump(), "m1", wall()).status == 202);
    REQUIRE(svc.reads.wait_for(1, std::chrono::seconds{5}));
    const auto body = [&] {
        auto j = nlohmann::json::parse(svc.get("/v1/sla/summary?period=day", "tok-manager").body);
        j.erase("as_of");
        return j;
    };
    const auto first = body();
    WHEN("it is asked again with nothing new") {
        THEN("the answer is the same") {
            CHECK(body() == first);
        }
    }
    WHEN("another complaint is filed") {
        const auto before = svc.reads.position();
        REQUIRE(svc.webhook(filing_event("e-2", "c2").dump(), "m2", wall()).status == 202);
        REQUIRE(svc.reads.wait_for(before + 1, std::chrono::seconds{5}));
        THEN("the next answer counts it") {
            const auto second = body();
            CHECK(second != first);
            CHECK(second["position"].get<std::int64_t>() > first["position"].get<std::int64_t>());
        }
    }
}

SCENARIO("concurrent requests for a summary the model moved past compute it once",
         "[http][reports]") {
    service svc;
    svc.file_complaints(200);
    const auto computations = [&] {
        return svc.m.value("bounceback_sla_report_computations_total", {});
    };
    const auto before = computations();
    WHEN("16 clients ask at once") {
        std::vector<reply> replies(16);
        std::atomic<int> ready{0};
        std::vector<std::thread> clients;
        for (std::size_t i = 0; i < replies.size(); ++i)
            clients.emplace_back([&, i] {
                ++ready;
                while (ready.load() < static_cast<int>(replies.size())) std::this_thread::yield();
                replies[i] = svc.get("/v1/sla/summary", "tok-manager");
            });
        for (auto& c : clients) c.join();
        THEN("all get the same summary, computed once, at the model's position") {
            CHECK(computations() == before + 1);
            for (const auto& r : replies) {
                REQUIRE(r.status == 200);
                CHECK(r.js()["complaints"] == 200);
                CHECK(r.js()["position"] == svc.reads.position());
            }
        }
    }
}

SCENARIO("the SLA summary is gzip-coded for clients that accept it", "[http][reports]") {
    service svc;
    svc.file_complaints(20);
    const auto get = [&](const std::string& accept) {
        std::map<std::string, std::string> h{{"Authorization", "Bearer tok-manager"}};
        if (!accept.empty()) h["Accept-Encoding"] = accept;
        return svc.send(bh::verb::get, "/v1/sla/summary?period=day", {}, h);
    };
    const auto without_as_of = [](const std::string& text) {
        auto j = json::parse(text);
        j.erase("as_of");
        return j;
    };
    const auto plain = get("");
    REQUIRE(plain.status == 200);
    CHECK(plain.content_encoding.empty());
    CHECK(plain.vary == "Accept-Encoding");
    for (const std::string accept : {"gzip", "br, gzip;q=0.8", "*"}) {
        WHEN("the client sends Accept-Encoding: " + accept) {
            const auto zipped = get(accept);
            THEN("the body is gzip, smaller, and decodes to the same summary") {
                REQUIRE(zipped.status == 200);
                CHECK(zipped.content_encoding == "gzip");
                CHECK(zipped.vary == "Accept-Encoding");
                CHECK(zipped.content_type == "application/json");
                CHECK(zipped.body.size() * 2 < plain.body.size());
                const auto text = test::gunzip(zipped.body);
                REQUIRE(text);
                CHECK(without_as_of(*text) == without_as_of(plain.body));
            }
        }
    }
    WHEN("the client refuses gzip") {
        const auto r = get("gzip;q=0, identity");
        THEN("the body is plain JSON") {
            CHECK(r.content_encoding.empty());
            CHECK(without_as_of(r.body) == without_as_of(plain.body));
        }
    }
}

// Found by fuzz_http: a problem response quoting a path that is not UTF-8 threw while encoding.
SCENARIO("request bytes that are not UTF-8 still get a problem+json answer", "[http][errors]") {
    service s;
    WHEN("a complaint id in the path is not UTF-8") {
        const auto r = s.get("/v1/complaints/zd-\x84\xff", "tok-manager");
        THEN("404 problem+json that parses") {
            CHECK(r.status == 404);
            CHECK(r.content_type == "application/problem+json");
            CHECK(r.js().value("status", 0) == 404);
        }
    }
    WHEN("a webhook source in the path is not UTF-8") {
        const auto r = s.send(bh::verb::post, "/v1/webhooks/h\x84lpdesk", "{}");
        THEN("a problem with its status, not a dropped connection") {
            CHECK(r.status >= 400);
            CHECK(r.status < 500);
            CHECK(r.js().value("status", 0U) == r.status);
        }
    }
}

// Storage faults: SQLite's writes fail (a full disk, an I/O error) at every point of an append,
// through a VFS that wraps the real one (tests/infra/faulty_vfs.hpp).
SCENARIO("a failing disk: 503, nothing half-written, recovery when it heals", "[http][storage]") {
    test::faulty_vfs::install();
    const int code = GENERATE(SQLITE_FULL, SQLITE_IOERR_WRITE);
    const int after = GENERATE(0, 1, 2, 3, 5, 8, 13);
    service svc;
    REQUIRE(svc.webhook(filing_event("e-1", "c1").dump(), "msg_1", wall()).status == 202);
    const auto batch = json::array({filing_event("e-2", "c2"), filing_event("e-3", "c3")}).dump();

    WHEN("writes fail after " + std::to_string(after) + " more succeed (code " +
         std::to_string(code) + ")") {
        test::faulty_vfs::fail_writes(code, after);
        const auto failed = svc.webhook(batch, "msg_2", wall());
        const int failures = test::faulty_vfs::failures();
        test::faulty_vfs::heal();
        if (after == 0) REQUIRE(failures > 0);  // the fault did happen
        THEN("the delivery is refused with 503 problem+json, or it was written whole") {
            if (failures > 0) {
                CHECK(failed.status == 503);
                CHECK(failed.content_type == "application/problem+json");
                CHECK(failed.js()["type"] == "/problems/storage-unavailable");
            } else {
                CHECK(failed.status == 202);
            }
        }
        AND_WHEN("the disk heals and the sender retries the same delivery") {
            const auto retried = svc.webhook(batch, "msg_2", wall());
            THEN("every event is in the log exactly once, and the chain verifies") {
                REQUIRE(retried.status == 202);
                const auto r = retried.js();
                CHECK(r["accepted"].size() + r["unchanged"].size() == 2);
                CHECK(svc.log.head() == 3);
                for (const auto* id : {"complaint-c1", "complaint-c2", "complaint-c3"})
                    CHECK(svc.log.read_stream(id, 1)->size() == 1);
                const auto verify = svc.get("/v1/audit/verify", "tok-auditor");
                CHECK(verify.status == 200);
                CHECK(verify.js()["intact"] == true);
                CHECK(verify.js()["events"] == 3);
                CHECK(svc.get("/v1/complaints/c3", "tok-manager").status == 200);
            }
        }
    }
}

// Routes that answer from memory run on the I/O thread (no hand-off to the worker pool); writes,
// the audit and listings that walk the whole model do not. Both kinds are served over real HTTP
// by every scenario above.
TEST_CASE("only routes that answer from memory run on the I/O thread", "[http]") {
    service svc;
    const auto at_once = [](service& s, const http::request& r) {
        return s.api.where(r) == router::placement::at_once;
    };
    const auto req = [](bh::verb v, const std::string& target) {
        http::request r{v, target, 11};
        return r;
    };
    CHECK(at_once(svc, req(bh::verb::get, "/healthz")));
    CHECK(at_once(svc, req(bh::verb::get, "/readyz")));
    CHECK_FALSE(at_once(svc, req(bh::verb::get, "/metrics")));
    // A summary is quick once its text is cached for the read model's current generation.
    const auto summary = req(bh::verb::get, "/v1/sla/summary?group_by=team");
    CHECK_FALSE(at_once(svc, summary));
    REQUIRE(svc.get("/v1/sla/summary?group_by=team", "tok-manager").status == 200);
    CHECK(at_once(svc, summary));
    CHECK_FALSE(at_once(svc, req(bh::verb::get, "/v1/sla/summary?group_by=segment")));
    REQUIRE(svc.webhook(filing_event("e-q", "cq").dump(), "msg_q", wall()).status == 202);
    REQUIRE(svc.reads.wait_for(svc.log.head(), std::chrono::seconds(5)));
    CHECK_FALSE(at_once(svc, summary));  // the model moved on: recomputed on the worker pool
    // A complaint when the command side holds its state or the read model has caught up with
    // the log (see the scenario below); otherwise it is folded from the log.
    CHECK(at_once(svc, req(bh::verb::get, "/v1/complaints/cq")));
    // A webhook waits for the event log's writer without holding a thread.
    CHECK(svc.api.where(req(bh::verb::post, "/v1/webhooks/helpdesk")) == router::placement::async);
    CHECK_FALSE(at_once(svc, req(bh::verb::get, "/v1/complaints/c-1/history")));
    CHECK_FALSE(at_once(svc, req(bh::verb::get, "/v1/audit/verify")));
    CHECK_FALSE(at_once(svc, req(bh::verb::get, "/v1/sla/at-risk")));
    CHECK_FALSE(at_once(svc, req(bh::verb::post, "/v1/webhook-deliveries/d-1/redeliver")));
    // Refusals need nothing but the route table.
    CHECK(at_once(svc, req(bh::verb::get, "/no/such/route")));
    CHECK(at_once(svc, req(bh::verb::delete_, "/healthz")));
}

SCENARIO("a complaint the command side no longer holds is answered as it stands", "[http][cache]") {
    service svc(1);  // the command side caches one stream at most
    for (const auto* id : {"ca", "cb", "cc"})
        REQUIRE(svc.webhook(filing_event(std::string("e-") + id, id).dump(),
                            std::string("msg-") + id, wall())
                    .status == 202);
    REQUIRE(svc.reads.wait_for(svc.log.head(), std::chrono::seconds(5)));
    REQUIRE_FALSE(svc.commands.cached(complaint_id{"ca"}));
    WHEN("it is acknowledged, and then read") {
        const json ack = {{"specversion", "1.0"},
                          {"id", "e-ack"},
                          {"source", "helpdesk"},
                          {"type", "complaint.acknowledged"},
                          {"time", iso8601::format_instant(wall())},
                          {"data", {{"complaint_id", "ca"}, {"employee", "agent-7"}}}};
        REQUIRE(svc.webhook(ack.dump(), "msg-ack", wall()).status == 202);
        const auto right_after = svc.get("/v1/complaints/ca", "tok-agent");
        REQUIRE(svc.webhook(filing_event("e-cd", "cd").dump(), "msg-cd", wall()).status == 202);
        REQUIRE(svc.reads.wait_for(svc.log.head(), std::chrono::seconds(5)));
        REQUIRE_FALSE(svc.commands.cached(complaint_id{"ca"}));
        const auto later = svc.get("/v1/complaints/ca", "tok-agent");
        THEN("both answers show it: from the command side, then from the read model") {
            REQUIRE(right_after.status == 200);
            CHECK(right_after.js()["status"] == "acknowledged");
            REQUIRE(later.status == 200);
            CHECK(later.js()["status"] == "acknowledged");
            CHECK(later.js()["owner"] == "agent-7");
            CHECK(svc.get("/v1/complaints/nobody", "tok-agent").status == 404);
        }
    }
}

SCENARIO("a webhook is answered the same whether the ingress queues its events or waits for them",
         "[http][webhook]") {
    for (const auto shape : {ingress_shape::queues, ingress_shape::blocks}) {
        const bool blocks = shape == ingress_shape::blocks;
        const std::string shape_name =
            blocks ? "an ingress that waits (the Kafka shape)" : "an ingress that queues";
        GIVEN(shape_name) {
            service svc(100'000, shape);
            THEN("the webhook runs asynchronously or on a worker") {
                const http::request post{bh::verb::post, "/v1/webhooks/helpdesk", 11};
                CHECK(svc.api.where(post) ==
                      (blocks ? router::placement::workers : router::placement::async));
            }
            WHEN("a batch files, acknowledges, and acknowledges a complaint never filed") {
                const json ack = {{"specversion", "1.0"},
                                  {"id", "e-ack"},
                                  {"source", "zendesk"},
                                  {"type", "complaint.acknowledged"},
                                  {"time", iso8601::format_instant(wall())},
                                  {"data", {{"complaint_id", "cw"}, {"employee", "agent-7"}}}};
                auto unknown = ack;
                unknown["id"] = "e-unknown";
                unknown["data"]["complaint_id"] = "nobody";
                const auto batch = json::array({filing_event("e-file", "cw"), ack, unknown}).dump();
                const auto r = svc.webhook(batch, "msg-w", wall());
                THEN("the same 202 lists each outcome, and a redelivery gets it again") {
                    REQUIRE(r.status == 202);
                    CHECK(r.body ==
                          R"({"accepted":["e-file","e-ack"],"rejected":[{"detail":"complaint was )"
                          R"(never filed","id":"e-unknown","reason":"unknown_complaint","type":)"
                          R"("complaint.acknowledged"}],"unchanged":[],"webhook_id":"msg-w"})");
                    CHECK(svc.webhook(batch, "msg-w", wall()).body == r.body);
                    CHECK(svc.get("/v1/complaints/cw", "tok-agent").js()["status"] ==
                          "acknowledged");
                }
            }
        }
    }
}
