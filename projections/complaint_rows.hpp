#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/complaint.hpp"
#include "projections/boxed.hpp"
#include "projections/string_table.hpp"

namespace bb::projection {

// What a complaint's row learns after its filing besides the folded state: pauses, a root
// cause, a resolution. A complaint that has none of these yet (most open ones) keeps them empty
// in a box of a pointer's size instead of a quarter of the row's bytes: open complaints are
// what the memory budget is counted in.
struct complaint_progress {
    std::optional<instant> first_resolved_at;
    std::optional<employee_id> resolved_by;
    std::optional<std::string> root_cause;
    std::optional<std::string> root_cause_detail;  // CFPB's Sub-issue, for one
    std::optional<employee_id> attributed_to;      // root cause employee
    // Who owned the complaint when each SLA outcome was decided (an acknowledgement or
    // resolution in time, or the breach), kept when it was reassigned after that: scores credit
    // them, not whoever owns it last. Empty: the owner now (no reassignment since).
    std::optional<employee_id> acknowledge_credit, resolve_credit;
    std::optional<money> recovered_value;             // what the customer spent coming back
    std::vector<std::pair<instant, instant>> pauses;  // awaiting_customer intervals, closed
    bool operator==(const complaint_progress&) const = default;
};

// Everything the read side knows about one complaint: the domain's own folded state, plus the
// facts reports need that the decider does not keep.
struct complaint_row {
    complaint_state state;
    boxed<complaint_progress> progress;
    bool resolve_ever_breached = false;
    bool acknowledge_ever_breached = false;
    bool operator==(const complaint_row&) const = default;
};

// A complaint whose story is told (recovered, lost or withdrawn) rarely hears of again, and
// history is made of them: the read side keeps such a row frozen, every string a number into a
// pool of the distinct ones (teams, segments, employees, customers ...) and every instant a
// plain count, ~180 bytes instead of ~1 KB with its heap parts. Freezing is lossless: a frozen
// row reads back equal to the row it was, and thaws into a live row when an event arrives for
// it (a reopened lost complaint, a late escalation).
struct frozen_row {
    using sym = std::uint32_t;  // 0: none (an empty optional); else a pool entry + 1
    std::int64_t filed_at = 0, acknowledged_at = 0, resolved_at = 0, paused_at = 0;
    std::int64_t first_resolved_at = 0;
    std::int64_t warn_at[3] = {}, due[3] = {};             // acknowledge, resolve, bounce_back
    std::int64_t customer_value = 0, recovered_value = 0;  // money::amount
    sym customer_currency = 0, recovered_currency = 0;     // the code as a name; 0: none
    sym customer = 0, segment = 0, channel = 0, category = 0, product = 0, team = 0, owner = 0;
    sym resolved_by = 0, root_cause = 0, root_cause_detail = 0, attributed_to = 0;
    sym acknowledge_credit = 0, resolve_credit = 0;
    std::uint32_t policy = 0;  // index into the rows' policies
    std::int16_t escalation_level = 0, reopen_count = 0;
    std::uint8_t status = 0, sev = 0;
    std::uint16_t flags = 0;
    boxed<std::vector<std::pair<instant, instant>>> pauses;
};

// The read model's complaints by id: rows of open complaints live, settled ones frozen (see
// frozen_row). Iteration and find give (id, row) pairs whose row is the live one or a thawed
// copy held by the iterator, so reports read every row alike; several readers may iterate at
// once. Rows are never erased (complaints stay in the model).
class complaint_rows {
    struct entry {
        boxed<complaint_row> live;  // filled: live; empty: `frozen` holds the row
        frozen_row frozen;
    };
    struct nothing {};
    using table = string_table<entry>;

  public:
    struct row_ref {
        const std::string& first;
        const complaint_row& second;
    };

    class const_iterator {
      public:
        using value_type = row_ref;
        using difference_type = std::ptrdiff_t;
        struct arrow {
            row_ref r;
            const row_ref* operator->() const { return &r; }
        };
        const_iterator() = default;
        row_ref operator*() const;
        arrow operator->() const { return {**this}; }
        const_iterator& operator++() {
            ++it_;
            return *this;
        }
        bool operator==(const const_iterator& o) const { return it_ == o.it_; }

