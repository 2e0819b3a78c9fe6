#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <ranges>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "services/kafka_processor.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/infra/temp_dir.hpp"
#include "tests/kafka/broker.hpp"

using namespace bb;

namespace {

std::string filed(int i) {
    return test::filed_complaint(i);
}

std::string acknowledged(int i) {
    const auto n = std::to_string(i);
    return R"({"specversion":"1.0","id":"ack)" + n +
           R"(","source":"crm","type":"complaint.acknowledged","time":"2026-11-20T10:05:00Z",
      "data":{"complaint_id":"c)" +
           n + R"(","employee":"emp-1"}})";
}

void publish(const kafka::settings& base, const std::string& topic,
             const std::vector<std::string>& values) {
    auto producer = kafka::make_producer(base);
    REQUIRE(producer.has_value());
    for (const auto& v : values) {
        auto value = v;
        const auto key = nlohmann::json::parse(v)["id"].get<std::string>();
        REQUIRE((*producer)->produce(topic, 0, RdKafka::Producer::RK_MSG_COPY, value.data(),
                                     value.size(), key.data(), key.size(), 0,
                                     nullptr) == RdKafka::ERR_NO_ERROR);
    }
    REQUIRE((*producer)->flush(30000) == RdKafka::ERR_NO_ERROR);
}

std::vector<std::string> filings(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) out.push_back(filed(i));
    return out;
}

// How many events of each type the event topic holds.
std::map<std::string, int> event_types(const kafka_processor_options& o) {
    std::map<std::string, int> out;
    const auto read = kafka::read_to_end(
        o.client, o.events_topic, {0},
        [&](kafka::record&& r) { ++out[nlohmann::json::parse(r.value)["type"]]; }, 60000);
    REQUIRE(read.has_value());
    return out;
}

bool wait_for(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!done() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return done();
}

// Runs a processor with `o` until `records` inbound records are processed (dead letters
// included), then stops it. Returns its metrics' view of the run.
struct run_result {
    double replayed = 0;   // events read from the topic while loading
    double processed = 0;  // inbound records processed
    double rejected = 0;   // records dead-lettered as rejected
};
run_result run_until(const kafka_processor_options& o, double records) {
    const auto book = test::book();
    metrics m;
    kafka_processor processor(
        o, book, m, [] { return test::at("2026-11-20T10:10:00Z"); },
        [](const std::string&) {});  // Catch2 may only be called from the test's thread
    std::atomic<bool> stopping{false};
    std::thread runner([&] { processor.run(stopping); });
    const auto processed = [&] {
        return m.value("bounceback_kafka_records_total", {{"outcome", "processed"}}) +
               m.value("bounceback_kafka_records_total", {{"outcome", "deadlettered"}});
    };
    const bool done = wait_for([&] { return processor.ready() && processed() >= records; });
    stopping = true;
    runner.join();
    REQUIRE(done);
    return {m.value("bounceback_kafka_replayed_events_total", {}), processed(),
            m.value("bounceback_deadletter_total", {{"kind", "rejected"}})};
}

}  // namespace

