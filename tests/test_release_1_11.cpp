// API that libssh2 1.11 added, through the binding, against the fixture's sshd. Registered
// only when the build's libssh2 is 1.11.1 or newer (scripts/test builds one from Debian's
// source package for this); the libssh2::has_* flags must agree with the headers.
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <string>

#include "support/connection.hpp"

using test_support::sshd;

static_assert(libssh2::has_session_set_read_timeout && libssh2::has_channel_signal_ex &&
                  libssh2::has_sftp_posix_rename_ex && libssh2::has_sftp_open_ex_r,
              "built against libssh2 >= 1.11.1: its API must be there");

TEST_CASE("1.11: read timeout round trip") {
    auto c = test_support::login();
    c.session.set_read_timeout(42);
    CHECK(c.session.get_read_timeout() == 42);
}

TEST_CASE("1.11: channel signal_ex stops a remote command") {
    // sshd runs root's sessions without privilege separation and then refuses signal
    // requests ("session signalling requires privilege separation"); the fixture logs in
    // as the user running the tests.
    if (sshd().user == "root") SKIP("OpenSSH refuses signal requests in root's sessions; the fixture logs in as root");
    auto c = test_support::login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.exec("echo started; exec sleep 30") == 0);
    char buffer[64];
    REQUIRE(channel.read(buffer, sizeof buffer) > 0);
    REQUIRE(channel.signal_ex("TERM", 4) == 0);
    REQUIRE(channel.wait_eof() == 0);
    REQUIRE(channel.wait_closed() == 0);
    char *signal = nullptr;
    size_t length = 0;
    REQUIRE(channel.get_exit_signal(&signal, &length, nullptr, nullptr, nullptr, nullptr) == 0);
    REQUIRE(signal != nullptr);
    CHECK(std::string(signal, length) == "TERM");
    libssh2::free(c.session, signal);
}

TEST_CASE("1.11: sftp posix_rename and open_r") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string from = sshd().dir + "/posix-rename-from", to = sshd().dir + "/posix-rename-to";
    {
        LIBSSH2_SFTP_ATTRIBUTES attrs{};
        libssh2::sftp_handle file = sftp.open_r(from.c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT, 0600, &attrs);
        REQUIRE(file);
        REQUIRE(file.write("abc", 3) == 3);
    }
    REQUIRE(sftp.posix_rename(from.c_str(), to.c_str()) == 0);
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    REQUIRE(sftp.stat(to.c_str(), &attrs) == 0);
    CHECK(attrs.filesize == 3);
    CHECK(sftp.stat(from.c_str(), &attrs) != 0);
    CHECK(sftp.unlink(to.c_str()) == 0);
}
