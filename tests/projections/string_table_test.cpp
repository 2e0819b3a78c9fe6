#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <string>
#include <unordered_map>
#include <vector>

#include "projections/string_table.hpp"

using bb::projection::string_table;

TEST_CASE("the string table behaves like an unordered_map that remembers insertion order",
          "[string_table]") {
    rc::prop("random inserts and lookups", [] {
        // Few distinct keys, so that lookups hit as often as they miss and keys repeat.
        const auto keys = *rc::gen::container<std::vector<std::string>>(
            rc::gen::map(rc::gen::inRange(0, 300), [](int k) { return "c-" + std::to_string(k); }));
        string_table<int> table;
        std::unordered_map<std::string, int> model;
        std::vector<std::string> order;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const auto& k = keys[i];
            const bool had = model.contains(k);
            RC_ASSERT(table.contains(k) == had);
            RC_ASSERT((table.find(k) != table.end()) == had);
            if (i % 3 == 0) {
                const auto [it, inserted] = table.emplace(k, static_cast<int>(i));
                RC_ASSERT(inserted == !had);
                RC_ASSERT(it->first == k);
                if (!had) model[k] = static_cast<int>(i);
            } else {
                table[k] += 1;
                model[k] += 1;
            }
            if (!had) order.push_back(k);
            RC_ASSERT(table.find(k)->second == model[k]);
        }
        RC_ASSERT(table.size() == model.size());
        std::vector<std::string> iterated;
        for (const auto& [k, v] : table) {
            iterated.push_back(k);
            RC_ASSERT(model.at(k) == v);
        }
        RC_ASSERT(iterated == order);
    });
}

TEST_CASE("rows never move, and equality does not depend on insertion order", "[string_table]") {
    string_table<std::string> a, b;
    a["first"] = "1";
    const auto* row = &a.find("first")->second;
    for (int i = 0; i < 10000; ++i) a["k" + std::to_string(i)] = std::to_string(i);  // regrows
    CHECK(&a.find("first")->second == row);
    CHECK(*row == "1");
    for (int i = 9999; i >= 0; --i) b["k" + std::to_string(i)] = std::to_string(i);
    CHECK_FALSE(a == b);  // "first" is missing from b
    b["first"] = "1";
    CHECK(a == b);
    b["first"] = "2";
    CHECK_FALSE(a == b);
    CHECK(a.find("absent") == a.end());
    const auto& ca = a;
    CHECK(ca.find("k42")->second == "42");
    a.clear();
    CHECK(a.empty());
    CHECK(a.find("k42") == a.end());
}