SCENARIO("an owner keeps its partitions in a local store and reads only the topic's tail",
         "[kafka][processor][store]") {
    GIVEN("an owner with a data directory that processed 30 complaints and stopped") {
        const auto brokers = test::kafka_brokers();
        const auto prefix = test::unique_topic("store");
        kafka_processor_options o;
        o.client = {{"bootstrap.servers", brokers}};
        o.inbound_topic = prefix + ".in";
        o.events_topic = prefix + ".events";
        o.deadletter_topic = prefix + ".dead";
        o.group = prefix;
        o.instance_id = "s";
        REQUIRE(kafka::ensure_topics(
                    brokers, {{o.inbound_topic, 1}, {o.events_topic, 1}, {o.deadletter_topic, 1}})
                    .has_value());
        const test::temp_dir dir;
        o.state_dir = (dir.path() / "kafka").string();
        const auto store = std::filesystem::path(o.state_dir) / (o.events_topic + "-0.db");

        publish(o.client, o.inbound_topic, filings(0, 30));
        const auto first = run_until(o, 30);
        REQUIRE(first.replayed == 0);  // a new topic: nothing to read
        REQUIRE(std::filesystem::exists(store));
        REQUIRE(event_types(o)["ComplaintFiled"] == 30);

        WHEN(
            "it restarts on the same data directory and gets a redelivery and an acknowledgement") {
            publish(o.client, o.inbound_topic, {filed(3), acknowledged(3)});
            const auto second = run_until(o, 2);
            THEN("it read nothing from the topic, and decided on what its store holds") {
                CHECK(second.replayed == 0);
                CHECK(second.rejected == 0);
                const auto types = event_types(o);
                CHECK(types.at("ComplaintFiled") == 30);  // the redelivery wrote nothing
                CHECK(types.at("ComplaintAcknowledged") == 1);
            }
        }
        WHEN("the topic moved on without it (another owner, no data directory) and it restarts") {
            auto other = o;
            other.state_dir.clear();
            other.instance_id = "t";
            publish(o.client, o.inbound_topic, filings(30, 35));
            const auto elsewhere = run_until(other, 5);
            REQUIRE(elsewhere.replayed == 30);  // kept in memory: read the whole partition
            publish(o.client, o.inbound_topic, {filed(32), acknowledged(32)});
            const auto back = run_until(o, 2);
            THEN("it read just the 5 events it missed, and knows the complaints they filed") {
                CHECK(back.replayed == 5);
                CHECK(back.rejected == 0);
                const auto types = event_types(o);
                CHECK(types.at("ComplaintFiled") == 35);
                CHECK(types.at("ComplaintAcknowledged") == 1);
            }
        }
        WHEN("its store is damaged and it restarts") {
            {
                std::ofstream damage(store, std::ios::binary | std::ios::trunc);
                damage << std::string(8192, 'x');
            }
            std::filesystem::remove(store.string() + "-wal");
            std::filesystem::remove(store.string() + "-shm");
            publish(o.client, o.inbound_topic, {filed(7), acknowledged(7)});
            const auto rebuilt = run_until(o, 2);
            THEN("it rebuilt the store from the whole partition and decided as before") {
                CHECK(rebuilt.replayed == 30);
                CHECK(rebuilt.rejected == 0);
                const auto types = event_types(o);
                CHECK(types.at("ComplaintFiled") == 30);
                CHECK(types.at("ComplaintAcknowledged") == 1);
            }
            AND_WHEN("it restarts once more") {
                publish(o.client, o.inbound_topic, {acknowledged(8)});
                const auto again = run_until(o, 1);
                THEN("the rebuilt store is used: only the acknowledgement's event is new") {
                    CHECK(again.replayed == 0);
                    CHECK(event_types(o).at("ComplaintAcknowledged") == 2);
                }
            }
        }
        WHEN("its store is lost and it restarts") {
            std::filesystem::remove_all(o.state_dir);
            publish(o.client, o.inbound_topic, {acknowledged(1)});
            const auto rebuilt = run_until(o, 1);
            THEN("it read the whole partition again") {
                CHECK(rebuilt.replayed == 30);
                CHECK(rebuilt.rejected == 0);
                CHECK(event_types(o).at("ComplaintAcknowledged") == 1);
            }
        }
    }
}

SCENARIO("a rebalance closes only the partitions that move", "[kafka][processor][store]") {
    GIVEN("owner A with local stores holding both partitions of a topic, 20 complaints filed") {
        const auto brokers = test::kafka_brokers();
        const auto prefix = test::unique_topic("moves");
        kafka_processor_options o;
        o.client = {{"bootstrap.servers", brokers}};
        o.inbound_topic = prefix + ".in";
        o.events_topic = prefix + ".events";
        o.deadletter_topic = prefix + ".dead";
        o.group = prefix;
        REQUIRE(kafka::ensure_topics(
                    brokers, {{o.inbound_topic, 2}, {o.events_topic, 2}, {o.deadletter_topic, 2}})
                    .has_value());
        const test::temp_dir dir;
        // Complaint i's records go to partition i % 2.
        const auto send = [&](const std::function<std::string(int)>& make) {
            auto producer = kafka::make_producer(o.client);
            REQUIRE(producer.has_value());
            for (int i = 0; i < 20; ++i) {
                auto value = make(i);
                const auto key = "cust-" + std::to_string(i);
                REQUIRE((*producer)->produce(o.inbound_topic, i % 2, RdKafka::Producer::RK_MSG_COPY,
                                             value.data(), value.size(), key.data(), key.size(), 0,
                                             nullptr) == RdKafka::ERR_NO_ERROR);
            }
            REQUIRE((*producer)->flush(30000) == RdKafka::ERR_NO_ERROR);
        };
        send(filed);

        const auto book = test::book();
        const auto clock = [] { return test::at("2026-11-20T10:10:00Z"); };
        struct lines {
            std::mutex mutex;
            std::vector<std::string> all;
            void add(const std::string& l) {
                std::lock_guard lock(mutex);
                all.push_back(l);
            }
            bool any(const std::string& part) {
                std::lock_guard lock(mutex);
                return std::ranges::any_of(
                    all, [&](const auto& l) { return l.find(part) != std::string::npos; });
            }
            std::string joined() {
                std::lock_guard lock(mutex);
                std::string out;
                for (const auto& l : all) out += l + "\n";
                return out;
            }
            std::size_t count(const std::string& part) {
                std::lock_guard lock(mutex);
                return static_cast<std::size_t>(std::ranges::count_if(
                    all, [&](const auto& l) { return l.find(part) != std::string::npos; }));
            }
        } said_a, said_b;
        metrics ma, mb;
        auto oa = o;
        oa.instance_id = "a";
        oa.state_dir = (dir.path() / "a").string();
        auto ob = o;
        ob.instance_id = "b";
        ob.state_dir = (dir.path() / "b").string();
        // The processors' threads only collect their lines: Catch2 is not thread-safe.
        kafka_processor a(oa, book, ma, clock, [&](const std::string& l) { said_a.add(l); });
        std::atomic<bool> stopping{false};
        std::thread run_a([&] { a.run(stopping); });
        std::optional<kafka_processor> b;
        std::thread run_b;
        struct stop_all {
            std::function<void()> f;
            ~stop_all() { f(); }
        } stopper{[&] {
            stopping = true;
            run_a.join();
            if (run_b.joinable()) run_b.join();
        }};
        const auto processed = [](metrics& m) {
            return m.value("bounceback_kafka_records_total", {{"outcome", "processed"}}) +
                   m.value("bounceback_kafka_records_total", {{"outcome", "deadlettered"}});
        };
        REQUIRE(wait_for([&] { return a.ready() && processed(ma) >= 20; }));

        WHEN("B joins the group and the acknowledgements arrive") {
            const auto loads_before = said_a.count("rebuilt [") + said_a.count("loaded [");
            b.emplace(ob, book, mb, clock, [&](const std::string& l) { said_b.add(l); });
            run_b = std::thread([&] { b->run(stopping); });
            REQUIRE(wait_for([&] { return said_a.any("dropped [") && b->ready(); }));
            send(acknowledged);
            REQUIRE(wait_for([&] { return processed(ma) + processed(mb) >= 40; }));
            THEN("A dropped the partition B took and did not reload the one it kept") {
                INFO("A: " << said_a.joined() << "\nB: " << said_b.joined());
                CHECK(said_a.count("rebuilt [") + said_a.count("loaded [") == loads_before);
                CHECK(processed(mb) >= 10);  // B decided its partition's acknowledgements
                CHECK(ma.value("bounceback_deadletter_total", {{"kind", "rejected"}}) == 0);
                CHECK(mb.value("bounceback_deadletter_total", {{"kind", "rejected"}}) == 0);
                std::map<std::string, int> types;
                const auto read = kafka::read_to_end(
                    o.client, o.events_topic, {0, 1},
                    [&](kafka::record&& r) { ++types[nlohmann::json::parse(r.value)["type"]]; },
                    60000);
                REQUIRE(read.has_value());
                CHECK(types["ComplaintFiled"] == 20);
                CHECK(types["ComplaintAcknowledged"] == 20);
            }
        }
    }
}

