#include <catch2/catch.hpp>

#include "handlers/ingress/kafka_record_decoder.hpp"
#include "services/deadline_queue.hpp"
#include "tests/domain/fixtures.hpp"

using namespace bb;
using bb::test::at;

namespace {

kafka::record structured(std::string value) {
    return kafka::record{
        0, 7, "cust-1", std::move(value), {{"content-type", "application/cloudevents+json"}}};
}

// An acknowledgement in binary mode: attributes in ce_ headers, the data as the value.
kafka::record binary() {
    return kafka::record{2,
                         9,
                         "cust-1",
                         R"({"complaint_id":"c1","employee":"emp-1"})",
                         {{"ce_specversion", "1.0"},
                          {"ce_id", "e2"},
                          {"ce_source", "crm"},
                          {"ce_type", "complaint.acknowledged"},
                          {"ce_time", "2026-11-20T10:05:00Z"},
                          {"ce_partitionkey", "cust-1"},
                          {"content-type", "application/json"}}};
}

const char* filed = R"({"specversion":"1.0","id":"e1","source":"crm","type":"complaint.filed",
  "time":"2026-11-20T10:00:00Z","data":{"complaint_id":"c1","customer":{"id":"cust-1"},
  "severity":"high","channel":"email","category":"billing","team":"emea"}})";

}  // namespace

SCENARIO("inbound Kafka records in structured and binary mode", "[kafka][inbound]") {
    GIVEN("a structured-mode record") {
        const auto e = inbound::from_kafka(structured(filed));
        THEN("it is the CloudEvent in the value") {
            REQUIRE(e.has_value());
            CHECK(e->id == "e1");
            CHECK(e->type == "complaint.filed");
            CHECK(e->data["complaint_id"] == "c1");
        }
    }
    GIVEN("a binary-mode record: attributes in ce_ headers, the data as the value") {
        auto r = binary();
        const auto e = inbound::from_kafka(r);
        THEN("the same event as in structured mode") {
            REQUIRE(e.has_value());
            CHECK(e->id == "e2");
            CHECK(e->source == "crm");
            CHECK(e->partition_key == "cust-1");
            CHECK(e->data["employee"] == "emp-1");
            const auto c = inbound::to_command(*e);
            REQUIRE(c.has_value());
            CHECK(inbound::routing_key(*e, *c) == "cust-1");
        }
        AND_WHEN("its data is not JSON") {
            r.value = "{not json";
            const auto bad = inbound::from_kafka(r);
            THEN("the reason names the value") {
                REQUIRE_FALSE(bad.has_value());
                CHECK(bad.error().detail == "the record value is not valid JSON");
            }
        }
        AND_WHEN("an attribute header is not UTF-8 (found by fuzz_cloudevent)") {
            r.headers[2].second = "crm\xff\xfe";
            const auto bad = inbound::from_kafka(r);
            THEN("it is refused, naming the attribute, before it can reach an encoder") {
                REQUIRE_FALSE(bad.has_value());
                CHECK(bad.error().status == 422);
                CHECK(bad.error().field == "source");
            }
        }
        AND_WHEN("an attribute is valid UTF-8 beyond ASCII") {
            r.headers[2].second = "crm-m\xc3\xbcnchen-\xf0\x9f\x98\x80";
            THEN("it is accepted as is") {
                CHECK(inbound::from_kafka(r).value().source == r.headers[2].second);
            }
        }
        AND_WHEN("an attribute is an overlong or surrogate encoding") {
            for (const std::string bad :
                 {"\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80"}) {
                r.headers[2].second = bad;
                CHECK_FALSE(inbound::from_kafka(r).has_value());
            }
        }
        AND_WHEN("a required attribute is missing") {
            r.headers.erase(r.headers.begin() + 2);  // ce_source
            const auto bad = inbound::from_kafka(r);
            THEN("the attribute is named") {
                REQUIRE_FALSE(bad.has_value());
                CHECK(bad.error().field == "source");
            }
        }
    }
    GIVEN("records that are not events") {
        CHECK(inbound::from_kafka(structured("[1,2]")).error().detail ==
              "a record carries one CloudEvent object");
        CHECK(inbound::from_kafka(structured("{")).error().status == 400);
        CHECK(inbound::from_kafka(structured(std::string(inbound::max_record_bytes + 1, ' ')))
                  .error()
                  .status == 413);
    }
    GIVEN("a filing") {
        const auto e = inbound::from_kafka(structured(filed));
        const auto c = inbound::to_command(*e);
        THEN("its routing key is the customer in the data") {
            REQUIRE(c.has_value());
            CHECK(inbound::routing_key(*e, *c) == "cust-1");
        }
    }
}

TEST_CASE("a record decodes to what from_kafka and to_command give", "[kafka][inbound]") {
    const auto slowly = [](const kafka::record& r) {
        const auto e = inbound::from_kafka(r);
        if (!e)
            return std::expected<inbound::command, inbound::invalid_input>(
                std::unexpected(e.error()));
        return inbound::to_command(*e);
    };
    const auto binary_ack = binary();
    auto no_team = nlohmann::json::parse(filed);
    no_team["data"].erase("team");
    inbound::cloudevent_decoder d;
    for (const auto& r :
         {structured(filed), binary_ack, structured(no_team.dump()), structured("[1,2]"),
          structured("{"), structured(std::string(inbound::max_record_bytes + 1, ' '))}) {
        INFO(r.value.substr(0, 200));
        const auto want = slowly(r);
        const auto got = inbound::decode_kafka_record(r, d);
        REQUIRE(got.has_value() == want.has_value());
        if (want) {
            CHECK(got->cmd == *want);
            CHECK(got->event.id == inbound::from_kafka(r)->id);
        } else {
            CHECK(got.error().status == want.error().status);
            CHECK(got.error().field == want.error().field);
            CHECK(got.error().detail == want.error().detail);
        }
    }
}

SCENARIO("the deadline queue hands out what is due, earliest first", "[deadlines]") {
    deadline_queue q;
    q.update(complaint_id{"a"}, at("2026-11-20T12:00:00Z"));
    q.update(complaint_id{"b"}, at("2026-11-20T11:00:00Z"));
    q.update(complaint_id{"c"}, at("2026-11-20T13:00:00Z"));
    WHEN("a deadline moves and another is cleared") {
        q.update(complaint_id{"a"}, at("2026-11-20T10:00:00Z"));
        q.update(complaint_id{"c"}, std::nullopt);
        THEN("only the current deadlines are due, in order, once") {
            CHECK(q.size() == 2);
            const auto due = q.take_due(at("2026-11-20T11:30:00Z"));
            REQUIRE(due.size() == 2);
            CHECK(due[0].first == complaint_id{"a"});
            CHECK(due[1].first == complaint_id{"b"});
            CHECK(q.take_due(at("2026-11-21T00:00:00Z")).empty());
        }
    }
    WHEN("a deadline is set again to where it is") {
        q.update(complaint_id{"b"}, at("2026-11-20T11:00:00Z"));
        THEN("it is queued once, in its place") {
            CHECK(q.size() == 3);
            CHECK(q.next_of(complaint_id{"b"}) == at("2026-11-20T11:00:00Z"));
            const auto due = q.take_due(at("2026-11-20T12:00:00Z"));
            REQUIRE(due.size() == 2);
            CHECK(due[0].first == complaint_id{"b"});
            CHECK(due[1].first == complaint_id{"a"});
        }
    }
}
