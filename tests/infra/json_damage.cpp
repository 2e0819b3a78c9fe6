#include "tests/infra/json_damage.hpp"

#include <set>
#include <string>

namespace bb::test {

std::vector<nlohmann::json> damaged(const nlohmann::json& doc,
                                    const std::vector<nlohmann::json>& wrong) {
    std::set<std::string> members;  // every member's pointer: leaves and their parents
    const auto flat = doc.flatten();
    for (const auto& leaf : flat.items())
        for (nlohmann::json::json_pointer p(leaf.key()); !p.empty(); p = p.parent_pointer())
            members.insert(p.to_string());
    std::vector<nlohmann::json> out;
    for (const auto& m : members) {
        const nlohmann::json::json_pointer p(m);
        auto without = doc;
        auto& parent = without[p.parent_pointer()];
        if (parent.is_array())
            parent.erase(static_cast<std::size_t>(std::stoul(p.back())));
        else
            parent.erase(p.back());
        out.push_back(without);
        for (const auto& w : wrong) {
            auto changed = doc;
            changed[p] = w;
            out.push_back(changed);
        }
    }
    return out;
}

}  // namespace bb::test
