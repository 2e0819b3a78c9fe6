#include "infra/trace_context.hpp"

#include <algorithm>
#include <random>

namespace bb::trace {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& bytes) {
    std::string out(2 * N, '0');
    for (std::size_t i = 0; i < N; ++i) {
        out[2 * i] = hex_digits[bytes[i] >> 4];
        out[2 * i + 1] = hex_digits[bytes[i] & 0xF];
    }
    return out;
}

// Lower-case hex only: the recommendation makes upper case invalid.
std::optional<std::uint8_t> nibble(char c) {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    return std::nullopt;
}

template <std::size_t N>
bool from_hex(std::string_view s, std::array<std::uint8_t, N>& out) {
    if (s.size() != 2 * N) return false;
    for (std::size_t i = 0; i < N; ++i) {
        const auto hi = nibble(s[2 * i]);
        const auto lo = nibble(s[2 * i + 1]);
        if (!hi || !lo) return false;
        out[i] = static_cast<std::uint8_t>(*hi << 4 | *lo);
    }
    return true;
}

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& a) {
    return std::all_of(a.begin(), a.end(), [](std::uint8_t b) { return b == 0; });
}

// Ids are random, not secret: a per-thread generator seeded once from the OS.
template <std::size_t N>
void fill_random(std::array<std::uint8_t, N>& out) {
    thread_local std::mt19937_64 gen{[] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }()};
    do {
        for (std::size_t i = 0; i < N; i += 8) {
            auto v = gen();
            for (std::size_t j = i; j < std::min(N, i + 8); ++j, v >>= 8)
                out[j] = static_cast<std::uint8_t>(v);
        }
    } while (all_zero(out));
}

bool valid_state(std::string_view s) {
    return s.size() <= 512 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

}  // namespace

bool context::valid() const {
    return !all_zero(trace_id) && !all_zero(span_id);
}

std::string context::traceparent() const {
    if (!valid()) return {};
    std::string out = "00-";
    out += to_hex(trace_id);
    out += '-';
    out += to_hex(span_id);
    out += '-';
    out += hex_digits[flags >> 4];
    out += hex_digits[flags & 0xF];
    return out;
}

std::string context::trace_id_hex() const {
    return to_hex(trace_id);
}

std::string context::span_id_hex() const {
    return to_hex(span_id);
}

std::optional<context> parse(std::string_view tp, std::string_view state) {
    // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2.
    constexpr std::size_t length = 55;
    if (tp.size() < length) return std::nullopt;
    std::array<std::uint8_t, 1> version{};
    if (!from_hex(tp.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
    if (version[0] == 0 && tp.size() != length) return std::nullopt;
    if (tp.size() > length && tp[length] != '-') return std::nullopt;
    if (tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
    context c;
    std::array<std::uint8_t, 1> flags{};
    if (!from_hex(tp.substr(3, 32), c.trace_id) || !from_hex(tp.substr(36, 16), c.span_id) ||
        !from_hex(tp.substr(53, 2), flags))
        return std::nullopt;
    if (!c.valid()) return std::nullopt;
    // A later version's flags may use more bits; only "sampled" is understood and passed on.
    c.flags = version[0] == 0 ? flags[0] : static_cast<std::uint8_t>(flags[0] & 0x01);
    if (valid_state(state)) c.state = std::string(state);
    return c;
}

context start() {
    context c;
    fill_random(c.trace_id);
    fill_random(c.span_id);
    c.flags = 0x01;
    return c;
}

context child_of(const context& parent) {
    if (!parent.valid()) return start();
    context c = parent;
    fill_random(c.span_id);
    return c;
}

context continue_or_start(std::string_view traceparent, std::string_view tracestate) {
    if (auto parent = parse(traceparent, tracestate)) return child_of(*parent);
    return start();
}

}  // namespace bb::trace
