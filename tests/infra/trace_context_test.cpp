#include <set>

#include <catch2/catch.hpp>

#include "infra/trace_context.hpp"

using namespace bb;

namespace {
// The W3C recommendation's own example.
constexpr const char* example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
}  // namespace

TEST_CASE("a valid traceparent is read field by field and written back unchanged", "[trace]") {
    const auto c = trace::parse(example, "congo=t61rcWkgMzE");
    REQUIRE(c.has_value());
    CHECK(c->trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(c->span_id_hex() == "00f067aa0ba902b7");
    CHECK(c->flags == 0x01);
    CHECK(c->state == "congo=t61rcWkgMzE");
    CHECK(c->traceparent() == example);
    // Not sampled is carried as such.
    const auto unsampled = trace::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    REQUIRE(unsampled.has_value());
    CHECK(unsampled->flags == 0);
}

TEST_CASE("an invalid traceparent is refused as a whole, and its tracestate with it", "[trace]") {
    for (const char* bad : {
             "",
             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",      // no flags
             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // v00 with more
             "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // upper case
             "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // zero trace id
             "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // zero parent id
             "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // forbidden version
             "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // wrong separator
             "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",   // not hex
             "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // later version, no '-'
         }) {
        INFO(bad);
        CHECK_FALSE(trace::parse(bad, "congo=t61rcWkgMzE").has_value());
    }
}

TEST_CASE("a later version is read for the fields this version knows", "[trace]") {
    const auto c =
        trace::parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-comes-next");
    REQUIRE(c.has_value());
    CHECK(c->trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(c->flags == 0x01);  // only "sampled" is understood
    CHECK(c->traceparent() == example);
}

TEST_CASE("a tracestate that is too long or not printable is dropped, the trace kept", "[trace]") {
    const auto long_state = trace::parse(example, std::string(513, 'a'));
    REQUIRE(long_state.has_value());
    CHECK(long_state->state.empty());
    const auto control = trace::parse(example, "a=b\nc=d");
    REQUIRE(control.has_value());
    CHECK(control->state.empty());
}

TEST_CASE("a child span keeps the trace, flags and state and gets a new span id", "[trace]") {
    const auto parent = *trace::parse(example, "congo=t61rcWkgMzE");
    std::set<std::string> spans;
    for (int i = 0; i < 100; ++i) {
        const auto child = trace::child_of(parent);
        CHECK(child.valid());
        CHECK(child.trace_id == parent.trace_id);
        CHECK(child.flags == parent.flags);
        CHECK(child.state == parent.state);
        CHECK(child.span_id != parent.span_id);
        spans.insert(child.span_id_hex());
    }
    CHECK(spans.size() == 100);
}

TEST_CASE("work without a valid parent starts a sampled trace of its own", "[trace]") {
    const auto a = trace::continue_or_start("garbage");
    const auto b = trace::continue_or_start("");
    CHECK(a.valid());
    CHECK(b.valid());
    CHECK(a.trace_id != b.trace_id);
    CHECK(a.flags == 0x01);
    CHECK(trace::parse(a.traceparent()) == a);
    const auto continued = trace::continue_or_start(example);
    CHECK(continued.trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
    // No trace at all reads as nothing to write.
    CHECK(trace::context{}.traceparent().empty());
    CHECK(trace::child_of(trace::context{}).valid());
}
