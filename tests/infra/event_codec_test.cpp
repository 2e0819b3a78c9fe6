#include <catch2/catch.hpp>

#include "infra/codec/cloudevent_codec.hpp"
#include "infra/codec/event_codec.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/infra/json_damage.hpp"

using namespace bb;
using namespace bb::test;

namespace {

// A history that touches every complaint event type.
std::vector<complaint_event> every_complaint_event() {
    auto log = history_of({
        filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z"), 9000),
        tick{at("2026-11-20T10:20:00Z")},
        acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-20T10:21:00Z")},
        assign_complaint{key("as"), cid("c1"), emp("bo"), at("2026-11-20T10:22:00Z")},
        reclassify_complaint{key("rcl"), cid("c1"), severity::critical, "refunds", "payments",
                             std::nullopt, "a regulator is copied", at("2026-11-20T10:25:00Z")},
        request_customer_info{key("ask"), cid("c1"), at("2026-11-20T10:30:00Z")},
        record_customer_reply{key("rep"), cid("c1"), at("2026-11-20T11:30:00Z")},
        record_root_cause{key("rc"), cid("c1"), "duplicate-charge", emp("bo"),
                          at("2026-11-20T11:40:00Z"), "charged twice for one order"},
        offer_recovery{key("ro"), cid("c1"), "refund", amount("12.5"), at("2026-11-20T11:45:00Z")},
        resolve_complaint{key("res"), cid("c1"), emp("bo"), at("2026-11-20T12:00:00Z")},
        reopen_complaint{key("re"), cid("c1"), "still charged", at("2026-11-21T12:00:00Z")},
        resolve_complaint{key("res2"), cid("c1"), emp("bo"), at("2026-11-21T13:00:00Z")},
        record_survey{key("sv"), cid("c1"), 9, at("2026-11-22T13:00:00Z")},
    });
    auto lost = history_of(
        {filing("c2", "cust-2", "standard", severity::low, at("2026-11-20T10:00:00Z")),
         acknowledge_complaint{key("a2"), cid("c2"), emp("ana"), at("2026-11-20T10:01:00Z")},
         resolve_complaint{key("r2"), cid("c2"), emp("ana"), at("2026-11-20T10:02:00Z")},
         record_survey{key("s2"), cid("c2"), 1, at("2026-11-20T11:00:00Z")}});
    log.insert(log.end(), lost.begin(), lost.end());
    log.push_back(complaint_withdrawn{key("w"), cid("c3"), "dup", at("2026-11-20T10:00:00Z")});
    log.push_back(
        complaint_escalated{key("m"), cid("c3"), 0, 1, "manual: x", at("2026-11-20T10:00:00Z")});
    // A late acknowledgement's reconciliation (decided in tests/domain/late_facts_test.cpp).
    log.push_back(sla_reconciled{key("late"), cid("c3"), sla_target::acknowledge,
                                 at("2026-11-20T10:15:00Z"), at("2026-11-20T10:10:00Z")});
    return log;
}

}  // namespace

