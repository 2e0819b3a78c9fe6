#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bb::test {

// Decodes one whole gzip member with zlib (header, CRC and length checked, nothing after it);
// nullopt when zlib refuses it. The service only ever compresses, so this lives with the tests.
std::optional<std::string> gunzip(std::string_view in);

}  // namespace bb::test
