#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace bb::projection {

// A map from string keys to rows that never move, for the read model's millions of complaints.
// std::unordered_map costs a replay two dependent cache misses per event (bucket, then node) and
// an allocation per row; here the index is one flat array of 8-byte slots (open addressing,
// linear probing) holding the row's number and a tag of the key's hash, so a lookup usually
// touches one slot and the row. Rows live in a deque in insertion order (iteration order), and
// their addresses are stable. Rows are never erased (complaints stay in the model).
template <class Row>
class string_table {
  public:
    using value_type = std::pair<const std::string, Row>;
    using rows_type = std::deque<value_type>;
    using iterator = typename rows_type::iterator;
    using const_iterator = typename rows_type::const_iterator;

    iterator begin() { return rows_.begin(); }
    iterator end() { return rows_.end(); }
    const_iterator begin() const { return rows_.begin(); }
    const_iterator end() const { return rows_.end(); }
    std::size_t size() const { return rows_.size(); }
    bool empty() const { return rows_.empty(); }
    // The row inserted n-th (from 0): rows keep their insertion order.
    const value_type& nth(std::size_t n) const { return rows_[n]; }

    iterator find(std::string_view key) { return at(locate(key, hash(key)).row); }
    const_iterator find(std::string_view key) const {
        const auto row = locate(key, hash(key)).row;
        return row == npos ? rows_.end() : rows_.begin() + static_cast<std::ptrdiff_t>(row);
    }
    bool contains(std::string_view key) const { return locate(key, hash(key)).row != npos; }

    // Inserts (key, row) unless the key is there; like std::unordered_map::emplace.
    std::pair<iterator, bool> emplace(std::string key, Row row) {
        const auto h = hash(key);
        const auto found = locate(key, h);
        if (found.row != npos) return {at(found.row), false};
        return {insert(found.slot, h, std::move(key), std::move(row)), true};
    }
    Row& operator[](std::string_view key) {
        const auto h = hash(key);
        const auto found = locate(key, h);
        if (found.row != npos) return at(found.row)->second;
        return insert(found.slot, h, std::string(key))->second;
    }

    // Loads the cache line of the key's slot, for a lookup a few events later (replay).
    void prefetch_slot(std::string_view key) const {
        if (!slots_.empty()) __builtin_prefetch(&slots_[hash(key) & mask()]);
    }
    // Loads the key's row, once its slot is likely in cache.
    void prefetch_row(std::string_view key) const {
        const auto row = locate(key, hash(key)).row;
        if (row != npos) __builtin_prefetch(&rows_[row]);
    }

    void clear() {
        rows_.clear();
        slots_.clear();
    }
    // Room for `n` rows without growing on the way (a checkpoint knows its row count: loading
    // it would otherwise rehash every key ~20 times over).
    void reserve(std::size_t n) {
        std::size_t slots = 16;
        while (slots < 2 * n) slots *= 2;
        if (slots > slots_.size()) rehash(slots);
    }

    // Equal when they hold the same keys with equal rows, whatever the insertion order.
    friend bool operator==(const string_table& a, const string_table& b) {
        if (a.size() != b.size()) return false;
        for (const auto& [key, row] : a) {
            const auto it = b.find(key);
            if (it == b.end() || !(it->second == row)) return false;
        }
        return true;
    }

  private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    // A slot: 0 = empty; otherwise the row number + 1 in the low 40 bits and the top 24 bits of
    // the key's hash above them (most mismatches are told apart without touching the row).
    static constexpr int row_bits = 40;
    static constexpr std::uint64_t row_mask = (std::uint64_t{1} << row_bits) - 1;

    struct location {
        std::size_t slot;  // where the key is, or the empty slot where it would go
        std::size_t row;   // npos when absent
    };

    static std::uint64_t hash(std::string_view key) {
        // std::hash's string hash mixed once more, so that the low bits (the slot) and the high
        // bits (the tag) are both well spread.
        auto h = static_cast<std::uint64_t>(std::hash<std::string_view>{}(key));
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        return h;
    }
    static std::uint64_t tag(std::uint64_t h) { return h >> row_bits << row_bits; }
    std::size_t mask() const { return slots_.size() - 1; }

    iterator at(std::size_t row) {
        return row == npos ? rows_.end() : rows_.begin() + static_cast<std::ptrdiff_t>(row);
    }

    location locate(std::string_view key, std::uint64_t h) const {
        if (slots_.empty()) return {0, npos};
        for (auto i = static_cast<std::size_t>(h) & mask();; i = (i + 1) & mask()) {
            const auto s = slots_[i];
            if (s == 0) return {i, npos};
            if ((s & ~row_mask) == tag(h)) {
                const auto row = static_cast<std::size_t>((s & row_mask) - 1);
                if (rows_[row].first == key) return {i, row};
            }
        }
    }

    // The row is built in place from `row` (GCC 12 at -O3 warns, wrongly, that a moved-from
    // temporary row may be used uninitialized).
    template <class... Args>
    iterator insert(std::size_t slot, std::uint64_t h, std::string key, Args&&... row) {
        // At most half full, so probe runs stay short.
        if (slots_.empty() || 2 * (rows_.size() + 1) > slots_.size()) {
            grow();
            slot = locate(key, h).slot;
        }
        rows_.emplace_back(std::piecewise_construct, std::forward_as_tuple(std::move(key)),
                           std::forward_as_tuple(std::forward<Args>(row)...));
        slots_[slot] = tag(h) | rows_.size();
        return std::prev(rows_.end());
    }

    void grow() { rehash(slots_.empty() ? 16 : 2 * slots_.size()); }
    void rehash(std::size_t slots) {
        std::vector<std::uint64_t> bigger(slots, 0);
        const auto m = bigger.size() - 1;
        for (std::size_t row = 0; row < rows_.size(); ++row) {
            const auto h = hash(rows_[row].first);
            auto i = static_cast<std::size_t>(h) & m;
            while (bigger[i] != 0) i = (i + 1) & m;
            bigger[i] = tag(h) | (row + 1);
        }
        slots_ = std::move(bigger);
    }

    rows_type rows_;
    std::vector<std::uint64_t> slots_;
};

}  // namespace bb::projection
