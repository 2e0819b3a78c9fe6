#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "domain/named_type.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

namespace bb {

// A compliment is a fact of its own: recorded once, never changed. It may point at the
// complaint whose recovery the customer praised.
struct receive_compliment {
    idempotency_key key;
    compliment_id id;
    customer_id customer;
    std::vector<employee_id> employees;
    std::string channel, text;
    std::optional<complaint_id> complaint;
    instant at;
    bool operator==(const receive_compliment&) const = default;
};

struct compliment_received {
    idempotency_key key;
    compliment_id id;
    customer_id customer;
    std::vector<employee_id> employees;
    std::string channel, text;
    std::optional<complaint_id> complaint;
    instant at;
    bool operator==(const compliment_received&) const = default;
};

struct compliment_state {
    std::optional<idempotency_key> recorded_by;
    bool operator==(const compliment_state&) const = default;
};

compliment_state initial_compliment_state();
result<std::vector<compliment_received>> decide(const compliment_state& s,
                                                const receive_compliment& c);
compliment_state evolve(compliment_state s, const compliment_received& e);
std::ostream& operator<<(std::ostream& os, const compliment_received& e);

}  // namespace bb
