// Misuse the binding can detect is diagnosed, not a crash: a method called on an empty object
// (default-constructed, moved from, freed or released) stops the program with a message
// naming the class and method (LIBSSH2_HPP_ASSERT, debug builds); an explicit free of an
// empty object returns LIBSSH2_ERROR_BAD_USE in every build; release() of a session with live
// children gives them up too. Run under AddressSanitizer by the test command (build-asan),
// where a double free fails the test.
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>


#include <functional>
#include <string>
#include <utility>

#include "support/connection.hpp"
#include "support/misuse.hpp"

using test_support::expect_diagnosed;

TEST_CASE("a method on an empty object is diagnosed with its class and method, not a crash") {
    expect_diagnosed([] { libssh2::session().set_timeout(1000); }, "session::set_timeout");
    expect_diagnosed([] { (void)libssh2::session().last_errno(); }, "session::last_errno");
    expect_diagnosed([] { (void)libssh2::session().handshake(-1); }, "session::handshake");
    expect_diagnosed(
        [] {
            libssh2::channel channel;
            libssh2::channel moved = std::move(channel);
            (void)channel.eof();  // NOLINT(bugprone-use-after-move): the misuse under test
        },
        "channel::eof");
    expect_diagnosed(
        [] {
            libssh2::session empty;
            (void)libssh2::userauth::authenticated(empty);
        },
        "userauth::authenticated");
    expect_diagnosed([] { (void)libssh2::sftp().open("x", LIBSSH2_FXF_READ, 0); }, "sftp::open");
}

TEST_CASE("explicit frees of an empty object return LIBSSH2_ERROR_BAD_USE; a second session.free() is harmless") {
    libssh2::session session = libssh2::session::init();
    REQUIRE(session);
    CHECK(session.free() == 0);
    CHECK_FALSE(session);
    CHECK(session.free() == LIBSSH2_ERROR_BAD_USE);
    CHECK(libssh2::channel().free() == LIBSSH2_ERROR_BAD_USE);
    CHECK(libssh2::sftp().shutdown() == LIBSSH2_ERROR_BAD_USE);
    CHECK(libssh2::sftp_handle().close() == LIBSSH2_ERROR_BAD_USE);
    CHECK(libssh2::sftp_handle().close_handle() == LIBSSH2_ERROR_BAD_USE);
    CHECK(libssh2::listener().forward_cancel() == LIBSSH2_ERROR_BAD_USE);
    CHECK(libssh2::publickey().shutdown() == LIBSSH2_ERROR_BAD_USE);
    libssh2::agent().free();      // void: nothing to free, nothing happens
    libssh2::knownhost().free();
}

TEST_CASE("release() of a session with live children gives them up too: freed once, by the caller") {
    auto c = test_support::login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    libssh2::knownhost hosts = libssh2::knownhost::init(c.session);
    REQUIRE(hosts);
    LIBSSH2_KNOWNHOSTS *raw_hosts = hosts.release();  // a child released alone is the caller's to free

    LIBSSH2_SESSION *raw = c.session.release();
    REQUIRE(raw != nullptr);
    CHECK_FALSE(c.session);
    CHECK_FALSE(channel);  // libssh2_session_free frees it: the wrapper must not
    CHECK(channel.free() == LIBSSH2_ERROR_BAD_USE);

    libssh2_knownhost_free(raw_hosts);
    CHECK(libssh2_session_free(raw) == 0);
    // channel's destructor runs here and frees nothing: under ASan a double free would fail.
}
