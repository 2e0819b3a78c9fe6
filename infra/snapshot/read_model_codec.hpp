#pragma once

#include <expected>
#include <istream>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "projections/read_model.hpp"

namespace bb::codec {

// The read model as JSON Lines: a header object ({"format": 4, "position": N} plus the caller's
// fields), the policies the rows apply, the settled complaints' frozen rows as one block of
// length-prefixed byte chunks (announced by a {"frozen": ...} line; decoding them as JSON was
// most of a restart), then one line per live complaint, compliment, prevention action and
// escalation. Both directions hold one line or chunk at a time: a document of a million
// complaints decoded at once took gigabytes, several times the model itself. Format 3 (every row
// a line) still reads. Reading refuses anything it cannot read completely: a snapshot is an
// optimisation, and a doubtful one is rebuilt from the log.
void write_read_model(std::ostream& out, const projection::read_model& m, nlohmann::json header);

struct read_model_file {
    projection::read_model model;
    nlohmann::json header;
};
std::expected<read_model_file, std::string> read_read_model(std::istream& in);

}  // namespace bb::codec
