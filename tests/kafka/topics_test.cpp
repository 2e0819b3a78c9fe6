#include <algorithm>

#include <catch2/catch.hpp>

#include "infra/kafka/client.hpp"
#include "infra/kafka/topic_policy.hpp"
#include "tests/kafka/broker.hpp"

using namespace bb;

namespace {
std::string value_of(const std::vector<std::pair<std::string, std::string>>& config,
                     const std::string& key) {
    const auto it = std::ranges::find(config, key, &std::pair<std::string, std::string>::first);
    return it == config.end() ? "(absent)" : it->second;
}
}  // namespace

SCENARIO("topics are created replicated as the cluster allows, the events topic kept for ever",
         "[kafka][topics]") {
    const auto brokers = test::kafka_brokers();
    const auto events = test::unique_topic("topics.events");
    const auto inbound = test::unique_topic("topics.inbound");
    GIVEN("a single-broker cluster and no topics") {
        WHEN("the service's topics are ensured") {
            REQUIRE(
                kafka::ensure_topics(brokers, {{inbound, 3}, {events, 3, kafka::kept_for_ever()}})
                    .has_value());
            const auto ev = kafka::topic_config({{"bootstrap.servers", brokers}}, events);
            const auto in = kafka::topic_config({{"bootstrap.servers", brokers}}, inbound);
            REQUIRE(ev.has_value());
            REQUIRE(in.has_value());
            THEN("the events topic keeps every record; both ask for every replica there is") {
                CHECK(value_of(*ev, "retention.ms") == "-1");
                CHECK(value_of(*ev, "retention.bytes") == "-1");
                CHECK(value_of(*ev, "cleanup.policy") == "delete");
                CHECK(value_of(*ev, "min.insync.replicas") == "1");
                CHECK(value_of(*in, "min.insync.replicas") == "1");
                CHECK_FALSE(kafka::deletes_records(*ev, events, brokers).has_value());
            }
            THEN("a topic created without them is found to delete records") {
                const auto why = kafka::deletes_records(*in, inbound, brokers);
                REQUIRE(why.has_value());
                CHECK_THAT(*why, Catch::Contains("retention.ms=604800000"));
                CHECK_THAT(*why, Catch::Contains("--entity-name " + inbound));
            }
        }
        WHEN("more replicas are asked for than there are brokers") {
            const auto r = kafka::ensure_topics(brokers, {{events, 3}}, {3, 2});
            THEN("nothing is created and the error says why") {
                REQUIRE_FALSE(r.has_value());
                CHECK_THAT(r.error(), Catch::Contains("replication factor 3 needs 3 brokers; "
                                                      "the cluster has 1"));
                CHECK_FALSE(
                    kafka::topic_config({{"bootstrap.servers", brokers}}, events).has_value());
            }
        }
    }
}
