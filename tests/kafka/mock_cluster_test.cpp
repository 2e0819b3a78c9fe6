// Fault injection with librdkafka's mock cluster: broker errors in the requests a transaction
// makes (produce, AddPartitionsToTxn, EndTxn, InitProducerId), transport failures and a broker
// going down. Exactly-once itself is proven on the real broker (tests/system/kafka_*); the mock
// in librdkafka 2.0.2 shows aborted records to readers, so these tests assert what our
// transactional producer does with each kind of error, and count records only after commits.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <thread>

// clang-format off
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h, which it needs
// clang-format on

#include "infra/kafka/client.hpp"
#include "infra/kafka/txn_producer.hpp"

using namespace bb;

namespace {

// Kafka protocol API keys (the mock takes them as numbers).
constexpr std::int16_t api_produce = 0;
constexpr std::int16_t api_init_producer_id = 22;
constexpr std::int16_t api_add_partitions_to_txn = 24;
constexpr std::int16_t api_end_txn = 26;

struct mock_cluster {
    std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> host{nullptr, rd_kafka_destroy};
    rd_kafka_mock_cluster_t* cluster = nullptr;
    std::string bootstraps;

    explicit mock_cluster(int brokers = 3) {
        char err[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
        host.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
        REQUIRE(host);
        cluster = rd_kafka_mock_cluster_new(host.get(), brokers);
        REQUIRE(cluster);
        bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
        REQUIRE(rd_kafka_mock_topic_create(cluster, "events", 3, 3) == RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    ~mock_cluster() { rd_kafka_mock_cluster_destroy(cluster); }

    kafka::settings settings() const {
        return {{"bootstrap.servers", bootstraps}, {"log_level", "0"}};
    }
    void fail(std::int16_t api, std::vector<rd_kafka_resp_err_t> errors) {
        rd_kafka_mock_push_request_errors_array(cluster, api, errors.size(), errors.data());
    }
};

std::unique_ptr<kafka::txn_producer> open(const mock_cluster& m, const std::string& id) {
    auto p = kafka::txn_producer::open(m.settings(), id, 20000);
    REQUIRE(p.has_value());
    return std::move(*p);
}

void produce(kafka::txn_producer& p, const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) {
        const auto r =
            p.produce("events", i % 3, "key-" + std::to_string(i), prefix + std::to_string(i), {});
        INFO((r ? std::string("ok") : r.error().message));
        REQUIRE(r.has_value());
    }
}

std::map<std::string, int> committed(const mock_cluster& m) {
    std::map<std::string, int> seen;
    const auto n = kafka::read_to_end(
        m.settings(), "events", {0, 1, 2}, [&](kafka::record&& r) { ++seen[r.value]; }, 30000);
    REQUIRE(n.has_value());
    return seen;
}

}  // namespace

SCENARIO("retriable broker errors inside a transaction are retried: it commits, each record once",
         "[kafka-mock]") {
    mock_cluster m;
    GIVEN("a transactional producer whose coordinator is busy at first") {
        m.fail(api_init_producer_id, {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                                      RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE});
        auto p = open(m, "retriable");
        WHEN("produce, AddPartitionsToTxn and EndTxn each fail with retriable errors") {
            m.fail(api_add_partitions_to_txn,
                   {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                    RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS});
            m.fail(api_produce,
                   {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS});
            m.fail(api_end_txn, {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                                 RD_KAFKA_RESP_ERR_NOT_COORDINATOR});
            REQUIRE(p->begin().has_value());
            produce(*p, "r-", 30);
            const auto c = p->commit();
            THEN("the commit succeeds and every record is there exactly once") {
                REQUIRE(c.has_value());
                const auto seen = committed(m);
                CHECK(seen.size() == 30);
                for (const auto& [value, count] : seen) CHECK(count == 1);
            }
        }
    }
}

SCENARIO(
    "a record the broker refuses for good makes the transaction abortable, and the redo commits",
    "[kafka-mock]") {
    mock_cluster m;
    auto p = open(m, "abortable");
    WHEN("every produce attempt of one transaction is refused for good (record too large)") {
        REQUIRE(p->begin().has_value());
        m.fail(api_produce,
               std::vector<rd_kafka_resp_err_t>(20, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE));
        produce(*p, "lost-", 3);
        const auto c = p->commit();
        THEN("commit reports it as abortable, and abort succeeds") {
            REQUIRE_FALSE(c.has_value());
            CHECK(c.error().code == kafka::txn_errc::abortable);
            CHECK(p->abort().has_value());
            AND_WHEN("the input is produced again, as the processor does after a rewind") {
                rd_kafka_mock_clear_request_errors(m.cluster, api_produce);
                // The processor's loop: abortable -> abort and redo; fatal -> a new producer
                // (init_transactions bumps the epoch and resets sequence numbers).
                int rounds = 0;
                bool done = false;
                while (!done && rounds++ < 5) {
                    REQUIRE(p->begin().has_value());
                    produce(*p, "again-", 3);
                    const auto again = p->commit();
                    done = again.has_value();
                    if (done) break;
                    INFO(again.error().message);
                    REQUIRE(again.error().code != kafka::txn_errc::fenced);
                    if (again.error().code == kafka::txn_errc::fatal || !p->abort())
                        p = open(m, "abortable");
                }
                THEN("it commits, and none of the redone records is missing") {
                    // At least once here: the 2.0.2 mock hands aborted records to
                    // read_committed readers, so a redo after an abort may show twice. That
                    // nothing is duplicated after aborts is asserted on the real broker
                    // (tests/system/kafka_eos_test.py, kafka_bounce_test.py).
                    REQUIRE(done);
                    int redone = 0;
                    for (const auto& [value, count] : committed(m))
                        if (value.starts_with("again-")) {
                            ++redone;
                            CHECK(count >= 1);
                        }
                    CHECK(redone == 3);
                }
            }
        }
    }
}

SCENARIO("a producer fenced at commit is told apart from every other failure", "[kafka-mock]") {
    mock_cluster m;
    auto p = open(m, "fenced");
    REQUIRE(p->begin().has_value());
    produce(*p, "f-", 3);
    m.fail(api_end_txn, {RD_KAFKA_RESP_ERR_PRODUCER_FENCED});
    const auto c = p->commit();
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == kafka::txn_errc::fenced);
}

SCENARIO("transport failures and a broker going down during a transaction", "[kafka-mock]") {
    mock_cluster m;
    auto p = open(m, "transport");
    WHEN("the partition leaders' connections drop on produce, and one broker is down for a while") {
        for (int broker = 1; broker <= 3; ++broker)
            rd_kafka_mock_broker_push_request_error_rtts(m.cluster, broker, api_produce, 2,
                                                         RD_KAFKA_RESP_ERR__TRANSPORT, 0,
                                                         RD_KAFKA_RESP_ERR__TRANSPORT, 0);
        REQUIRE(p->begin().has_value());
        produce(*p, "t-", 12);
        rd_kafka_mock_broker_set_down(m.cluster, 2);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        rd_kafka_mock_broker_set_up(m.cluster, 2);
        const auto c = p->commit();
        THEN("the commit succeeds or asks for an abort; never a silent loss") {
            if (c) {
                const auto seen = committed(m);
                CHECK(seen.size() == 12);
                for (const auto& [value, count] : seen) CHECK(count == 1);
            } else {
                CHECK(c.error().code == kafka::txn_errc::abortable);
                CHECK(p->abort().has_value());
            }
        }
    }
}
