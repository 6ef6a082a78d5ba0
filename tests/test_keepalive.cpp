// SPDX-License-Identifier: BSD-3-Clause
// libssh2::keepalive::config and send: the sshd's replies, seen on the socket. Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include "support/connection.hpp"
#include "support/sockets.hpp"

namespace {

// Whether the socket has something to read within timeout_ms.
bool readable(int fd, int timeout_ms) {
    pollfd p = test_support::poll_entry(fd, POLLIN);
    return test_support::poll_sockets(&p, 1, timeout_ms) == 1;
}

}  // namespace

TEST_CASE("keepalive::config and send: a keepalive with want_reply gets the sshd's answer") {
    auto c = test_support::login();
    test_support::run(c.session, "true");  // lets libssh2 read what the sshd sent after authentication
    REQUIRE_FALSE(readable(c.socket.get(), 100));

    libssh2::keepalive::config(c.session, 1, 5);
    int seconds_to_next = -1;
    REQUIRE(libssh2::keepalive::send(c.session, &seconds_to_next) == 0);
    CHECK(seconds_to_next == 5);  // just sent: the whole interval to go
    // keepalive@libssh2.org with want_reply: OpenSSH answers (SSH_MSG_REQUEST_FAILURE).
    CHECK(readable(c.socket.get(), 3000));

    // Within the interval, send sends nothing and says how long to wait.
    seconds_to_next = -1;
    REQUIRE(libssh2::keepalive::send(c.session, &seconds_to_next) == 0);
    CHECK(seconds_to_next > 0);
    CHECK(seconds_to_next <= 5);
    // The session reads past the answer and goes on.
    CHECK(test_support::run(c.session, "echo alive").out == "alive\n");
    CHECK_FALSE(readable(c.socket.get(), 300));
}

TEST_CASE("keepalive without want_reply gets no answer; interval 0 disables, 1 means 2") {
    {
        auto c = test_support::login();
        test_support::run(c.session, "true");
        REQUIRE_FALSE(readable(c.socket.get(), 100));
        libssh2::keepalive::config(c.session, 0, 10);
        int seconds_to_next = -1;
        REQUIRE(libssh2::keepalive::send(c.session.get(), &seconds_to_next) == 0);  // raw-pointer overload
        CHECK(seconds_to_next == 10);
        CHECK_FALSE(readable(c.socket.get(), 500));
        CHECK(test_support::run(c.session, "echo alive").out == "alive\n");
    }
    {
        auto c = test_support::login();
        test_support::run(c.session, "true");
        libssh2::keepalive::config(c.session, 1, 0);
        int seconds_to_next = -1;
        REQUIRE(libssh2::keepalive::send(c.session, &seconds_to_next) == 0);
        CHECK(seconds_to_next == 0);
        CHECK_FALSE(readable(c.socket.get(), 500));  // nothing was sent

        libssh2::keepalive::config(c.session.get(), 1, 1);  // libssh2 raises 1 s to 2 s
        REQUIRE(libssh2::keepalive::send(c.session, &seconds_to_next) == 0);
        CHECK(seconds_to_next == 2);
        CHECK(readable(c.socket.get(), 3000));
    }
}
