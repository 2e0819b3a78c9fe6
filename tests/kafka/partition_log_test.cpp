#include <catch2/catch.hpp>

#include "infra/hash_chain.hpp"
#include "infra/kafka/partition_log.hpp"
#include "services/kafka_processor.hpp"
#include "tests/infra/event_log_conformance.hpp"
#include "tests/kafka/broker.hpp"

using namespace bb;

namespace {

// A partition log with the producer it writes through, as the conformance suite opens logs.
class standalone_log final : public event_log {
  public:
    standalone_log(std::unique_ptr<kafka::txn_producer> p, std::unique_ptr<kafka::partition_log> l)
        : producer_(std::move(p)), log_(std::move(l)) {}
    ~standalone_log() override { log_.reset(); }
    std::expected<append_result, std::error_code> append(append_request r) override {
        return log_->append(std::move(r));
    }
    std::expected<std::vector<event_record>, std::error_code> read_stream(const std::string& s,
                                                                          std::int64_t v) override {
        return log_->read_stream(s, v);
    }
    std::expected<std::vector<event_record>, std::error_code> read_all(std::int64_t from,
                                                                       std::size_t max) override {
        return log_->read_all(from, max);
    }
    std::int64_t head() override { return log_->head(); }
    std::unique_ptr<subscription> subscribe(std::int64_t from,
                                            std::function<void(const event_record&)> f) override {
        return log_->subscribe(from, std::move(f));
    }

  private:
    std::unique_ptr<kafka::txn_producer> producer_;
    std::unique_ptr<kafka::partition_log> log_;
};

std::unique_ptr<event_log> open_log(const std::string& brokers, const std::string& topic) {
    const kafka::settings base{{"bootstrap.servers", brokers}};
    auto producer = kafka::txn_producer::open(base, "conformance-" + topic);
    REQUIRE(producer.has_value());
    auto log = kafka::partition_log::open(producer->get(), base, topic, 0);
    REQUIRE(log.has_value());
    return std::make_unique<standalone_log>(std::move(*producer), std::move(*log));
}

}  // namespace

TEST_CASE("Kafka partition log conformance (real broker)", "[kafka][event_log]") {
    const auto brokers = test::kafka_brokers();
    std::string topic;
    test::event_log_conformance([&](bool fresh) -> std::unique_ptr<event_log> {
        if (fresh) {
            topic = test::unique_topic("conformance");
            REQUIRE(kafka::ensure_topics(brokers, {{topic, 1}}).has_value());
        }
        return open_log(brokers, topic);
    });
}

TEST_CASE("an aborted transaction leaves nothing a read_committed reader sees",
          "[kafka][event_log]") {
    const auto brokers = test::kafka_brokers();
    const auto topic = test::unique_topic("aborted");
    REQUIRE(kafka::ensure_topics(brokers, {{topic, 1}}).has_value());
    const kafka::settings base{{"bootstrap.servers", brokers}};
    auto producer = kafka::txn_producer::open(base, "aborted-" + topic);
    REQUIRE(producer.has_value());
    {
        auto log = kafka::partition_log::open(producer->get(), base, topic, 0);
        REQUIRE(log.has_value());
        REQUIRE((*log)
                    ->append(append_request{
                        "s", "c", 0, {proposed_event{"A", "{}", {}, "k1", "c", "c"}}, {}, {}})
                    .has_value());
        REQUIRE((*producer)->begin().has_value());
        REQUIRE((*log)
                    ->append(append_request{
                        "s", "c", 1, {proposed_event{"B", "{}", {}, "k2", "c", "c"}}, {}, {}})
                    .has_value());
        // B is on the broker, inside the open transaction, before the abort (see flush()).
        REQUIRE((*producer)->flush().has_value());
        REQUIRE((*producer)->abort().has_value());
    }
    auto reopened = kafka::partition_log::open(producer->get(), base, topic, 0);
    REQUIRE(reopened.has_value());
    CHECK((*reopened)->head() == 1);
    const auto all = (*reopened)->read_all(1, 10);
    REQUIRE(all->size() == 1);
    CHECK(all->front().type == "A");
    CHECK(all->front().prev_hash == genesis_hash);
}

TEST_CASE("the service refuses topics that are not co-partitioned", "[kafka]") {
    const auto brokers = test::kafka_brokers();
    const auto prefix = test::unique_topic("copart");
    REQUIRE(kafka::ensure_topics(
                brokers, {{prefix + ".in", 6}, {prefix + ".events", 3}, {prefix + ".dead", 1}})
                .has_value());
    kafka_processor_options o;
    o.client = {{"bootstrap.servers", brokers}};
    o.inbound_topic = prefix + ".in";
    o.events_topic = prefix + ".events";
    o.deadletter_topic = prefix + ".dead";
    const auto r = check_copartitioned(o);
    REQUIRE_FALSE(r.has_value());
    CHECK_THAT(r.error(), Catch::Contains("not co-partitioned") &&
                              Catch::Contains("6 partitions") && Catch::Contains("3 partitions"));

    REQUIRE(kafka::ensure_topics(brokers, {{prefix + ".events6", 6}}).has_value());
    o.events_topic = prefix + ".events6";
    const auto ok = check_copartitioned(o);
    REQUIRE(ok.has_value());
    CHECK(*ok == 6);
}
