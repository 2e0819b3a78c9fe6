#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace bb::projection {

// The read side's checkpoint keeps what it holds most of (settled complaints' rows,
// compliments, escalations) as records of bytes rather than JSON lines: parsing JSON was most of
// a restart. Fixed-width fields in native byte order; each chunk starts with `byte_order_mark`,
// which a machine of the other order refuses, and stays under about `chunk_bytes`.
constexpr std::uint32_t byte_order_mark = 0x01020304;
constexpr std::size_t chunk_bytes = 1 << 20;

struct byte_writer {
    std::string out;
    template <class T>
    void put(T v) {
        char b[sizeof v];
        std::memcpy(b, &v, sizeof v);
        out.append(b, sizeof v);
    }
    void text(std::string_view s) {
        put(static_cast<std::uint32_t>(s.size()));
        out.append(s);
    }
};

// Runs out instead of reading past the end: `ok` turns false and every later read is empty.
struct byte_reader {
    std::string_view in;
    bool ok = true;
    template <class T>
    T get() {
        T v{};
        if (in.size() < sizeof v) {
            ok = false;
            return v;
        }
        std::memcpy(&v, in.data(), sizeof v);
        in.remove_prefix(sizeof v);
        return v;
    }
    std::string_view text() {
        const auto n = get<std::uint32_t>();
        if (!ok || in.size() < n) {
            ok = false;
            return {};
        }
        const auto s = in.substr(0, n);
        in.remove_prefix(n);
        return s;
    }
};

}  // namespace bb::projection
