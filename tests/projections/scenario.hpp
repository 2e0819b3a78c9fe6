#pragma once

#include "projections/read_model.hpp"

namespace bb::test {

// The read-side scenario whose reports are computed by hand in projections_test.cpp.
projection::read_model scenario();

}  // namespace bb::test
