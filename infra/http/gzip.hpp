#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bb::gzip {

// Whether an Accept-Encoding header value (RFC 9110 §12.5.3) lets the response be gzip-coded:
// `gzip` (or `x-gzip`, or `*` when gzip is not named) with a q-value above zero.
bool accepted(std::string_view accept_encoding);

// A gzip body made of a long prefix that many responses share and a short suffix of their own
// (the SLA summary's text, then its `as_of` and `position`). The prefix is deflated once; each
// response appends the suffix as a stored (uncompressed) final block and the trailer, so a
// response costs a copy of the compressed bytes, not a compression.
class prefixed_body {
  public:
    prefixed_body() = default;
    explicit prefixed_body(std::string_view prefix);
    // A complete gzip member holding prefix + suffix. The suffix is at most 65,535 bytes.
    std::string with_suffix(std::string_view suffix) const;
    std::size_t compressed_size() const { return deflated_.size(); }

  private:
    std::string deflated_;  // raw deflate, flushed to a byte boundary, no final block yet
    std::uint32_t crc_ = 0;
    std::uint64_t size_ = 0;
};

}  // namespace bb::gzip
