// SPDX-License-Identifier: BSD-3-Clause
// Milliseconds since a steady-clock time: what the tests of timeouts and teardown bounds
// compare with their limits.
#pragma once

#include <chrono>

namespace test_support {

using clock_type = std::chrono::steady_clock;

inline long elapsed_ms(clock_type::time_point since) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - since).count());
}

}  // namespace test_support