TEST_CASE("every domain event survives encode -> decode unchanged", "[infra][codec]") {
    const auto log = every_complaint_event();
    std::set<std::string> types;
    codec::text_decoder text;
    for (const auto& e : log) {
        const codec::any_event any{e};
        const auto data = codec::encode(any);
        const auto back = codec::decode(codec::type_name(any), nlohmann::json::parse(data.dump()),
                                        event_key(e), event_time(e));
        INFO(data.dump());
        REQUIRE(back.has_value());
        CHECK(std::get<complaint_event>(*back) == e);
        const auto from_text =
            text.decode(codec::type_name(any), data.dump(), event_key(e), event_time(e));
        REQUIRE(from_text.has_value());
        CHECK(std::get<complaint_event>(*from_text) == e);
        types.insert(std::string(event_type_name(e)));
    }
    CHECK(types.size() == std::variant_size_v<complaint_event>);

    const compliment_received k{
        key("k"), compliment_id{"k1"}, customer_id{"cust-1"},     {emp("ana")}, "survey",
        "great",  cid("c1"),           at("2026-11-20T10:00:00Z")};
    CHECK(std::get<compliment_received>(
              *codec::decode("ComplimentReceived", codec::encode(k), k.key, k.at)) == k);
    const prevention_action_recorded p{key("p"),      action_id{"p1"}, "billing",
                                       "fix retries", "ops",           at("2026-11-20T10:00:00Z")};
    CHECK(std::get<prevention_action_recorded>(
              *codec::decode("PreventionActionRecorded", codec::encode(p), p.key, p.at)) == p);
    CHECK(std::get<compliment_received>(
              *text.decode("ComplimentReceived", codec::encode(k).dump(), k.key, k.at)) == k);
    CHECK(std::get<prevention_action_recorded>(
              *text.decode("PreventionActionRecorded", codec::encode(p).dump(), p.key, p.at)) == p);
}

TEST_CASE("event data is written as the text a nlohmann document of it dumps", "[infra][codec]") {
    std::vector<codec::any_event> events;
    for (auto& e : every_complaint_event()) {
        // Optional fields both ways, rules with every optional part.
        if (auto* f = std::get_if<complaint_filed>(&e)) {
            auto rich = *f;
            rich.policy.match.channels = {"email", "phone"};
            rich.policy.escalation.push_back(
                {escalation_trigger::breach, sla_target::resolve, 2, std::nullopt});
            rich.policy.escalation.push_back(
                {escalation_trigger::intake, std::nullopt, 1, amount("5000.5 EUR")});
            rich.customer.value = amount("1234.2575 CLF");
            rich.summary = "quote \" backslash \\ newline \n tab \t \x01 caf\xc3\xa9";
            events.emplace_back(rich);
        }
        if (auto* r = std::get_if<root_cause_found>(&e)) {
            auto without = *r;
            without.employee.reset();
            without.detail.reset();
            events.emplace_back(without);
        }
        if (auto* b = std::get_if<bounce_back_missed>(&e)) {
            auto without = *b;
            without.score.reset();
            events.emplace_back(without);
        }
        events.emplace_back(e);
    }
    events.emplace_back(customer_bounced_back{key("bb"), cid("c1"), "purchase", std::nullopt,
                                              at("2026-11-22T13:00:00Z"), std::nullopt});
    events.emplace_back(customer_bounced_back{key("bv"), cid("c1"), "purchase", std::nullopt,
                                              at("2026-11-22T13:00:00Z"), amount("80.25 JPY")});
    events.emplace_back(customer_bounced_back{key("bs"), cid("c1"), "survey", 10,
                                              at("2026-11-22T13:00:00Z"), std::nullopt});
    compliment_received k{
        key("k"), compliment_id{"k1"}, customer_id{"cust-1"},     {emp("ana"), emp("bo")}, "survey",
        "great",  cid("c1"),           at("2026-11-20T10:00:00Z")};
    events.emplace_back(k);
    k.complaint.reset();
    events.emplace_back(k);
    events.emplace_back(prevention_action_recorded{
        key("p"), action_id{"p1"}, "billing", "fix retries", "ops", at("2026-11-20T10:00:00Z")});

    for (const auto& any : events) {
        const auto text = codec::encode_text(any);
        INFO(text);
        CHECK(text == nlohmann::json::parse(text).dump());
        auto with_customer = nlohmann::json::parse(text);
        with_customer["customer_id"] = "cust-9";
        CHECK(codec::encode_text(any, "cust-9") == with_customer.dump());
    }
    CHECK(events.size() > std::variant_size_v<complaint_event> + 6);
}

namespace {

// Every variant of `data` with one field removed or given a value of another JSON type, at any
// depth (the escalation rules' fields included).
std::vector<nlohmann::json> damaged(const nlohmann::json& data) {
    return test::damaged(
        data, {nullptr, 7, 1.5, "x", true, nlohmann::json::array({"x"}), nlohmann::json::object()});
}

}  // namespace

