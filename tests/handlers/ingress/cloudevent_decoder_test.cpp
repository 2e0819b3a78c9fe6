#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "handlers/cfpb_import.hpp"
#include "handlers/ingress/cloudevent_decoder.hpp"
#include "handlers/simulator.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/infra/json_damage.hpp"

using namespace bb;
using namespace bb::test;
using nlohmann::json;

namespace {
json filed() {
    return json{{"specversion", "1.0"},
                {"id", "e-1"},
                {"source", "zendesk"},
                {"type", "complaint.filed"},
                {"time", "2026-11-20T10:00:00Z"},
                {"data",
                 {{"complaint_id", "c1"},
                  {"customer", {{"id", "cust-1"}, {"segment", "vip"}, {"value", 900}}},
                  {"severity", "high"},
                  {"channel", "email"},
                  {"category", "billing"},
                  {"product", "card"},
                  {"team", "emea"},
                  {"summary", "double charge"}}}};
}
inbound::invalid_input error_of(const json& j) {
    const auto e = inbound::parse_event(j);
    if (!e) return e.error();
    const auto c = inbound::to_command(*e);
    REQUIRE_FALSE(c.has_value());
    return c.error();
}
}  // namespace

TEST_CASE("a complaint.filed CloudEvent becomes a filing with key source/id",
          "[handlers][inbound]") {
    const auto e = inbound::parse_event(filed());
    REQUIRE(e.has_value());
    const auto c = inbound::to_command(*e);
    REQUIRE(c.has_value());
    const auto& f = std::get<file_complaint>(std::get<complaint_command>(*c));
    CHECK(f.key == key("zendesk/e-1"));
    CHECK(f.id == cid("c1"));
    CHECK(f.customer == customer_ref{customer_id{"cust-1"}, "vip", test::amount("900")});
    CHECK(f.sev == severity::high);
    CHECK(f.at == at("2026-11-20T10:00:00Z"));
}

TEST_CASE("invalid events are refused naming the field", "[handlers][inbound]") {
    auto j = filed();
    j.erase("specversion");
    CHECK(error_of(j).field == "specversion");
    j = filed();
    j["type"] = "complaint.exploded";
    CHECK(error_of(j).field == "type");
    j = filed();
    j["time"] = "yesterday";
    CHECK(error_of(j).field == "time");
    j = filed();
    j["data"]["customer"].erase("id");
    CHECK(error_of(j).field == "data.customer.id");
    j = filed();
    j["data"]["severity"] = "apocalyptic";
    CHECK(error_of(j).field == "data.severity");
    j = filed();
    j["type"] = "survey.responded";
    j["data"] = {{"customer_id", "cust-1"}, {"score", 11}};
    CHECK(error_of(j).field == "data.score");
    j["type"] = "customer.activity";
    j["data"] = {{"customer_id", "cust-1"}, {"kind", "teleport"}};
    CHECK(error_of(j).field == "data.kind");
}

TEST_CASE("a body is one event or a batch", "[handlers][inbound]") {
    CHECK(inbound::parse_body(filed().dump())->size() == 1);
    CHECK(inbound::parse_body(json::array({filed(), filed()}).dump())->size() == 2);
    CHECK(inbound::parse_body("{nope").error().status == 400);
    auto bad = filed();
    bad.erase("id");
    const auto e = inbound::parse_body(json::array({filed(), bad}).dump());
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().status == 422);
    CHECK(e.error().field == "[1].id");
    CHECK(inbound::parse_body("[]").error().status == 422);
}

TEST_CASE("customer signals route by customer", "[handlers][inbound]") {
    auto j = filed();
    j["type"] = "customer.activity";
    j["data"] = {{"customer_id", "cust-1"}, {"kind", "purchase"}, {"value", 20}};
    const auto c = inbound::to_command(*inbound::parse_event(j));
    const auto& s = std::get<inbound::customer_signal>(*c);
    CHECK(s.customer == customer_id{"cust-1"});
    const auto cmd = std::get<record_customer_activity>(s.for_complaint(cid("c9")));
    CHECK(cmd.id == cid("c9"));
    CHECK(cmd.kind == activity_kind::purchase);
}

