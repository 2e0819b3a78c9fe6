#pragma once

#include <string>

namespace bb::test {

// The bootstrap address of the test broker that scripts/kafka-broker.sh started (CTest fixture
// "kafka"), or BOUNCEBACK_KAFKA_BROKERS when set. Fails the test when there is none.
std::string kafka_brokers();
// A topic name no earlier run used, so tests never see each other's records.
std::string unique_topic(const std::string& prefix);
// The inbound CloudEvent (structured JSON) filing complaint c<i> of customer cust-<i>, event id
// e<i>, a high-severity billing complaint on 2026-11-20 10:00 UTC.
std::string filed_complaint(int i);

}  // namespace bb::test