TEST_CASE("the text decoder answers as decode() does, also for damaged data", "[infra][codec]") {
    auto events = history_of({
        filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z"), 9000),
        tick{at("2026-11-20T10:20:00Z")},
        acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-20T10:21:00Z")},
        resolve_complaint{key("res"), cid("c1"), emp("bo"), at("2026-11-20T12:00:00Z")},
        reopen_complaint{key("re"), cid("c1"), "still charged", at("2026-11-21T12:00:00Z")},
        record_survey{key("sv"), cid("c1"), 9, at("2026-11-22T13:00:00Z")},
    });
    codec::text_decoder text;
    std::size_t compared = 0;
    for (const auto& e : events) {
        const codec::any_event any{e};
        const auto type = codec::type_name(any);
        for (const auto& data : damaged(codec::encode(any))) {
            INFO(type << " " << data.dump());
            const auto expected = codec::decode(type, data, event_key(e), event_time(e));
            const auto actual = text.decode(type, data.dump(), event_key(e), event_time(e));
            REQUIRE(actual.has_value() == expected.has_value());
            if (expected)
                CHECK(*actual == *expected);
            else
                CHECK(actual.error() == expected.error());
            ++compared;
        }
    }
    CHECK(compared > 500);
    const auto garbled = text.decode("ComplaintAcknowledged", "{\"complaint_id\": ", key("k"),
                                     at("2026-11-20T10:00:00Z"));
    REQUIRE_FALSE(garbled.has_value());
    CHECK_THAT(garbled.error(), Catch::StartsWith("data is not valid JSON"));
}

