#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "projections/read_model.hpp"
#include "projections/sla.hpp"

namespace bb::projection {

// The work queue (GET /v1/complaints): complaints filtered, in a stable order, a page at a time.
// Pages are keyset pages: each continues after the (sort key, complaint id) its predecessor ended
// on, so a complaint filed or moved meanwhile never makes a page repeat or skip the others.

enum class queue_sort {
    due,         // the nearest open due instant first (none: last)
    value,       // the customer's lifetime value, highest first
    filed,       // newest first
    escalation,  // highest level first
};
std::optional<queue_sort> parse_queue_sort(std::string_view s);
std::string_view to_string(queue_sort s);

struct queue_filter {
    report_filter
        base{};  // team, segment, policy (+version), product, channel, severity, filed from/to
    // Empty: every complaint not settled (recovered, lost and withdrawn are left out).
    std::vector<complaint_status> statuses{};
    std::optional<std::string> owner{}, category{}, root_cause{}, customer{};
    std::optional<bool> breached{};  // the acknowledge or resolve clock has breached
    // The nearest open due instant in [due_after, due_before).
    std::optional<instant> due_before{}, due_after{};
};

// Where a page ends: the last item's sort key and id. Keys are integers: Unix seconds, ten-
// thousandths of a currency unit, or a level.
struct queue_position {
    std::int64_t key = 0;
    std::string id;
    bool operator==(const queue_position&) const = default;
};

struct queue_query {
    queue_filter filter{};
    queue_sort sort = queue_sort::due;
    bool descending = false;  // the default order of each sort: see queue_default_descending
    std::size_t limit = 50;
    std::optional<queue_position> after{};
};
bool queue_default_descending(queue_sort s);

struct queue_item {
    std::string id;
    complaint_state state;
    std::optional<std::string> root_cause;
    std::optional<sla_target> due_target;  // the clock whose due instant is nearest, if any open
    std::optional<instant> due;
    bool breached = false;
    std::int64_t key = 0;
};

struct queue_page {
    std::vector<queue_item> items;
    std::optional<queue_position> next;  // where the next page starts; none: this is the last
    std::size_t matched = 0;             // complaints matching the filter, on every page
};

// One pass over the rows keeps the best `limit + 1` (key, id) candidates (O(rows × log limit);
// only live rows unless a settled status is asked for), then the page's rows are copied.
queue_page work_queue(const read_model& m, const queue_query& q);

}  // namespace bb::projection
