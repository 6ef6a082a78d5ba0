// std::error_code layer (<libssh2/errors.hpp>) against the fixture's sshd: the enums, their
// categories (sentences for messages, portable std::errc conditions), constant_name(),
// session.last_error_code()/last_error_message(), libssh2::check() with its three outcomes
// (value, would block, libssh2::error) and its std::error_code & twin, on real failures: a
// timeout, a missing SFTP file, a permission the server denies.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <libssh2/errors.hpp>

#include <optional>
#include <string>
#include <system_error>

#include "support/connection.hpp"

using Catch::Matchers::ContainsSubstring;
using test_support::sshd;

TEST_CASE("errc and sftp_errc are error code enums whose messages are sentences") {
    std::error_code eagain = libssh2::errc::eagain;
    CHECK(eagain.value() == LIBSSH2_ERROR_EAGAIN);
    CHECK(&eagain.category() == &libssh2::session_category());
    CHECK(eagain.message() == "the operation would block; try again");
    CHECK(std::string(eagain.category().name()) == "libssh2");
    CHECK(libssh2::make_error_code(libssh2::errc::timeout).message() == "timed out waiting for the server");
    // An alias shares its value, its message and (joined) its name.
    CHECK(libssh2::make_error_code(libssh2::errc::banner_none).message() == "failed to receive the server's banner");
    CHECK(std::string(libssh2::constant_name(libssh2::errc::banner_recv)) ==
          "LIBSSH2_ERROR_BANNER_RECV / LIBSSH2_ERROR_BANNER_NONE");
    CHECK(std::string(libssh2::constant_name(libssh2::errc::timeout)) == "LIBSSH2_ERROR_TIMEOUT");
    CHECK(std::string(libssh2::constant_name(static_cast<libssh2::errc>(12345))).empty());

    std::error_code missing = libssh2::sftp_errc::no_such_file;
    CHECK(missing.value() == static_cast<int>(LIBSSH2_FX_NO_SUCH_FILE));
    CHECK(missing.message() == "no such file or directory");
    CHECK(std::string(libssh2::constant_name(libssh2::sftp_errc::no_such_file)) == "LIBSSH2_FX_NO_SUCH_FILE");
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

TEST_CASE("every constant's message is a sentence, not its name nor the generic fallback") {
    // constant_name() is non-empty exactly for the values some constant of this header set has.
    int session_constants = 0, sftp_constants = 0;
    for (int value = -200; value <= 200; ++value) {
        const std::string name = libssh2::constant_name(static_cast<libssh2::errc>(value));
        if (name.empty()) continue;
        ++session_constants;
        const std::string message = libssh2::make_error_code(static_cast<libssh2::errc>(value)).message();
        INFO(name << ": " << message);
        CHECK(message.find("LIBSSH2_") == std::string::npos);  // the fallback names the constant
        CHECK(message.rfind("unknown libssh2", 0) == std::string::npos);  // the category fallback
    }
    for (unsigned long value = 0; value <= 200; ++value) {
        const std::string name = libssh2::constant_name(static_cast<libssh2::sftp_errc>(value));
        if (name.empty()) continue;
        ++sftp_constants;
        const std::string message = libssh2::make_error_code(static_cast<libssh2::sftp_errc>(value)).message();
        INFO(name << ": " << message);
        CHECK(message.find("LIBSSH2_") == std::string::npos);
        CHECK(message.rfind("unknown libssh2", 0) == std::string::npos);  // the category fallback
    }
    CHECK(session_constants >= 50);  // libssh2 1.9.0 has LIBSSH2_ERROR_NONE .. LIBSSH2_ERROR_KEYFILE_AUTH_FAILED
    CHECK(sftp_constants == 22);     // LIBSSH2_FX_OK .. LIBSSH2_FX_LINK_LOOP
}

// The mapping to portable conditions, without a server: most of these a loopback sshd cannot
// be made to produce (a full disk, a lost connection mid-request, a read-only file system).
TEST_CASE("errors compare equal to the portable std::errc conditions whose meaning fits") {
    using libssh2::errc;
    using libssh2::sftp_errc;
    const auto code = [](auto e) { return libssh2::make_error_code(e); };
    CHECK(code(errc::timeout) == std::errc::timed_out);
    CHECK(code(errc::socket_timeout) == std::errc::timed_out);
    CHECK(code(errc::eagain) == std::errc::operation_would_block);
    CHECK(code(errc::eagain) == std::errc::resource_unavailable_try_again);
    CHECK(code(errc::socket_disconnect) == std::errc::connection_reset);
    CHECK(code(errc::socket_disconnect) == std::errc::connection_aborted);
    CHECK(code(errc::alloc) == std::errc::not_enough_memory);
    CHECK(code(errc::inval) == std::errc::invalid_argument);
    CHECK(code(errc::bad_use) == std::errc::invalid_argument);
    CHECK(code(sftp_errc::no_such_file) == std::errc::no_such_file_or_directory);
    CHECK(code(sftp_errc::no_such_path) == std::errc::no_such_file_or_directory);
    CHECK(code(sftp_errc::permission_denied) == std::errc::permission_denied);
    CHECK(code(sftp_errc::file_already_exists) == std::errc::file_exists);
    CHECK(code(sftp_errc::not_a_directory) == std::errc::not_a_directory);
    CHECK(code(sftp_errc::dir_not_empty) == std::errc::directory_not_empty);
    CHECK(code(sftp_errc::no_space_on_filesystem) == std::errc::no_space_on_device);
    CHECK(code(sftp_errc::write_protect) == std::errc::read_only_file_system);
    CHECK(code(sftp_errc::op_unsupported) == std::errc::operation_not_supported);
    CHECK(code(sftp_errc::link_loop) == std::errc::too_many_symbolic_link_levels);
    CHECK(code(sftp_errc::no_connection) == std::errc::not_connected);
    CHECK(code(sftp_errc::connection_lost) == std::errc::connection_aborted);
    CHECK(code(sftp_errc::connection_lost) == std::errc::connection_reset);

    // Where no condition fits, the condition is the category's own: equal to nothing generic.
    const std::error_condition kex = code(errc::kex_failure).default_error_condition();
    CHECK(&kex.category() == &libssh2::session_category());
    CHECK(kex.value() == LIBSSH2_ERROR_KEX_FAILURE);
    CHECK(code(errc::kex_failure) != std::errc::timed_out);
    CHECK(code(errc::timeout) != std::errc::operation_would_block);
    CHECK(code(sftp_errc::failure).default_error_condition() ==
          std::error_condition(static_cast<int>(LIBSSH2_FX_FAILURE), libssh2::sftp_category()));
}

TEST_CASE("a real timeout compares equal to std::errc::timed_out, with a sentence for a message") {
    auto c = test_support::login();
    std::optional<libssh2::channel> channel = libssh2::check(libssh2::channel::open_session(c.session), c.session);
    REQUIRE(channel);
    REQUIRE(channel->exec("sleep 3") == 0);  // silent for 3 s: a blocking read can only time out
    c.session.set_timeout(100);
    char buffer[16];
    try {
        libssh2::check(channel->read(buffer, sizeof buffer), c.session);
        FAIL("check did not throw");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == libssh2::errc::timeout);
        CHECK(e.code() == std::errc::timed_out);
        CHECK(e.code().message() == "timed out waiting for the server");
        CHECK_THAT(e.what(), ContainsSubstring("timed out waiting for the server"));
    }
    // The twin reports the same into ec.
    std::error_code ec;
    CHECK_FALSE(libssh2::check(channel->read(buffer, sizeof buffer), c.session, ec));
    CHECK(ec == std::errc::timed_out);
    c.session.set_timeout(0);
}