TEST_CASE("decoding names what is missing", "[infra][codec]") {
    const auto r = codec::decode("ComplaintAcknowledged", nlohmann::json{{"complaint_id", "c1"}},
                                 key("k"), at("2026-11-20T10:00:00Z"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == "employee is missing");
    CHECK(codec::decode("NoSuchEvent", nlohmann::json{{"complaint_id", "c1"}}, key("k"),
                        at("2026-11-20T10:00:00Z"))
              .error() == "unknown event type NoSuchEvent");
}

TEST_CASE("stored records round-trip through CloudEvents", "[infra][codec]") {
    const event_record r{7,
                         "complaint-c1",
                         3,
                         "cust-1",
                         "ComplaintAcknowledged",
                         R"({"complaint_id":"c1","employee":"ana"})",
                         at("2026-11-20T10:00:00Z"),
                         at("2026-11-20T10:00:01Z"),
                         "helpdesk/1",
                         "helpdesk/1",
                         "helpdesk/w1",
                         std::string(64, 'a'),
                         std::string(64, 'b')};
    const auto ce = codec::to_cloudevent(r);
    CHECK(ce["specversion"] == "1.0");
    CHECK(ce["id"] == "complaint-c1/3");
    CHECK(ce["type"] == "ComplaintAcknowledged");
    CHECK(codec::from_cloudevent(ce).value() == r);
    CHECK_FALSE(ce.contains("traceparent"));  // decided outside a trace: no attribute

    // With the CloudEvents distributed-tracing extension.
    auto traced = r;
    traced.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    traced.tracestate = "congo=t61rcWkgMzE";
    const auto tce = codec::to_cloudevent(traced);
    CHECK(tce["traceparent"] == traced.traceparent);
    CHECK(tce["tracestate"] == traced.tracestate);
    CHECK(codec::from_cloudevent(tce).value() == traced);
}

namespace {

// Stored records as the logs hold them: data as encode() writes it (a filing carries a whole
// policy), envelope strings with quotes, escapes, control and non-ASCII characters.
std::vector<event_record> stored_records() {
    std::vector<event_record> out;
    std::int64_t position = 0;
    const auto history = history_of(
        {filing("c1", "cust-\"1\"", "vip", severity::high, at("2026-11-20T10:00:00Z"), 9000.75),
         acknowledge_complaint{key("ack\\1"), cid("c1"), emp("ana\tö"), at("2026-11-20T10:21:00Z")},
         offer_recovery{key("ro"), cid("c1"), "refund €", amount("12.5"),
                        at("2026-11-20T11:45:00Z")}});
    for (const auto& e : history) {
        const codec::any_event any{e};
        out.push_back({++position, "complaint-c1", position, "cust-\"1\"\u0001",
                       std::string(codec::type_name(any)), codec::encode(any).dump(), event_time(e),
                       event_time(e) + std::chrono::seconds(1), event_key(e).value(), "helpdesk/1",
                       "helpdesk/\xC3\xA9", std::string(64, 'a'), std::string(64, 'b')});
        // Every other one decided in a trace, one of them with a vendor's tracestate.
        if (position % 2 == 0) {
            out.back().traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            if (position == 2) out.back().tracestate = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
        }
    }
    return out;
}

}  // namespace

TEST_CASE("a stored record's CloudEvent text is what nlohmann dumps, and reads back unchanged",
          "[infra][codec]") {
    codec::cloudevent_reader reader;
    for (const auto& r : stored_records()) {
        const auto text = codec::cloudevent_text(r);
        INFO(text);
        CHECK(text == codec::to_cloudevent(r).dump());
        const auto back = reader.read(text);
        REQUIRE(back.has_value());
        CHECK(*back == r);
        CHECK(*back == codec::from_cloudevent(nlohmann::json::parse(text)).value());
    }
    // Another writer's spacing and attribute order: the data kept as that writer wrote it.
    const auto r = stored_records().front();
    auto j = codec::to_cloudevent(r);
    const auto spaced = j.dump(2);
    const auto back = reader.read(spaced);
    REQUIRE(back.has_value());
    CHECK(nlohmann::json::parse(back->data) == j["data"]);
    CHECK(back->hash == r.hash);
    CHECK(back->time == r.time);
}

TEST_CASE("the CloudEvent reader rejects what from_cloudevent rejects, with the same message",
          "[infra][codec]") {
    codec::cloudevent_reader reader;
    const auto good = codec::to_cloudevent(stored_records().at(1));
    REQUIRE(good.contains("tracestate"));
    std::vector<nlohmann::json> bad;
    for (const auto& [name, value] : good.items()) {
        if (name == "id" || name == "source" || name == "specversion" || name == "subject" ||
            name == "datacontenttype")
            continue;  // derived, not read back
        auto without = good;
        without.erase(name);
        // Events decided outside a trace have no trace attributes: their absence is no error.
        if (name != "traceparent" && name != "tracestate") bad.push_back(without);
        for (const nlohmann::json& wrong :
             {nlohmann::json(nullptr), nlohmann::json(7), nlohmann::json(1.5), nlohmann::json("x"),
              nlohmann::json::array({"x"}), nlohmann::json::object()}) {
            if (wrong.type() == value.type()) continue;
            auto damaged = good;
            damaged[name] = wrong;
            bad.push_back(damaged);
        }
    }
    auto late = good;
    late["time"] = "2026-11-20 late";
    bad.push_back(late);
    for (const auto& j : bad) {
        INFO(j.dump());
        const auto expected = codec::from_cloudevent(j);
        REQUIRE_FALSE(expected.has_value());
        const auto got = reader.read(j.dump());
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == expected.error());
    }
    CHECK(bad.size() > 50);
    CHECK(reader.read("[1,2]").error() == "a CloudEvent must be an object");
    for (const std::string not_json : {"", "{", "{\"type\":\"x\"} trailing", "\xFF"})
        CHECK(reader.read(not_json).error() == "the record is not JSON");
    // The reader still works after failures (its buffers are reused).
    CHECK(reader.read(good.dump()).has_value());
}
