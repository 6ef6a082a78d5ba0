// Channels against the fixture's sshd: exec with stdout, stderr and exit status.
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <string>

#include "support/connection.hpp"

TEST_CASE("exec returns stdout, stderr and the exit status") {
    auto c = test_support::login();
    auto result = test_support::run(c.session, "printf 'out line\\n'; printf 'err line\\n' >&2; exit 7");
    CHECK(result.out == "out line\n");
    CHECK(result.err == "err line\n");
    CHECK(result.exit_status == 7);
}

TEST_CASE("channel methods forward the handle implicitly") {
    auto c = test_support::login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.exec("cat") == 0);
    const std::string payload = "echo through cat\n";
    REQUIRE(channel.write(payload.data(), payload.size()) == static_cast<ssize_t>(payload.size()));
    REQUIRE(channel.send_eof() == 0);
    std::string echoed;
    char buffer[256];
    for (ssize_t n; (n = channel.read(buffer, sizeof buffer)) > 0;) echoed.append(buffer, static_cast<size_t>(n));
    CHECK(echoed == payload);
    CHECK(channel.eof() == 1);
    REQUIRE(channel.wait_closed() == 0);
    CHECK(channel.get_exit_status() == 0);

    char *signal = nullptr;
    size_t signal_length = 0;
    REQUIRE(channel.get_exit_signal(&signal, &signal_length, nullptr, nullptr, nullptr, nullptr) == 0);
    CHECK(signal == nullptr);  // exited normally
    CHECK(channel.free() == 0);
    CHECK_FALSE(channel);  // freed explicitly: the destructor has nothing left to do
}
