#include <catch2/catch.hpp>

#include "infra/kafka/topic_policy.hpp"

using namespace bb;

namespace {
using config = std::vector<std::pair<std::string, std::string>>;
const std::string fix =
    "kafka-configs.sh --bootstrap-server k1:9092 --alter --entity-type topics --entity-name "
    "complaints.events --add-config cleanup.policy=delete,retention.ms=-1,retention.bytes=-1";
}  // namespace

SCENARIO("an events topic that can delete records is named, with the command that fixes it",
         "[kafka][topics]") {
    GIVEN("the settings the service creates the events topic with") {
        auto c = kafka::kept_for_ever();
        c.emplace_back("min.insync.replicas", "2");
        THEN("it keeps every record") {
            CHECK_FALSE(kafka::deletes_records(c, "complaints.events", "k1:9092").has_value());
        }
    }
    GIVEN("the broker's default: seven days") {
        const config c{
            {"cleanup.policy", "delete"}, {"retention.ms", "604800000"}, {"retention.bytes", "-1"}};
        const auto why = kafka::deletes_records(c, "complaints.events", "k1:9092");
        REQUIRE(why.has_value());
        CHECK_THAT(*why, Catch::Contains("topic complaints.events can delete records "
                                         "(retention.ms=604800000)"));
        CHECK_THAT(*why, Catch::EndsWith(fix));
    }
    GIVEN("a size limit and compaction") {
        const config c{{"cleanup.policy", "compact,delete"},
                       {"retention.ms", "-1"},
                       {"retention.bytes", "1073741824"}};
        const auto why = kafka::deletes_records(c, "complaints.events", "k1:9092");
        REQUIRE(why.has_value());
        CHECK_THAT(*why, Catch::Contains("cleanup.policy=compact,delete"));
        CHECK_THAT(*why, Catch::Contains("retention.bytes=1073741824"));
        CHECK_THAT(*why, Catch::EndsWith(fix));
    }
    GIVEN("a broker that does not report a setting (its own default applies)") {
        const config c{{"cleanup.policy", "delete"}, {"retention.ms", "-1"}};
        const auto why = kafka::deletes_records(c, "complaints.events", "k1:9092");
        REQUIRE(why.has_value());
        CHECK_THAT(*why, Catch::Contains("retention.bytes=(broker default)"));
    }
}

TEST_CASE("a deliveries topic that is not compacted is named, with the command that fixes it",
          "[kafka][topics]") {
    const config made{{"cleanup.policy", "compact,delete"}, {"retention.ms", "2592000000"}};
    CHECK_FALSE(kafka::not_compacted(made, "complaints.events.deliveries", "k1:9092"));
    CHECK_FALSE(kafka::not_compacted({{"cleanup.policy", "compact"}}, "d", "k1:9092"));
    const auto why = kafka::not_compacted({{"cleanup.policy", "delete"}},
                                          "complaints.events.deliveries", "k1:9092");
    REQUIRE(why.has_value());
    CHECK_THAT(*why, Catch::StartsWith("topic complaints.events.deliveries is not compacted "
                                       "(cleanup.policy=delete)"));
    CHECK_THAT(*why, Catch::EndsWith("kafka-configs.sh --bootstrap-server k1:9092 --alter "
                                     "--entity-type topics --entity-name "
                                     "complaints.events.deliveries --add-config "
                                     "cleanup.policy=[compact,delete]"));
    CHECK_THAT(*kafka::not_compacted({}, "d", "k1:9092"),
               Catch::Contains("cleanup.policy=(broker default)"));
}

TEST_CASE("replication asks for what the cluster can give unless configured", "[kafka][topics]") {
    using kafka::replication;
    const auto at = [](replication r, int brokers) {
        const auto got = kafka::resolve(r, brokers);
        return std::pair{got.factor, got.min_insync};
    };
    CHECK(at({}, 1) == std::pair{1, 1});
    CHECK(at({}, 2) == std::pair{2, 2});
    CHECK(at({}, 3) == std::pair{3, 2});
    CHECK(at({}, 7) == std::pair{3, 2});
    CHECK(at({5, 0}, 7) == std::pair{5, 2});
    CHECK(at({5, 4}, 7) == std::pair{5, 4});
    CHECK(at({2, 0}, 1) == std::pair{2, 2});  // refused by ensure_topics: too few brokers
}