SCENARIO("a load that outlasts max.poll.interval.ms keeps the owner in the group",
         "[kafka][processor][store]") {
    GIVEN("an owner that lost its store, 24 events in its partition, and a 6 s poll interval") {
        const auto brokers = test::kafka_brokers();
        const auto prefix = test::unique_topic("slowload");
        kafka_processor_options o;
        // The smallest interval the group allows (it may not be below session.timeout.ms).
        o.client = {{"bootstrap.servers", brokers},
                    {"session.timeout.ms", "6000"},
                    {"max.poll.interval.ms", "6000"}};
        o.inbound_topic = prefix + ".in";
        o.events_topic = prefix + ".events";
        o.deadletter_topic = prefix + ".dead";
        o.group = prefix;
        o.instance_id = "slow";
        REQUIRE(kafka::ensure_topics(
                    brokers, {{o.inbound_topic, 1}, {o.events_topic, 1}, {o.deadletter_topic, 1}})
                    .has_value());
        const test::temp_dir dir;
        o.state_dir = (dir.path() / "kafka").string();
        publish(o.client, o.inbound_topic, filings(0, 24));
        REQUIRE(run_until(o, 24).processed == 24);
        std::filesystem::remove_all(o.state_dir);

        WHEN("it restarts and reading each event back takes 400 ms, ~10 s in all") {
            // A partition of millions of events on a slow disk, in miniature.
            o.load_observer = [] { std::this_thread::sleep_for(std::chrono::milliseconds(400)); };
            publish(o.client, o.inbound_topic, {acknowledged(1)});
            const auto book = test::book();
            metrics m;
            kafka_processor processor(
                o, book, m, [] { return test::at("2026-11-20T10:10:00Z"); },
                [](const std::string&) {});
            std::atomic<bool> stopping{false};
            std::thread runner([&] { processor.run(stopping); });
            const bool done = wait_for([&] {
                return processor.ready() &&
                       m.value("bounceback_kafka_records_total", {{"outcome", "processed"}}) >= 1;
            });
            // Read before stopping: closing the consumer revokes its partitions.
            const auto replayed = m.value("bounceback_kafka_replayed_events_total", {});
            const auto loads = m.value("bounceback_kafka_rebuilds_total", {});
            const auto lost = m.value("bounceback_kafka_rebalances_total", {{"change", "lost"}});
            const auto revoked =
                m.value("bounceback_kafka_rebalances_total", {{"change", "revoked"}});
            stopping = true;
            runner.join();
            THEN("it kept its partition through the load: loaded once, never lost, and decided") {
                REQUIRE(done);
                CHECK(replayed == 24);
                CHECK(loads == 1);
                CHECK(lost == 0);
                CHECK(revoked == 0);
                CHECK(event_types(o).at("ComplaintAcknowledged") == 1);
            }
        }
    }
}
