#pragma once

#include <expected>
#include <string>

#include <nlohmann/json.hpp>

#include "projections/read_model.hpp"

namespace bb::codec {

// The read model as a snapshot document. Decoding refuses anything it cannot read completely:
// a snapshot is an optimisation, and a doubtful one is thrown away and rebuilt from the log.
nlohmann::json encode_read_model(const projection::read_model& m);
std::expected<projection::read_model, std::string> decode_read_model(const nlohmann::json& j);

}  // namespace bb::codec
