#include "handlers/cfpb_import.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include <date/date.h>

#include "infra/iso8601.hpp"

namespace bb::cfpb {

using nlohmann::json;

bool read_record(std::istream& in, std::vector<std::string>& fields) {
    fields.clear();
    if (in.peek() == std::char_traits<char>::eof()) return false;
    std::string field;
    bool quoted = false, was_quoted = false;
    char c;
    while (in.get(c)) {
        if (quoted) {
            if (c == '"') {
                if (in.peek() == '"') {
                    in.get(c);
                    field += '"';
                } else {
                    quoted = false;
                }
            } else {
                field += c;
            }
            continue;
        }
        if (c == '"' && field.empty() && !was_quoted) {
            quoted = was_quoted = true;
        } else if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
            was_quoted = false;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && in.peek() == '\n') in.get(c);
            fields.push_back(std::move(field));
            return true;
        } else {
            field += c;
        }
    }
    fields.push_back(std::move(field));
    return true;
}

namespace {

// "2019-09-24" or "9/24/2019" (the export uses both) -> midnight UTC.
std::optional<instant> parse_date(const std::string& s) {
    const auto ymd = iso8601::parse_date(s);
    if (!ymd) return std::nullopt;
    return instant{date::sys_days{*ymd}.time_since_epoch()};
}

std::string slug(std::string s) {
    std::string out;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)))
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        else if (!out.empty() && out.back() != '-')
            out += '-';
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() ? "unknown" : out;
}

// Every event of a row carries its customer as `partitionkey`: through Kafka, a complaint's
// acknowledgement and resolution must reach the partition its filing went to (they name only the
// complaint), or its owner answers "unknown complaint".
json event(const std::string& id, const std::string& type, instant t, const std::string& customer,
           json data) {
    return json{{"specversion", "1.0"},
                {"id", id},
                {"source", "cfpb-import"},
                {"type", type},
                {"time", iso8601::format_instant(t)},
                {"datacontenttype", "application/json"},
                {"partitionkey", customer},
                {"data", std::move(data)}};
}

}  // namespace

std::expected<import_result, std::string> import_csv(std::istream& in) {
    std::vector<std::string> header;
    if (!read_record(in, header)) return std::unexpected("the file is empty");
    if (!header.empty() && header[0].starts_with("\xEF\xBB\xBF")) header[0].erase(0, 3);  // BOM
    std::map<std::string, std::size_t> col;
    for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
    for (const char* needed : {"Date received", "Product", "Issue", "Company", "Submitted via",
                               "Complaint ID", "Company response to consumer"})
        if (!col.contains(needed))
            return std::unexpected(std::string("missing column \"") + needed + "\"");

    import_result out;
    std::vector<std::pair<instant, json>> timed;
    std::vector<std::string> row;
    while (read_record(in, row)) {
        if (row.size() == 1 && row[0].empty()) continue;  // blank line
        ++out.rows;
        auto get = [&](const char* name) -> std::string {
            const auto it = col.find(name);
            return it == col.end() || it->second >= row.size() ? std::string{} : row[it->second];
        };
        const auto id = get("Complaint ID");
        const auto received = parse_date(get("Date received"));
        if (id.empty() || !received) {
            out.errors.push_back("row " + std::to_string(out.rows) +
                                 ": needs a Complaint ID and a Date received");
            continue;
        }
        const auto state = get("State"), zip = get("ZIP code");
        const auto customer = "cfpb-" + (state.empty() ? std::string("xx") : state) + "-" +
                              (zip.empty() ? std::string("00000") : zip);
        const auto tags = get("Tags");
        const auto segment = tags.empty() ? std::string("standard") : slug(tags);
        const auto channel = get("Submitted via");
        // The category both on filing and as the root cause; a row without an Issue is "Unknown"
        // in both (a root cause with an empty category is invalid input; found by fuzzing).
        const auto issue = get("Issue").empty() ? std::string("Unknown") : get("Issue");
        const json filed{{"complaint_id", id},
                         {"customer", {{"id", customer}, {"segment", segment}, {"value", 0}}},
                         {"severity", "medium"},
                         {"channel", channel.empty() ? "unknown" : slug(channel)},
                         {"category", issue},
                         {"product", get("Product")},
                         {"team", get("Company").empty() ? "unknown" : get("Company")},
                         {"summary", get("Consumer complaint narrative")}};
        timed.emplace_back(*received, event("cfpb-" + id + "-filed", "complaint.filed", *received,
                                            customer, filed));

        const auto response = get("Company response to consumer");
        if (!response.starts_with("Closed")) continue;  // "In progress" stays open
        auto sent = parse_date(get("Date sent to company")).value_or(*received);
        if (sent < *received) sent = *received;
        // The company answers on the day it received the complaint from the CFPB; we model
        // that answer as acknowledgement, root cause (when a sub-issue names it) and resolution.
        const auto team = get("Company").empty() ? std::string("unknown") : get("Company");
        const json who{{"complaint_id", id}, {"employee", team}};
        timed.emplace_back(sent, event("cfpb-" + id + "-acknowledged", "complaint.acknowledged",
                                       sent, customer, who));
        if (const auto sub = get("Sub-issue"); !sub.empty())
            timed.emplace_back(
                sent,
                event("cfpb-" + id + "-root-cause", "complaint.root_cause_found", sent, customer,
                      {{"complaint_id", id},
                       {"root_cause", {{"category", issue}, {"detail", sub}}}}));
        timed.emplace_back(
            sent, event("cfpb-" + id + "-resolved", "complaint.resolved", sent, customer, who));
        if (get("Consumer disputed?") == "Yes") {
            const auto later = sent + std::chrono::hours{24};
            timed.emplace_back(
                later, event("cfpb-" + id + "-disputed", "survey.responded", later, customer,
                             {{"customer_id", customer}, {"complaint_id", id}, {"score", 0}}));
        }
    }
    // Keep each complaint's own events in order; interleave complaints by time.
    std::stable_sort(timed.begin(), timed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [t, e] : timed) out.events.push_back(std::move(e));
    return out;
}

}  // namespace bb::cfpb
