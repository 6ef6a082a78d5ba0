// SPDX-License-Identifier: BSD-3-Clause
// A fresh directory for one test, on this machine: the sshd runs here as this user, so what a
// test makes through SFTP it can check with ::stat and std::ifstream, and the other way round.
// It lives in the fixture's directory, removed with it when the server stops.
#pragma once

#include <stdlib.h>

#ifdef _WIN32
#include <filesystem>
#include <random>
#endif
#include <stdexcept>
#include <string>
#include <vector>

#include "sshd_server.hpp"

namespace test_support {

// A new, empty directory named after name; throws std::runtime_error if it cannot be made.
inline std::string scratch_dir(const std::string &name) {
#ifdef _WIN32
    // No mkdtemp in MinGW: a random name, made only if new (create_directory says so).
    static std::mt19937 random{std::random_device{}()};
    for (int attempt = 0; attempt < 100; ++attempt) {
        const std::string path = sshd().dir + "/" + name + "-" + std::to_string(random() % 1000000);
        std::error_code error;
        if (std::filesystem::create_directory(path, error)) return path;
    }
    throw std::runtime_error("scratch_dir: cannot make a directory in " + sshd().dir);
#else
    std::string pattern = sshd().dir + "/" + name + "-XXXXXX";
    std::vector<char> path(pattern.begin(), pattern.end());
    path.push_back('\0');
    if (!mkdtemp(path.data())) throw std::runtime_error("mkdtemp " + pattern + " failed");
    return path.data();
#endif
}

}  // namespace test_support
