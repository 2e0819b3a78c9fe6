#pragma once
// Helpers shared by the libFuzzer targets: carving structured pieces out of the fuzzer's bytes,
// and failing loudly (abort, so libFuzzer records the input) when a property does not hold.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace bb::fuzz {

inline void require(bool ok, const char* property, std::string_view input) {
    if (ok) return;
    std::fprintf(stderr, "property violated: %s\ninput (%zu bytes): %.*s\n", property, input.size(),
                 static_cast<int>(input.size() > 2000 ? 2000 : input.size()), input.data());
    std::abort();
}

class input {
  public:
    input(const std::uint8_t* data, std::size_t size)
        : rest_(reinterpret_cast<const char*>(data), size) {}

    bool take_bool() {
        if (rest_.empty()) return false;
        const bool b = (static_cast<unsigned char>(rest_.front()) & 1U) != 0;
        rest_.remove_prefix(1);
        return b;
    }
    std::uint8_t take_byte() {
        if (rest_.empty()) return 0;
        const auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }
    // Up to the next '\n' (not included); the rest when there is none.
    std::string_view take_line() {
        const auto nl = rest_.find('\n');
        const auto line = rest_.substr(0, nl);
        rest_.remove_prefix(nl == std::string_view::npos ? rest_.size() : nl + 1);
        return line;
    }
    std::string_view rest() const { return rest_; }

  private:
    std::string_view rest_;
};

}  // namespace bb::fuzz
