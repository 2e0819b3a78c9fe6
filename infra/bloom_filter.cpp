#include "infra/bloom_filter.hpp"

#include <algorithm>
#include <bit>

namespace bb {

namespace {

constexpr int probes = 4;

// A second, independent hash to step between the probes (splitmix64's finaliser), odd so the
// steps cover every bit position.
std::uint64_t step_of(std::uint64_t h) {
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    return (h ^ (h >> 31)) | 1;
}

}  // namespace

bloom_filter::bloom_filter(std::size_t capacity)
    : words_(std::bit_ceil(std::max<std::size_t>(capacity, 64) * 16) / 64),
      mask_(words_.size() * 64 - 1) {}

void bloom_filter::add(std::uint64_t hash) {
    const auto step = step_of(hash);
    for (int i = 0; i < probes; ++i, hash += step)
        words_[(hash & mask_) >> 6] |= 1ULL << (hash & 63);
}

bool bloom_filter::may_contain(std::uint64_t hash) const {
    const auto step = step_of(hash);
    for (int i = 0; i < probes; ++i, hash += step)
        if (!(words_[(hash & mask_) >> 6] & (1ULL << (hash & 63)))) return false;
    return true;
}

}  // namespace bb
