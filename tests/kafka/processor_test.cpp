#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "services/kafka_processor.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/kafka/broker.hpp"

using namespace bb;

namespace {

std::string filed(int i) {
    return test::filed_complaint(i);
}

void publish(const kafka::settings& base, const std::string& topic, int count) {
    auto producer = kafka::make_producer(base);
    REQUIRE(producer.has_value());
    for (int i = 0; i < count; ++i) {
        auto value = filed(i);
        const auto key = "cust-" + std::to_string(i);
        REQUIRE((*producer)->produce(topic, 0, RdKafka::Producer::RK_MSG_COPY, value.data(),
                                     value.size(), key.data(), key.size(), 0,
                                     nullptr) == RdKafka::ERR_NO_ERROR);
    }
    REQUIRE((*producer)->flush(30000) == RdKafka::ERR_NO_ERROR);
}

// Options for a processor on fresh one-partition topics (created), with these client settings.
kafka_processor_options one_partition_topics(const std::string& name, kafka::settings extra) {
    const auto brokers = test::kafka_brokers();
    const auto prefix = test::unique_topic(name);
    kafka_processor_options o;
    o.client = {{"bootstrap.servers", brokers}};
    o.client.insert(o.client.end(), extra.begin(), extra.end());
    o.inbound_topic = prefix + ".in";
    o.events_topic = prefix + ".events";
    o.deadletter_topic = prefix + ".dead";
    o.group = prefix;
    REQUIRE(kafka::ensure_topics(
                brokers, {{o.inbound_topic, 1}, {o.events_topic, 1}, {o.deadletter_topic, 1}})
                .has_value());
    return o;
}

}  // namespace

