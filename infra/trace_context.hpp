#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bb::trace {

// A W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace a piece of work belongs to
// and the span that did it. Inbound `traceparent` headers and CloudEvents' distributed-tracing
// extension attributes are parsed into one; the service makes a child span for its own work and
// writes that span's `traceparent` into stored events, outbound deliveries and log lines
// (docs/operations.md, "Tracing").
struct context {
    std::array<std::uint8_t, 16> trace_id{};
    std::array<std::uint8_t, 8> span_id{};  // the traceparent's parent-id field
    std::uint8_t flags = 0;                 // bit 0: sampled
    std::string state;                      // `tracestate`, carried unchanged; may be empty

    // All-zero ids are invalid (W3C); a default-constructed context means "no trace".
    bool valid() const;
    std::string traceparent() const;  // "00-<32 hex>-<16 hex>-<2 hex>"; empty when not valid
    std::string trace_id_hex() const;
    std::string span_id_hex() const;
    bool operator==(const context&) const = default;
};

// A `traceparent` value (and its `tracestate`) as the W3C recommendation reads it: version 00 is
// exactly 55 characters; a later version may append fields after a '-', which are ignored;
// version ff, upper-case hex and all-zero ids are invalid. nullopt for anything invalid: the
// caller then starts a trace of its own (a bad header is never a reason to refuse a request).
// `tracestate` is kept only when the traceparent is valid and the state is at most 512 printable
// ASCII characters.
std::optional<context> parse(std::string_view traceparent, std::string_view tracestate = {});

// A new trace: random trace and span ids, sampled.
context start();
// The span this service opens for work done on behalf of `parent`: same trace, flags and state,
// a new random span id.
context child_of(const context& parent);
// child_of(the parsed parent) when it is valid, else start().
context continue_or_start(std::string_view traceparent, std::string_view tracestate = {});

}  // namespace bb::trace
