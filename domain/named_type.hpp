#pragma once

#include <compare>
#include <ostream>
#include <string>
#include <utility>

namespace bb {

// A value with a name, so that a customer id cannot be passed where a complaint id belongs.
template <class T, class Tag>
class named_type {
  public:
    named_type() = default;
    explicit named_type(T value) : value_(std::move(value)) {}
    const T& value() const { return value_; }
    auto operator<=>(const named_type&) const = default;
    bool operator==(const named_type&) const = default;
    friend std::ostream& operator<<(std::ostream& os, const named_type& v) {
        return os << v.value_;
    }

  private:
    T value_{};
};

using complaint_id = named_type<std::string, struct complaint_id_tag>;
using customer_id = named_type<std::string, struct customer_id_tag>;
using employee_id = named_type<std::string, struct employee_id_tag>;
using compliment_id = named_type<std::string, struct compliment_id_tag>;
using action_id = named_type<std::string, struct action_id_tag>;
// Source system + message id of the command that caused an event.
using idempotency_key = named_type<std::string, struct idempotency_key_tag>;

}  // namespace bb
