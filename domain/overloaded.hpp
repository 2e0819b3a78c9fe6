#pragma once

namespace bb {

// Visitor built from lambdas. Never add a catch-all lambda: a new variant alternative must
// break the build until every visitor handles it.
template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};

}  // namespace bb
