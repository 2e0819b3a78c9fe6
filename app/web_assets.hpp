#pragma once

#include <map>
#include <string>

#include "handlers/http/api.hpp"

namespace bb::app {

const std::map<std::string, static_asset>& web_assets();

}  // namespace bb::app
