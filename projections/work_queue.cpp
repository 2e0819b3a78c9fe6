#include "projections/work_queue.hpp"

#include <algorithm>
#include <queue>

namespace bb::projection {

std::optional<queue_sort> parse_queue_sort(std::string_view s) {
    if (s == "due") return queue_sort::due;
    if (s == "value") return queue_sort::value;
    if (s == "filed") return queue_sort::filed;
    if (s == "escalation") return queue_sort::escalation;
    return std::nullopt;
}

std::string_view to_string(queue_sort s) {
    switch (s) {
        case queue_sort::due:
            return "due";
        case queue_sort::value:
            return "value";
        case queue_sort::filed:
            return "filed";
        case queue_sort::escalation:
            return "escalation";
    }
    return "due";
}

bool queue_default_descending(queue_sort s) {
    return s != queue_sort::due;
}

namespace {

std::int64_t seconds(instant t) {
    return t.time_since_epoch().count();
}

// The clock whose due instant comes first among those the complaint still has to meet.
std::optional<std::pair<sla_target, instant>> nearest_due(const complaint_state& s) {
    std::optional<std::pair<sla_target, instant>> best;
    const auto consider = [&](sla_target t, const sla_clock& c) {
        if (!best || c.due < best->second) best = {t, c.due};
    };
    // The clocks the at-risk list watches, in the same states.
    if (s.status == complaint_status::received) consider(sla_target::acknowledge, s.acknowledge);
    if (is_open(s.status)) consider(sla_target::resolve, s.resolve);
    if (s.status == complaint_status::resolved) consider(sla_target::bounce_back, s.bounce_back);
    return best;
}

bool breached(const complaint_state& s) {
    return s.acknowledge.breached || s.resolve.breached;
}

bool wanted_status(const queue_filter& f, complaint_status s) {
    if (f.statuses.empty()) return !is_settled(s);
    return std::find(f.statuses.begin(), f.statuses.end(), s) != f.statuses.end();
}

bool matches(const queue_filter& f, const complaint_row& row) {
    const auto& s = row.state;
    if (s.status == complaint_status::unfiled || !wanted_status(f, s.status)) return false;
    if (!f.base.matches(s)) return false;
    if (f.owner && (!s.owner || s.owner->value() != *f.owner)) return false;
    if (f.category && s.category != *f.category) return false;
    if (f.customer && s.customer.id.value() != *f.customer) return false;
    if (f.root_cause && row.progress.get().root_cause != f.root_cause) return false;
    if (f.breached && breached(s) != *f.breached) return false;
    if (f.due_before || f.due_after) {
        const auto d = nearest_due(s);
        if (!d) return false;
        if (f.due_before && d->second >= *f.due_before) return false;
        if (f.due_after && d->second < *f.due_after) return false;
    }
    return true;
}

std::int64_t key_of(queue_sort sort, const complaint_state& s) {
    switch (sort) {
        case queue_sort::due: {
            const auto d = nearest_due(s);
            // None: after every instant (a cursor's key has at most 18 digits).
            return d ? seconds(d->second) : 999'999'999'999'999'999;
        }
        case queue_sort::value:
            return s.customer.value.amount;
        case queue_sort::filed:
            return seconds(s.filed_at);
        case queue_sort::escalation:
            return s.escalation_level;
    }
    return 0;
}

}  // namespace

queue_page work_queue(const read_model& m, const queue_query& q) {
    // `before(a, b)`: a comes first in the page order. Ties on the key go by id, ascending.
    const auto before = [desc = q.descending](const queue_position& a, const queue_position& b) {
        if (a.key != b.key) return desc ? a.key > b.key : a.key < b.key;
        return a.id < b.id;
    };
    const auto keep = q.limit + 1;  // one more than the page: whether a next page exists
    // A max-heap in page order: its top is the candidate that comes last, evicted first.
    std::priority_queue<queue_position, std::vector<queue_position>, decltype(before)> best(before);
    queue_page out;
    const auto consider = [&](const std::string& id, const complaint_row& row) {
        if (!matches(q.filter, row)) return;
        ++out.matched;
        const auto key = key_of(q.sort, row.state);
        if (q.after) {
            const queue_position here{key, {}};
            // Only what comes after the previous page's last item (compared with the id only on
            // a tie, so the id is copied only then).
            if (key == q.after->key ? !(q.after->id < id) : before(here, *q.after)) return;
        }
        if (best.size() == keep) {
            const auto& last = best.top();
            if (key == last.key ? !(id < last.id) : !before(queue_position{key, {}}, last)) return;
            best.pop();
        }
        best.push(queue_position{key, id});
    };
    const bool settled_wanted =
        std::any_of(q.filter.statuses.begin(), q.filter.statuses.end(), is_settled);
    if (settled_wanted) {
        for (const auto& r : m.complaints) consider(r.first, r.second);
    } else {
        // Settled rows are the frozen ones (and a few not frozen yet): not thawed for nothing.
        m.complaints.for_each_live(consider);
    }
    std::vector<queue_position> chosen;
    chosen.reserve(best.size());
    for (; !best.empty(); best.pop()) chosen.push_back(best.top());
    std::reverse(chosen.begin(), chosen.end());
    if (chosen.size() > q.limit) {
        chosen.pop_back();
        out.next = chosen.back();
    }
    out.items.reserve(chosen.size());
    for (auto& c : chosen) {
        const auto it = m.complaints.find(c.id);
        if (it == m.complaints.end()) continue;  // cannot happen: rows are never erased
        const auto& row = it->second;
        queue_item item{std::move(c.id),     row.state, row.progress.get().root_cause, {}, {},
                        breached(row.state), c.key};
        if (const auto d = nearest_due(row.state)) {
            item.due_target = d->first;
            item.due = d->second;
        }
        out.items.push_back(std::move(item));
    }
    return out;
}

}  // namespace bb::projection
