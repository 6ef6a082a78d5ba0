// SPDX-License-Identifier: BSD-3-Clause
// A fresh directory for one test, on this machine: the sshd runs here as this user, so what a
// test makes through SFTP it can check with ::stat and std::ifstream, and the other way round.
// It lives in the fixture's directory, removed with it when the server stops.
#pragma once

#include <stdlib.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "sshd_server.hpp"

namespace test_support {

// A new, empty directory named after name; throws std::runtime_error if it cannot be made.
inline std::string scratch_dir(const std::string &name) {
    std::string pattern = sshd().dir + "/" + name + "-XXXXXX";
    std::vector<char> path(pattern.begin(), pattern.end());
    path.push_back('\0');
    if (!mkdtemp(path.data())) throw std::runtime_error("mkdtemp " + pattern + " failed");
    return path.data();
}

}  // namespace test_support
