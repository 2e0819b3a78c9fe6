#include "infra/http/gzip.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <stdexcept>

#include <zlib.h>

namespace bb::gzip {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// The q-value of one `coding;q=0.5` element: 1 when absent; 0 when malformed (not acceptable).
double quality(std::string_view params) {
    while (!params.empty()) {
        const auto semi = params.find(';');
        const auto p = trim(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
        if (p.size() < 2 || std::tolower(static_cast<unsigned char>(p[0])) != 'q' || p[1] != '=')
            continue;
        const auto v = p.substr(2);
        double q = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), q);
        if (ec != std::errc{} || end != v.data() + v.size() || q < 0 || q > 1) return 0;
        return q;
    }
    return 1;
}

void put32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

bool accepted(std::string_view header) {
    std::optional<double> gzip, any;
    while (!header.empty()) {
        const auto comma = header.find(',');
        const auto element = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        const auto semi = element.find(';');
        const auto coding = trim(element.substr(0, semi));
        const auto q =
            quality(semi == std::string_view::npos ? std::string_view{} : element.substr(semi + 1));
        if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
            gzip = std::max(gzip.value_or(0), q);
        else if (coding == "*")
            any = q;
    }
    if (gzip) return *gzip > 0;
    return any.value_or(0) > 0;
}

prefixed_body::prefixed_body(std::string_view prefix) : size_(prefix.size()) {
    z_stream z{};
    // Raw deflate (negative window bits): the gzip header and trailer are written per response.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        throw std::runtime_error("deflateInit2 failed");
    deflated_.resize(deflateBound(&z, prefix.size()) + 16);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(prefix.data()));
    z.avail_in = static_cast<uInt>(prefix.size());
    z.next_out = reinterpret_cast<Bytef*>(deflated_.data());
    z.avail_out = static_cast<uInt>(deflated_.size());
    // A sync flush ends on a byte boundary without a final block: a response's stored block can
    // follow it directly.
    const int rc = deflate(&z, Z_SYNC_FLUSH);
    deflated_.resize(deflated_.size() - z.avail_out);
    deflateEnd(&z);
    if (rc != Z_OK || z.avail_in != 0) throw std::runtime_error("deflate failed");
    crc_ = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(prefix.data()), static_cast<uInt>(prefix.size())));
}

std::string prefixed_body::with_suffix(std::string_view suffix) const {
    if (suffix.size() > 0xffff) throw std::length_error("gzip suffix longer than one stored block");
    std::string out;
    out.reserve(10 + deflated_.size() + 5 + suffix.size() + 8);
    // Header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
    out.append("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
    out.append(deflated_);
    // Stored block, final: BFINAL=1, BTYPE=00, then LEN and its one's complement.
    const auto len = static_cast<std::uint16_t>(suffix.size());
    out.push_back('\x01');
    out.push_back(static_cast<char>(len & 0xff));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(~len & 0xff));
    out.push_back(static_cast<char>((~len >> 8) & 0xff));
    out.append(suffix);
    const auto suffix_crc =
        crc32(0, reinterpret_cast<const Bytef*>(suffix.data()), static_cast<uInt>(suffix.size()));
    put32(out, static_cast<std::uint32_t>(
                   crc32_combine(crc_, suffix_crc, static_cast<z_off_t>(suffix.size()))));
    put32(out, static_cast<std::uint32_t>((size_ + suffix.size()) & 0xffffffffu));
    return out;
}

}  // namespace bb::gzip