TEST_CASE("the twin of check sets ec instead of throwing") {
    auto c = test_support::login();
    std::error_code ec = libssh2::errc::proto;  // a stale value is cleared on success
    std::optional<int> ok = libssh2::check(7, c.session, ec);
    REQUIRE(ok);
    CHECK(*ok == 7);
    CHECK_FALSE(ec);

    // Would block: std::nullopt with ec == errc::eagain, which is also the portable would-block.
    CHECK_FALSE(libssh2::check(LIBSSH2_ERROR_EAGAIN, c.session, ec));
    CHECK(ec == libssh2::errc::eagain);
    CHECK(ec == std::errc::operation_would_block);

    libssh2::channel bogus = libssh2::channel::open_ex(c.session, "no-such-channel-type", 20, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                                       LIBSSH2_CHANNEL_PACKET_DEFAULT, nullptr, 0);
    std::optional<libssh2::channel> none;
    CHECK_NOTHROW(none = libssh2::check(std::move(bogus), c.session, ec));
    CHECK_FALSE(none);
    CHECK(ec == libssh2::errc::channel_failure);
    CHECK(ec.message() == "the server failed to open the channel");

    std::error_code cleared = libssh2::errc::proto;
    libssh2::rethrow_pending(c.session, cleared);  // no callable threw: nothing pending
    CHECK_FALSE(cleared);
}

TEST_CASE("a missing SFTP file is std::errc::no_such_file_or_directory, thrown or in ec") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string missing = sshd().dir + "/does-not-exist";
    try {
        libssh2::check(sftp.open(missing.c_str(), LIBSSH2_FXF_READ, 0), sftp);
        FAIL("check did not throw");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == libssh2::sftp_errc::no_such_file);
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK(e.code().message() == "no such file or directory");
    }
    std::error_code ec;
    CHECK_FALSE(libssh2::check(sftp.open(missing.c_str(), LIBSSH2_FXF_READ, 0), sftp, ec));
    CHECK(ec == std::errc::no_such_file_or_directory);
    CHECK(&ec.category() == &libssh2::sftp_category());
}

// The test sshd logs in as the current user, root here, who may open any file: permission is
// denied instead by the kernel's EPERM for unlinking a /proc entry, which holds for root too
// and which OpenSSH's sftp-server reports as SSH_FX_PERMISSION_DENIED.
TEST_CASE("permission denied on the server is std::errc::permission_denied") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    std::error_code ec;
    CHECK_FALSE(libssh2::check(sftp.unlink("/proc/version"), sftp, ec));
    CHECK(ec == libssh2::sftp_errc::permission_denied);
    CHECK(ec == std::errc::permission_denied);
    CHECK(ec.message() == "permission denied");
}

// The same through the kernel's EACCES: the password server's unprivileged user opens a file
// in a root-only directory (mode 0700).
TEST_CASE("an unprivileged user's permission denied is std::errc::permission_denied") {
    const auto &server = test_support::sshd_password();
    if (!server.skip_reason.empty()) SKIP(server.skip_reason);
    const std::string private_dir = server.dir + "/root-only";
    REQUIRE(test_support::run_command("mkdir -p '" + private_dir + "' && chmod 0700 '" + private_dir + "' && touch '" +
                                      private_dir + "/file'")
                .first == 0);
    auto c = test_support::login(server);
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    std::error_code ec;
    CHECK_FALSE(libssh2::check(sftp.open((private_dir + "/file").c_str(), LIBSSH2_FXF_READ, 0), sftp, ec));
    CHECK(ec == libssh2::sftp_errc::permission_denied);
    CHECK(ec == std::errc::permission_denied);
}
