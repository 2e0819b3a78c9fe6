#pragma once

#include <string_view>

namespace bb::app {

// docs/openapi.yaml, embedded at build time and served at /openapi.yaml.
std::string_view openapi_document();

}  // namespace bb::app