      private:
        friend class complaint_rows;
        const_iterator(const complaint_rows* owner, table::const_iterator it)
            : owner_(owner), it_(it) {}
        const complaint_rows* owner_ = nullptr;
        table::const_iterator it_;
        mutable complaint_row scratch_;  // the thawed copy of a frozen row
    };

    const_iterator begin() const { return {this, rows_.begin()}; }
    const_iterator end() const { return {this, rows_.end()}; }
    // A frozen row's thawed copy lives in the iterator: a reference to it dies with the
    // iterator. get() is the safe way to keep a row.
    const_iterator find(std::string_view id) const { return {this, rows_.find(id)}; }
    std::optional<complaint_row> get(std::string_view id) const;
    bool contains(std::string_view id) const { return rows_.contains(id); }
    std::size_t size() const { return rows_.size(); }
    bool empty() const { return rows_.empty(); }
    std::size_t frozen() const { return frozen_; }

    // The live row of `id`, made (empty) when unknown, thawed when frozen.
    complaint_row& edit(std::string_view id);
    // Adds a row unless the id is there (false then); frozen at once when settled.
    bool emplace(std::string id, complaint_row row);
    // Freezes the row of `id` when its complaint is settled (see settled()).
    void settle(std::string_view id);
    // Recovered, lost or withdrawn: what freezing waits for.
    static bool settled(const complaint_row& row);

    // Calls f(id, row) on each live row: every open complaint is one (a report of open ones
    // need not thaw history).
    template <class F>
    void for_each_live(F&& f) const {
        for (const auto& [id, e] : rows_)
            if (e.live.filled()) f(id, e.live.get());
    }

    // Calls f(id, row) on each row of `customer`'s complaints. Frozen rows are matched by the
    // customer's number in the pool and only those thawed, so a customer's page reads history
    // without thawing it (one integer compare per settled complaint).
    void for_each_of_customer(
        std::string_view customer,
        const std::function<void(const std::string&, const complaint_row&)>& f) const;

    // The frozen rows as bytes, for the read side's checkpoint (parsing them as JSON was most of
    // a restart: ~11 us a row). save_frozen hands out chunks of whole records, each under
    // ~1 MB: the pool of names first, then the rows, whose policies are numbered as in
    // policies(). Loading starts on empty rows with those policies (load_policies), then takes
    // the chunks in order; each is checked for shape (cut off, names and policies in range,
    // a settled status), so damage of that kind is an error, not a wrong row. Native byte order,
    // with a mark that a machine of the other order refuses.
    void save_frozen(const std::function<void(std::string_view)>& chunk) const;
    const std::vector<policy_ref>& policies() const { return policies_; }
    std::size_t names() const { return names_.size(); }
    std::expected<void, std::string> load_policies(std::vector<policy_ref> policies);
    // Room for `rows` complaints and `names` pool entries (a checkpoint's counts).
    void reserve(std::size_t rows, std::size_t names) {
        rows_.reserve(rows);
        names_.reserve(names);
    }
    // `amounts_as_doubles`: a chunk of checkpoint format 4, whose amounts were binary floats
    // without a currency (read exactly as the shortest decimal that gives the same double).
    std::expected<void, std::string> load_frozen(std::string_view chunk,
                                                 bool amounts_as_doubles = false);

    void prefetch_slot(std::string_view id) const { rows_.prefetch_slot(id); }
    void prefetch_row(std::string_view id) const { rows_.prefetch_row(id); }

    // Equal when they hold the same ids with equal rows, frozen or live.
    friend bool operator==(const complaint_rows& a, const complaint_rows& b);

  private:
    frozen_row freeze(const complaint_row& row);
    void thaw(const std::string& id, const frozen_row& f, complaint_row& out) const;
    frozen_row::sym intern(std::string_view s);
    const std::string& name(frozen_row::sym s) const;
    frozen_row::sym currency_sym(currency c) { return c.empty() ? 0 : intern(c.code()); }
    currency currency_of(frozen_row::sym s) const {
        return s == 0 ? currency{} : currency::parse(name(s)).value_or(currency{});
    }
    bool freezable(const std::string& id, const complaint_row& row) const;

    table rows_;
    string_table<nothing> names_;  // a symbol is its entry's insertion number + 1
    std::vector<policy_ref> policies_;
    std::size_t frozen_ = 0;
};

}  // namespace bb::projection
