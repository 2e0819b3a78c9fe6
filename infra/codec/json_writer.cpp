#include "infra/codec/json_writer.hpp"

#include <utility>

#include <nlohmann/json.hpp>

namespace bb::codec {

namespace {

// The UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no surrogates, nothing above
// U+10FFFF): its length and whether it is valid. An invalid one's length is its maximal ill-formed
// prefix (at least one byte), replaced by one U+FFFD as Unicode recommends and nlohmann does.
std::pair<std::size_t, bool> utf8_sequence(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return {1, false};
    for (std::size_t k = 1; k < n; ++k) {
        if (i + k >= s.size()) return {k, false};
        const auto b = static_cast<unsigned char>(s[i + k]);
        if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) return {k, false};
    }
    return {n, true};
}

}  // namespace

void json_writer::separate() {
    if (!first_) out_ += ',';
    first_ = false;
}

json_writer& json_writer::open(char bracket) {
    separate();
    out_ += bracket;
    first_ = true;
    return *this;
}

json_writer& json_writer::close(char bracket) {
    out_ += bracket;
    first_ = false;
    return *this;
}

json_writer& json_writer::key(std::string_view k) {
    separate();
    string(k);
    out_ += ':';
    first_ = true;  // the value that follows takes no comma
    return *this;
}

json_writer& json_writer::value(std::string_view s) {
    separate();
    string(s);
    return *this;
}

json_writer& json_writer::value(bool b) {
    separate();
    out_ += b ? "true" : "false";
    return *this;
}

json_writer& json_writer::value(std::int64_t n) {
    separate();
    out_ += std::to_string(n);
    return *this;
}

// Numbers other than integers are rare here (a customer's value): nlohmann formats them, so the
// text is the same as the documents it writes elsewhere.
json_writer& json_writer::value(double d) {
    separate();
    out_ += nlohmann::json(d).dump();
    return *this;
}

json_writer& json_writer::null() {
    separate();
    out_ += "null";
    return *this;
}

json_writer& json_writer::raw(std::string_view json_text) {
    separate();
    out_ += json_text;
    return *this;
}

void json_writer::string(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out_ += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const auto [n, valid] = utf8_sequence(s, i);
            if (valid)
                out_.append(s.substr(i, n));
            else
                out_ += "\xEF\xBF\xBD";  // U+FFFD
            i += n;
            continue;
        }
        switch (c) {
            case '"':
                out_ += "\\\"";
                break;
            case '\\':
                out_ += "\\\\";
                break;
            case '\b':
                out_ += "\\b";
                break;
            case '\f':
                out_ += "\\f";
                break;
            case '\n':
                out_ += "\\n";
                break;
            case '\r':
                out_ += "\\r";
                break;
            case '\t':
                out_ += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out_ += "\\u00";
                    out_ += hex[c >> 4];
                    out_ += hex[c & 0xF];
                } else {
                    out_ += static_cast<char>(c);
                }
        }
        ++i;
    }
    out_ += '"';
}

}  // namespace bb::codec