TEST_CASE("CSV records: quotes, doubled quotes, newlines in fields, CRLF", "[handlers][cfpb]") {
    std::istringstream in("a,\"b,1\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",,z\n");
    std::vector<std::string> f;
    REQUIRE(cfpb::read_record(in, f));
    CHECK(f == std::vector<std::string>{"a", "b,1", "say \"hi\""});
    REQUIRE(cfpb::read_record(in, f));
    CHECK(f == std::vector<std::string>{"multi\nline", "", "z"});
    CHECK_FALSE(cfpb::read_record(in, f));
}

TEST_CASE("CFPB rows map to inbound events per the data README", "[handlers][cfpb]") {
    std::istringstream in(
        "Date received,Product,Sub-product,Issue,Sub-issue,Consumer complaint narrative,Company "
        "public response,Company,State,ZIP code,Tags,Consumer consent provided?,Submitted via,Date "
        "sent to company,Company response to consumer,Timely response?,Consumer "
        "disputed?,Complaint ID\n"
        "9/24/2019,Mortgage,,Trouble during payment process,,\"They lost my\npayment, "
        "twice\",,BANK X,NY,10001,Older American,,Web,9/26/2019,Closed with "
        "explanation,Yes,Yes,42\n"
        "2019-09-25,Credit card,,Billing disputes,Wrong amount,,,BANK Y,,,,,Phone,2019-09-25,In "
        "progress,Yes,N/A,43\n");
    const auto r = cfpb::import_csv(in);
    REQUIRE(r.has_value());
    CHECK(r->rows == 2);
    CHECK(r->errors.empty());
    std::vector<std::string> types;
    for (const auto& e : r->events)
        types.push_back(e["type"].get<std::string>() + ":" +
                        e["data"]["complaint_id"].get<std::string>());
    CHECK(types == std::vector<std::string>{"complaint.filed:42", "complaint.filed:43",
                                            "complaint.acknowledged:42", "complaint.resolved:42",
                                            "survey.responded:42"});
    const auto& f = r->events[0];
    CHECK(f["id"] == "cfpb-42-filed");
    CHECK(f["time"] == "2019-09-24T00:00:00Z");
    CHECK(f["data"]["customer"]["id"] == "cfpb-NY-10001");
    CHECK(f["data"]["customer"]["segment"] == "older-american");
    CHECK(f["data"]["category"] == "Trouble during payment process");
    CHECK(f["data"]["summary"] == "They lost my\npayment, twice");
    CHECK(r->events[3]["time"] == "2019-09-26T00:00:00Z");
    CHECK(r->events[4]["data"]["score"] == 0);
    for (const auto& e : r->events)
        CHECK(inbound::to_command(*inbound::parse_event(e)).has_value());
}

TEST_CASE("a closed CFPB row with a Sub-issue but no Issue gets the Unknown root cause",
          "[handlers][cfpb]") {
    // Found by fuzz_cfpb_import: the root cause carried the empty Issue, which the inbound
    // decoder refuses, so importing such a row produced an event no one could process.
    std::istringstream in(
        "Date received,Product,Issue,Sub-issue,Company,Submitted via,Date sent to "
        "company,Company response to consumer,Complaint ID\n"
        "2023-08-23,Credit card,,Wrong amount,BANK Y,Web,2023-08-23,Closed with explanation,7\n");
    const auto r = cfpb::import_csv(in);
    REQUIRE(r.has_value());
    REQUIRE(r->events.size() == 4);
    CHECK(r->events[0]["data"]["category"] == "Unknown");
    CHECK(r->events[2]["type"] == "complaint.root_cause_found");
    CHECK(r->events[2]["data"]["root_cause"]["category"] == "Unknown");
    for (const auto& e : r->events)
        CHECK(inbound::to_command(*inbound::parse_event(e)).has_value());
    // The Sub-issue reaches the command as the root cause's detail (the decoder dropped it).
    const auto rc = inbound::to_command(*inbound::parse_event(r->events[2]));
    REQUIRE(rc.has_value());
    const auto* cmd = std::get_if<complaint_command>(&*rc);
    REQUIRE(cmd != nullptr);
    const auto* found = std::get_if<record_root_cause>(cmd);
    REQUIRE(found != nullptr);
    CHECK(found->category == "Unknown");
    CHECK(found->detail == std::optional<std::string>("Wrong amount"));
}

namespace {

// What the webhook route answered before cloudevent_decoder: parse_body, then to_command of each
// event, a command's error naming its event when the body holds several.
std::expected<std::vector<inbound::decoded_event>, inbound::invalid_input> reference(
    std::string_view body) {
    auto events = inbound::parse_body(body);
    if (!events) return std::unexpected(events.error());
    std::vector<inbound::decoded_event> out;
    for (std::size_t i = 0; i < events->size(); ++i) {
        auto c = inbound::to_command((*events)[i]);
        if (!c) {
            auto err = c.error();
            if (events->size() > 1) err.field = "[" + std::to_string(i) + "]." + err.field;
            return std::unexpected(err);
        }
        out.push_back({(*events)[i], *c});
    }
    return out;
}

using decoded = std::expected<std::vector<inbound::decoded_event>, inbound::invalid_input>;

void check_same(const decoded& got, const decoded& want, bool with_data) {
    REQUIRE(got.has_value() == want.has_value());
    if (!want) {
        CHECK(got.error().status == want.error().status);
        CHECK(got.error().field == want.error().field);
        CHECK(got.error().detail == want.error().detail);
        CHECK(got.error().index == want.error().index);
        return;
    }
    REQUIRE(got->size() == want->size());
    for (std::size_t i = 0; i < want->size(); ++i) {
        const auto& g = (*got)[i].event;
        const auto& w = (*want)[i].event;
        CHECK(g.id == w.id);
        CHECK(g.source == w.source);
        CHECK(g.type == w.type);
        CHECK(g.time == w.time);
        CHECK(g.partition_key == w.partition_key);
        CHECK((*got)[i].cmd == (*want)[i].cmd);
        if (with_data) CHECK(g.data == w.data);
    }
}

}  // namespace

TEST_CASE("the body decoder gives the commands and errors of parse_body and to_command",
          "[handlers][inbound]") {
    // Every inbound type as the simulator writes them (a prevention action every 500 complaints),
    // one per body and in batches.
    std::vector<json> events;
    simulate({.events = 6000, .seed = 5, .start = at("2026-10-01T00:00:00Z")},
             [&](const json& e) { events.push_back(e); });
    std::set<std::string> types;
    for (const auto& e : events) types.insert(e["type"].get<std::string>());
    CHECK(types.size() == inbound::known_types().size());

    inbound::cloudevent_decoder decoder;
    std::size_t checked = 0;
    const auto same = [&](const std::string& body) {
        INFO(body);
        const auto want = reference(body);
        check_same(decoder.decode_body(body, false), want, false);
        check_same(decoder.decode_body(body, true), want, true);
        ++checked;
    };
    for (const auto& e : events) same(e.dump());
    for (std::size_t i = 0; i + 3 <= events.size(); i += 3)
        same(json::array({events[i], events[i + 1], events[i + 2]}).dump());
    // One event of each type damaged every way, alone and second in a batch.
    std::set<std::string> damaged_types;
    for (const auto& e : events) {
        if (!damaged_types.insert(e["type"].get<std::string>()).second) continue;
        for (const auto& bad :
             test::damaged(e, {nullptr, -3, 11, 1.5, "", "x", true, json::array({"x"}),
                               json::array(), json::object()})) {
            same(bad.dump());
            same(json::array({events[0], bad}).dump());
            same(json::array({bad, events[0]}).dump());
        }
    }
    // Not JSON, not events, and what simdjson refuses but nlohmann reads (a number beyond
    // 64 bits): the nlohmann way decides.
    auto huge = events[0];
    huge["data"]["customer"]["value"] = 1;
    auto huge_text = huge.dump();
    huge_text.replace(huge_text.find("\"value\":1"), 9, "\"value\":100000000000000000000000");
    for (const std::string& body : std::vector<std::string>{
             "", "{nope", "[]", "[ ]", "5", "\"x\"", "[1]", "{} trailing", "\xFF", huge_text})
        same(body);
    std::string thousand_and_one = "[";
    for (int i = 0; i < 1001; ++i) thousand_and_one += (i ? "," : "") + events[0].dump();
    same(thousand_and_one + "]");
    // Both ways read the number and refuse it as an amount (beyond 10^14).
    CHECK_FALSE(reference(huge_text).has_value());
    CHECK(checked > 5000);
}
