// SPDX-License-Identifier: BSD-3-Clause
// A Windows test under Wine asks the Linux side (scripts/wine-test) to do what it cannot: a
// request file in $SSHD_DIR/control, written whole then renamed so the runner never reads half
// of it, answered by a .done file beside it. Used for signals (server_signal.hpp) and shell
// commands (sshd_server_windows.cpp).
#pragma once

#ifdef _WIN32
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "sshd_server.hpp"

namespace test_support {

// Writes text as request number n of kind ("signal", "run"), waits up to timeout for its
// answer and returns the request's path without extension (its .done, and any .out, beside).
inline std::string ask_linux_side(const std::string &kind, int n, const std::string &text,
                                  std::chrono::seconds timeout) {
    const std::string base = sshd().dir + "/control/" + kind + "-" + std::to_string(n);
    {
        std::ofstream request(base + ".tmp", std::ios::binary | std::ios::trunc);
        request << text;
    }
    if (std::rename((base + ".tmp").c_str(), (base + ".request").c_str()) != 0)
        throw std::runtime_error("test_support: cannot write " + base + ".request");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (std::ifstream(base + ".done", std::ios::binary)) return base;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("test_support: no answer to " + base + ".request in " + std::to_string(timeout.count()) +
                             " s: run the Windows tests through scripts/wine-test");
}

}  // namespace test_support
#endif
