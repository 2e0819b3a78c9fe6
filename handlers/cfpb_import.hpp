#pragma once

#include <expected>
#include <istream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bb::cfpb {

// One CSV record; fields unquoted. Handles RFC 4180 quoting, doubled quotes, CRLF and
// newlines inside quoted fields. Returns false at the end of input.
bool read_record(std::istream& in, std::vector<std::string>& fields);

struct import_result {
    std::vector<nlohmann::json> events;  // inbound CloudEvents, ordered by time
    std::size_t rows = 0;
    std::vector<std::string> errors;  // "row 17: Date received \"13/45/2020\" is not a date"
};

// Turns a CFPB Consumer Complaint Database export into inbound CloudEvents, per the mapping in
// docs/cfpb-import.md. Event ids derive from the Complaint ID, so importing twice is idempotent.
std::expected<import_result, std::string> import_csv(std::istream& in);

}  // namespace bb::cfpb