SCENARIO("a transaction stops taking records once it has been open max_txn_work",
         "[kafka][processor]") {
    GIVEN("40 inbound complaints and a processor whose transactions may work no time at all") {
        auto o = one_partition_topics("budget", {});
        o.instance_id = "i1";
        o.max_batch = 100;
        // As if every record took longer than the budget (a sanitizer build on a busy machine):
        // before the budget, the whole batch went into one transaction however long it took.
        o.max_txn_work = std::chrono::milliseconds(0);
        constexpr int count = 40;
        publish(o.client, o.inbound_topic, count);

        const auto book = test::book();
        metrics m;
        std::atomic<bool> month_later{false};
        kafka_processor processor(
            o, book, m,
            [&] { return test::at(month_later ? "2026-12-20T10:00:00Z" : "2026-11-20T10:00:00Z"); },
            [](const std::string&) {});
        std::atomic<bool> stopping{false};
        std::thread runner([&] { processor.run(stopping); });
        const auto wait_for = [](const auto& done) {
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
            while (!done() && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        };
        const auto processed = [&] {
            return m.value("bounceback_kafka_records_total", {{"outcome", "processed"}});
        };
        // Stream id -> how many of `type` (and `target`, when given) the event topic holds.
        const auto events_of = [&](const std::string& type, const std::string& target) {
            std::map<std::string, int> per_stream;
            const auto read = kafka::read_to_end(
                o.client, o.events_topic, {0},
                [&](kafka::record&& r) {
                    const auto e = nlohmann::json::parse(r.value);
                    if (e["type"] == type && (target.empty() || e["data"]["target"] == target))
                        ++per_stream[e["subject"].get<std::string>()];
                },
                60000);
            REQUIRE(read.has_value());
            return per_stream;
        };
        const auto each_once = [&](const std::map<std::string, int>& per_stream) {
            return per_stream.size() == count &&
                   std::ranges::all_of(per_stream, [](const auto& kv) { return kv.second == 1; });
        };
        wait_for([&] { return processed() >= count; });

        WHEN("it has worked through them") {
            THEN("each record went into a transaction of its own, and each one exactly once") {
                CHECK(processed() == count);
                CHECK(m.value("bounceback_kafka_transactions_total", {{"outcome", "committed"}}) >=
                      count);
                CHECK(m.value("bounceback_kafka_transactions_total", {{"outcome", "aborted"}}) ==
                      0);
                CHECK(each_once(events_of("ComplaintFiled", "")));
            }
        }
        WHEN("a month later every complaint's deadlines are due at once") {
            month_later = true;
            wait_for([&] { return events_of("SlaBreached", "resolve").size() == count; });
            THEN("the ticks, too, are spread over transactions, and each breach is recorded once") {
                CHECK(each_once(events_of("SlaBreached", "acknowledge")));
                CHECK(each_once(events_of("SlaBreached", "resolve")));
                CHECK(m.value("bounceback_kafka_transactions_total", {{"outcome", "committed"}}) >=
                      2 * count);
            }
        }
        stopping = true;
        runner.join();
    }
}

SCENARIO("an owner whose partition moved on cannot commit the deadlines it still holds",
         "[kafka][processor][fencing]") {
    GIVEN("a VIP complaint owned by processor A, which stalls past max.poll.interval.ms") {
        // The smallest poll interval the group allows (it may not be below session.timeout.ms).
        const auto o = one_partition_topics(
            "zombie", {{"session.timeout.ms", "6000"}, {"max.poll.interval.ms", "6000"}});
        publish(o.client, o.inbound_topic, 1);  // c0, VIP: acknowledge within 15 minutes

        const auto book = test::book();
        const auto filed_at = test::at("2026-11-20T10:00:00Z");
        const auto next_day = test::at("2026-11-21T10:00:00Z");
        // A's clock: the filing day until stalled; a stalled clock call blocks (as a pause of
        // the whole process would) until released, then tells the next day.
        std::mutex mutex;
        std::condition_variable changed;
        bool stall = false, stalled = false, released = false;
        const auto clock_a = [&] {
            std::unique_lock lock(mutex);
            if (!stall) return filed_at;
            stalled = true;
            changed.notify_all();
            changed.wait(lock, [&] { return released; });
            return next_day;
        };
        const auto wait_for = [](const auto& done) {
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
            while (!done() && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            return done();
        };
        const auto acknowledge_breaches = [&] {
            int n = 0;
            const auto read = kafka::read_to_end(
                o.client, o.events_topic, {0},
                [&](kafka::record&& r) {
                    const auto e = nlohmann::json::parse(r.value);
                    if (e["type"] == "SlaBreached" && e["data"]["target"] == "acknowledge") ++n;
                },
                60000);
            REQUIRE(read.has_value());
            return n;
        };

        // The processors' lines, collected on their threads (Catch2 is not thread-safe) and shown
        // by the assertions below.
        std::mutex said_mutex;
        std::string said;
        const auto say = [&](std::string who) {
            return [&, who](const std::string& line) {
                std::lock_guard lock(said_mutex);
                said += who + line + "\n";
            };
        };
        const auto lines = [&] {
            std::lock_guard lock(said_mutex);
            return said;
        };
        metrics ma, mb;
        auto oa = o;
        oa.instance_id = "a";
        kafka_processor a(oa, book, ma, clock_a, say("A: "));
        std::atomic<bool> stopping{false};
        std::thread run_a([&] { a.run(stopping); });
        // However the test ends, A is woken and both processors stop before they are destroyed.
        struct stop_a {
            std::function<void()> f;
            ~stop_a() { f(); }
        } stopper{[&] {
            {
                std::lock_guard lock(mutex);
                released = true;
            }
            changed.notify_all();
            stopping = true;
            run_a.join();
        }};
        REQUIRE(wait_for([&] {
            return ma.value("bounceback_kafka_records_total", {{"outcome", "processed"}}) == 1;
        }));
        {
            std::unique_lock lock(mutex);
            stall = true;
            REQUIRE(changed.wait_for(lock, std::chrono::seconds(60), [&] { return stalled; }));
        }

        WHEN("B joins, takes the partition and decides the breach, and then A wakes up") {
            auto ob = o;
            ob.instance_id = "b";
            kafka_processor b(
                ob, book, mb, [&] { return next_day; }, say("B: "));
            std::thread run_b([&] { b.run(stopping); });
            struct stop_b {
                std::function<void()> f;
                ~stop_b() { f(); }
            } stopper_b{[&] {
                stopping = true;
                run_b.join();
            }};
            REQUIRE(wait_for([&] { return acknowledge_breaches() == 1; }));
            const auto a_done = [&] {
                return ma.value("bounceback_kafka_transactions_total", {{"outcome", "committed"}}) +
                       ma.value("bounceback_kafka_transactions_total", {{"outcome", "aborted"}});
            };
            const auto before = a_done();
            {
                std::lock_guard lock(mutex);
                released = true;
            }
            changed.notify_all();
            REQUIRE(wait_for([&] { return a_done() > before; }));
            THEN("A's transaction with the same breach is aborted: the topic holds it once") {
                INFO(lines());
                CHECK(ma.value("bounceback_kafka_transactions_total", {{"outcome", "aborted"}}) >=
                      1);
                CHECK(acknowledge_breaches() == 1);
            }
        }
    }
}
