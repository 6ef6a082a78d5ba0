// libssh2::publickey (RFC 4819 "publickey" subsystem) against OpenSSH, which has no such subsystem:
// init comes back empty, the sshd logs the refused request, the session stays usable. Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <poll.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "support/connection.hpp"

using test_support::sshd;

namespace {

// How many times the fixture's sshd has refused a "publickey" subsystem request so far,
// waiting up to 5 s for the count to reach at least `at_least` (the log is written asynchronously).
int refused_requests(int at_least = 0) {
    const std::string line = "subsystem request for publickey by user " + sshd().user + " failed, subsystem not found";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int count;
    do {
        std::ifstream log(sshd().dir + "/sshd.log");
        std::stringstream text;
        text << log.rdbuf();
        count = 0;
        for (std::string l; std::getline(text, l);)
            if (l.find(line) != std::string::npos) ++count;
        if (count >= at_least) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return count;
}

}  // namespace

TEST_CASE("publickey::init against OpenSSH: an empty object; the sshd refused the subsystem") {
    auto c = test_support::login();
    const int refused_before = refused_requests();
    libssh2::publickey pkey = libssh2::publickey::init(c.session);
    CHECK_FALSE(pkey);
    CHECK(pkey.get() == nullptr);
    // The sshd saw the request and has no such subsystem.
    CHECK(refused_requests(refused_before + 1) == refused_before + 1);
    // libssh2 (1.10.0 and 1.11.1) records "Unable to request publickey subsystem"
    // (LIBSSH2_ERROR_CHANNEL_FAILURE), then closes its channel; waiting for the close,
    // the blocking wrapper resets the session's error, so the caller is left with
    // LIBSSH2_ERROR_NONE and no message: a null result is the only sign of failure.
    CHECK(c.session.last_errno() == LIBSSH2_ERROR_NONE);
    CHECK(test_support::last_error(c.session).empty());

    // The session is unharmed: commands still run.
    CHECK(test_support::run(c.session, "echo fine").out == "fine\n");

    // The raw-pointer overload returns the null pointer itself.
    CHECK(libssh2::publickey::init(c.session.get()) == nullptr);
    CHECK(refused_requests(refused_before + 2) == refused_before + 2);
}

TEST_CASE("publickey::init on a non-blocking session never reports the failure (libssh2 quirk)") {
    // Each call returns null with LIBSSH2_ERROR_EAGAIN; once the refused channel is closed,
    // libssh2 starts over with a new channel instead of reporting an error, so a caller
    // that retries on EAGAIN loops forever. Observed with 1.10.0 and 1.11.1.
    auto c = test_support::login();
    const int refused_before = refused_requests();
    c.session.set_blocking(0);
    int other_result = 0;  // anything but "null, EAGAIN"
    for (int calls = 0; calls < 60 && refused_requests() < refused_before + 3; ++calls) {  // 3 attempts: enough
        libssh2::publickey pkey = libssh2::publickey::init(c.session);
        if (pkey || c.session.last_errno() != LIBSSH2_ERROR_EAGAIN) {
            other_result = pkey ? 1 : c.session.last_errno();
            break;
        }
        const int directions = c.session.block_directions();
        pollfd fd{c.socket.get(), 0, 0};
        if (directions & LIBSSH2_SESSION_BLOCK_INBOUND) fd.events |= POLLIN;
        if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) fd.events |= POLLOUT;
        ::poll(&fd, 1, 200);
    }
    CHECK(other_result == 0);
    CHECK(refused_requests(refused_before + 3) >= refused_before + 3);
    c.session.set_blocking(1);
}
