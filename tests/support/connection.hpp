// SPDX-License-Identifier: BSD-3-Clause
// A TCP connection to the test sshd with a handshaken libssh2 session on it: the common
// start of every behaviour test. The socket outlives the session (members are destroyed
// in reverse order), since libssh2 neither owns nor closes it.
#pragma once

#include <libssh2.hpp>

#include <functional>
#include <string>

#include "sshd_server.hpp"

namespace test_support {

class socket_fd {
public:
    explicit socket_fd(int fd) noexcept : fd_(fd) {}
    socket_fd(socket_fd &&other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    socket_fd(const socket_fd &) = delete;
    socket_fd &operator=(const socket_fd &) = delete;
    ~socket_fd();
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

struct connection {
    socket_fd socket;
    libssh2::session session;
};

// Connects to server (default: the fixture's sshd()) and handshakes; throws
// std::runtime_error with libssh2's message on failure.
connection handshake(const sshd_server &server);
connection handshake();

// handshake() plus public-key authentication with the fixture's ed25519 key.
connection login();
// The same, then no blocking call of the session waits longer than timeout_ms
// (LIBSSH2_ERROR_TIMEOUT instead).
connection login(long timeout_ms);

// handshake(server) plus password authentication as the password server's own
// unprivileged user.
connection login(const sshd_password_server &server);

// libssh2's last error message for the session, copied out at once (it points into the
// session's buffer).
std::string last_error(libssh2::session &session);

// Runs command over a new channel; returns {exit status, stdout, stderr}.
struct command_result {
    int exit_status;
    std::string out;
    std::string err;
};
command_result run(libssh2::session &session, const std::string &command);

// Reads channel's stdout to EOF with the session non-blocking, calling serve() between
// reads (every 10 ms, for at most 10 s): for commands whose output waits on something this
// process must answer on another channel. The session is blocking again afterwards.
std::string read_to_eof_serving(libssh2::session &session, libssh2::channel &channel,
                                const std::function<void()> &serve);

}  // namespace test_support
