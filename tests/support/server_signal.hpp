// SPDX-License-Identifier: BSD-3-Clause
// Signals the test sshd's processes (the tests that stop, resume or kill a server mid-call).
// On POSIX that is kill(2). A Windows test under Wine cannot signal a Linux process: the Linux
// side does it for it (scripts/wine-test), on request: a file in $SSHD_DIR/control holding the
// signal and pids, answered by a .done file once sent. The runner signals only descendants of
// the sshd listener, whatever the request says.
#pragma once

#include <string>

#ifdef _WIN32
#include <chrono>
#include <fstream>
#include <stdexcept>

#include "linux_side.hpp"
#else
#include <signal.h>
#include <sys/types.h>
#endif

namespace test_support {

enum class server_signal { stop, resume, kill };

#ifdef _WIN32
// pids: "" for every process serving a connection, else pids separated by spaces. Returns the
// pids signalled as the runner wrote them ("" when none). Throws after 10 s unanswered.
inline std::string request_server_signal(server_signal s, const std::string &pids) {
    static int requests = 0;
    const char *name = s == server_signal::stop ? "STOP" : s == server_signal::resume ? "CONT" : "KILL";
    const std::string base = ask_linux_side("signal", ++requests, std::string(name) + ' ' + pids, std::chrono::seconds(10));
    std::ifstream done(base + ".done", std::ios::binary);
    std::string answered, signalled;
    done >> answered;
    std::getline(done, signalled);
    if (answered != name) throw std::runtime_error(std::string("request_server_signal: refused ") + name);
    return signalled.empty() ? signalled : signalled.substr(1);
}
#endif

// Sends s to the server process pid (one of the sshd's, e.g. the $PPID of a command it runs);
// true once sent. Never throws: tests resume servers from destructors.
inline bool signal_server_process(long pid, server_signal s) noexcept {
#ifdef _WIN32
    try {
        return request_server_signal(s, std::to_string(pid)) == std::to_string(pid);
    } catch (...) {
        return false;
    }
#else
    const int number = s == server_signal::stop ? SIGSTOP : s == server_signal::resume ? SIGCONT : SIGKILL;
    return ::kill(static_cast<pid_t>(pid), number) == 0;
#endif
}

}  // namespace test_support
