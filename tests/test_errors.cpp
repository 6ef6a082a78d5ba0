// std::error_code layer (<libssh2/errors.hpp>) against the fixture's sshd: the enums, their
// categories, session.last_error_code()/last_error_message(), and libssh2::check() with its
// three outcomes (value, would block, libssh2::error).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <libssh2/errors.hpp>

#include <string>
#include <system_error>

#include "support/connection.hpp"

using Catch::Matchers::ContainsSubstring;
using test_support::sshd;

TEST_CASE("errc and sftp_errc are error code enums whose messages name the constant") {
    std::error_code eagain = libssh2::errc::eagain;
    CHECK(eagain.value() == LIBSSH2_ERROR_EAGAIN);
    CHECK(&eagain.category() == &libssh2::session_category());
    CHECK(eagain.message() == "LIBSSH2_ERROR_EAGAIN");
    CHECK(std::string(eagain.category().name()) == "libssh2");
    CHECK(libssh2::make_error_code(libssh2::errc::banner_recv).message() ==
          "LIBSSH2_ERROR_BANNER_RECV / LIBSSH2_ERROR_BANNER_NONE");  // an alias shares its value

    std::error_code missing = libssh2::sftp_errc::no_such_file;
    CHECK(missing.value() == static_cast<int>(LIBSSH2_FX_NO_SUCH_FILE));
    CHECK(missing.message() == "LIBSSH2_FX_NO_SUCH_FILE");
    CHECK(missing != eagain);
    CHECK(libssh2::session_category().message(12345) == "unknown libssh2 error 12345");
}

TEST_CASE("last_error_code and last_error_message after a failing call") {
    auto c = test_support::handshake();
    CHECK(libssh2::userauth::publickey_fromfile(c.session, sshd().user.c_str(), nullptr, "/nonexistent/key", nullptr) != 0);
    const std::error_code code = c.session.last_error_code();
    CHECK(code == libssh2::errc::file);
    CHECK(code.value() == c.session.last_errno());
    CHECK_FALSE(c.session.last_error_message().empty());
}

TEST_CASE("check returns the value, nullopt on EAGAIN, or throws libssh2::error") {
    auto c = test_support::login();
    std::optional<int> ok = libssh2::check(0, c.session);
    REQUIRE(ok);
    CHECK(*ok == 0);
    CHECK_FALSE(libssh2::check(LIBSSH2_ERROR_EAGAIN, c.session));

    // A real failure: opening a channel type the server does not know.
    libssh2::channel bogus = libssh2::channel::open_ex(c.session, "no-such-channel-type", 20, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                                       LIBSSH2_CHANNEL_PACKET_DEFAULT, nullptr, 0);
    try {
        libssh2::check(std::move(bogus), c.session);
        FAIL("check did not throw");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == libssh2::errc::channel_failure);
        CHECK_THAT(e.what(), ContainsSubstring("open"));
    }

    // A working channel comes back inside the optional, still owned.
    std::optional<libssh2::channel> channel = libssh2::check(libssh2::channel::open_session(c.session), c.session);
    REQUIRE(channel);
    CHECK(channel->exec("sleep 1") == 0);

    // Non-blocking: EAGAIN is the would-block outcome, not an error.
    c.session.set_blocking(0);
    char buffer[16];
    bool saw_would_block = false;
    for (int i = 0; i < 1000 && !saw_would_block; ++i)
        saw_would_block = !libssh2::check(channel->read(buffer, sizeof buffer), c.session).has_value();
    c.session.set_blocking(1);
    CHECK(saw_would_block);
}

TEST_CASE("check on SFTP calls throws the server's status") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    try {
        libssh2::check(sftp.stat((sshd().dir + "/does-not-exist").c_str(), &attrs), sftp);
        FAIL("check did not throw");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == libssh2::sftp_errc::no_such_file);
        CHECK(libssh2::last_error_code(sftp) == libssh2::sftp_errc::no_such_file);
    }
}
