#include "tests/kafka/broker.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>

#include <catch2/catch.hpp>

namespace bb::test {

std::string kafka_brokers() {
    if (const char* env = std::getenv("BOUNCEBACK_KAFKA_BROKERS"); env && *env) return env;
    std::ifstream in(std::string(BOUNCEBACK_SOURCE_DIR) + "/.cache/kafka-run/brokers");
    std::string brokers;
    std::getline(in, brokers);
    if (brokers.empty())
        FAIL("no Kafka broker: run scripts/kafka-broker.sh start (CTest does, fixture 'kafka')");
    return brokers;
}

std::string unique_topic(const std::string& prefix) {
    static std::atomic<int> counter{0};
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return prefix + "-" +
           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) +
           "-" + std::to_string(++counter);
}

std::string filed_complaint(int i) {
    const auto n = std::to_string(i);
    return R"({"specversion":"1.0","id":"e)" + n +
           R"(","source":"crm","type":"complaint.filed","time":"2026-11-20T10:00:00Z",
      "data":{"complaint_id":"c)" +
           n + R"(","customer":{"id":"cust-)" + n +
           R"("},"severity":"high","channel":"email","category":"billing","team":"emea"}})";
}

}  // namespace bb::test
