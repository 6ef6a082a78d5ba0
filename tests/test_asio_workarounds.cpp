// <libssh2/asio/workarounds.hpp>: each workaround's condition matches what the libssh2 it is
// built with does. A test here fails once libssh2 behaves where the workaround says it does
// not (then narrow the workaround's LIBSSH2_VERSION_NUM condition and drop it for those
// releases), or misbehaves where the condition says it no longer does. The thin API in
// non-blocking mode, without the engine, against the fixture's sshd. Run by
// `meson test -C build asio_workarounds` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/asio/workarounds.hpp>
#include <libssh2.hpp>

#include <poll.h>

#include "support/connection.hpp"

namespace {

// Waits until the server has had time to answer (the replies sit in the socket, unread).
void let_the_server_answer(int fd) {
    pollfd p{};
    p.fd = fd;
    p.events = POLLIN;
    ::poll(&p, 1, 2000);
    ::poll(nullptr, 0, 200);  // both replies, not only the first
}

}  // namespace

TEST_CASE("workaround one_request_at_a_time: a request whose reply comes after another channel's") {
    test_support::connection c = test_support::login();
    libssh2::channel first = libssh2::channel::open_session(c.session);
    libssh2::channel second = libssh2::channel::open_session(c.session);
    REQUIRE(first);
    REQUIRE(second);
    c.session.set_blocking(0);
    // Both exec requests sent; each call then waits for its reply.
    REQUIRE(first.exec("true") == LIBSSH2_ERROR_EAGAIN);
    REQUIRE(second.exec("true") == LIBSSH2_ERROR_EAGAIN);
    let_the_server_answer(c.socket.get());
    // The second request's call is continued first: the first reply on the wire is the first
    // channel's (SSH_MSG_CHANNEL_SUCCESS, of the type the second call waits for).
    int second_rc = LIBSSH2_ERROR_EAGAIN;
    for (int i = 0; i < 100 && second_rc == LIBSSH2_ERROR_EAGAIN; ++i) {
        second_rc = second.exec("true");
        if (second_rc == LIBSSH2_ERROR_EAGAIN) ::poll(nullptr, 0, 10);
    }
    if constexpr (libssh2::asio::workarounds::one_request_at_a_time) {
        // libssh2 gives up (-1) instead of waiting for its own channel's reply. Once this
        // fails (second_rc == 0), libssh2 waits for the right reply: narrow the condition.
        CHECK(second_rc != 0);
        CHECK(second_rc != LIBSSH2_ERROR_EAGAIN);
    } else {
        CHECK(second_rc == 0);
    }
    c.session.set_blocking(1);
}
