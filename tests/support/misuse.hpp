// SPDX-License-Identifier: BSD-3-Clause
// Misuse diagnosed in a child process: the binding's LIBSSH2_HPP_ASSERT prints a message naming
// the class and method, then aborts (debug builds).
#pragma once

#include <catch2/catch_test_macros.hpp>

#include <signal.h>
#ifdef _WIN32
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#else
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <functional>
#include <string>

namespace test_support {

struct death {
    int signal = 0;      // the signal that ended the child, 0 if it exited
    std::string stderr_text;
};

#ifdef _WIN32
// Windows has no fork(): the child is this program again, running only the current test case
// (its name as Catch2's test spec) with LIBSSH2_HPP_MISUSE_CALL=N in its environment, and the
// Nth in_child() call of that run performs the misuse; the calls before it return at once. Its
// stdout (Catch2's report) is dropped, its stderr returned; abort() ends a Windows program with
// exit code 3, reported here as SIGABRT.
inline death in_child(const std::function<void()> &misuse) {
    static int calls = 0;
    const int call = ++calls;
    if (const char *chosen = std::getenv("LIBSSH2_HPP_MISUSE_CALL")) {
        if (std::atoi(chosen) == call) {
            misuse();
            std::_Exit(0);
        }
        return {};
    }
    char program[MAX_PATH];
    REQUIRE(GetModuleFileNameA(nullptr, program, sizeof program) > 0);
    std::string spec;
    for (char c : Catch::getResultCapture().getCurrentTestName()) {
        if (c == ',' || c == '[' || c == ']' || c == '\\') spec += '\\';
        spec += c;
    }
    REQUIRE(_putenv(("LIBSSH2_HPP_MISUSE_CALL=" + std::to_string(call)).c_str()) == 0);
    // cmd.exe runs the line (_popen): stderr into the pipe, stdout to NUL.
    const std::string command = "\"\"" + std::string(program) + "\" \"" + spec + "\" 2>&1 >NUL\"";
    FILE *pipe = _popen(command.c_str(), "r");
    REQUIRE(_putenv("LIBSSH2_HPP_MISUSE_CALL=") == 0);
    REQUIRE(pipe != nullptr);
    death result;
    char buffer[512];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.stderr_text.append(buffer, n);
    const int status = _pclose(pipe);
    result.signal = status == 3 ? SIGABRT : 0;
    return result;
}
#else
// Runs misuse in a child process (it is expected to abort) and returns how the child ended and
// what it wrote to stderr; bounded: a child still alive after 10 s is killed.
inline death in_child(const std::function<void()> &misuse) {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(pipe_fds[1], STDERR_FILENO);
        close(pipe_fds[0]);
        signal(SIGABRT, SIG_DFL);  // Catch2's handler would report the expected abort as a failure
        alarm(10);
        misuse();
        _exit(0);
    }
    close(pipe_fds[1]);
    death result;
    char buffer[512];
    ssize_t n;
    while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) result.stderr_text.append(buffer, static_cast<size_t>(n));
    close(pipe_fds[0]);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return result;
}
#endif

inline void expect_diagnosed(const std::function<void()> &misuse, const std::string &method) {
#ifdef NDEBUG
    (void)misuse;
    (void)method;
    SKIP("NDEBUG build: LIBSSH2_HPP_ASSERT is off, as assert() is");
#else
    const death d = in_child(misuse);
    CHECK(d.signal == SIGABRT);
    CHECK(d.stderr_text == "libssh2-hpp: " + method +
                               " called on an empty object (default-constructed, moved from, freed or released)\n");
#endif
}

}  // namespace test_support
