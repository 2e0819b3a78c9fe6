#include "domain/compliment.hpp"

#include <date/date.h>

namespace bb {

compliment_state initial_compliment_state() {
    return {};
}

result<std::vector<compliment_received>> decide(const compliment_state& s,
                                                const receive_compliment& c) {
    if (s.recorded_by) {
        if (*s.recorded_by == c.key) return std::vector<compliment_received>{};
        return std::unexpected(rejection{rejection_code::already_recorded,
                                         "compliment " + c.id.value() + " already recorded"});
    }
    if (c.id.value().empty())
        return std::unexpected(
            rejection{rejection_code::invalid_argument, "compliment_id is empty"});
    if (c.customer.value().empty())
        return std::unexpected(rejection{rejection_code::invalid_argument, "customer is empty"});
    return std::vector<compliment_received>{compliment_received{
        c.key, c.id, c.customer, c.employees, c.channel, c.text, c.complaint, c.at}};
}

compliment_state evolve(compliment_state s, const compliment_received& e) {
    s.recorded_by = e.key;
    return s;
}

std::ostream& operator<<(std::ostream& os, const compliment_received& e) {
    os << "ComplimentReceived{id=" << e.id << ", customer=" << e.customer << ", employees=[";
    for (std::size_t i = 0; i < e.employees.size(); ++i) os << (i ? "," : "") << e.employees[i];
    os << "], at=" << date::format("%FT%TZ", e.at) << '}';
    return os;
}

}  // namespace bb
