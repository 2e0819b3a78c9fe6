#pragma once

namespace bb {

// Visitor built from lambdas. Never add a catch-all lambda: a new variant alternative must
// break the build until every visitor handles it.
template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
// Clang before 17 has no class template argument deduction for aggregates (P1816).
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace bb
