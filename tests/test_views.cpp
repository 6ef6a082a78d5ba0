// SPDX-License-Identifier: BSD-3-Clause
// The convenience overloads of <libssh2.hpp> against the fixture's sshd: standard-library
// strings and buffers in place of C pointers and lengths, and the lengths they pass are the
// views' (a std::string_view that is not NUL-terminated works where the C macro would strlen).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "support/connection.hpp"

using test_support::sshd;

namespace {

// Reads a channel's stdout to EOF into a std::vector<char> buffer through span<char>.
std::string read_to_eof(libssh2::channel &channel) {
    std::string out;
    std::vector<char> buffer(4096);
    for (ssize_t n; (n = channel.read(buffer)) > 0;) out.append(buffer.data(), static_cast<size_t>(n));
    return out;
}

}  // namespace

TEST_CASE("channel: exec a std::string, write a std::string_view, read into a std::vector") {
    auto c = test_support::login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    const std::string command = "tr a-z A-Z";
    REQUIRE(channel.exec(command) == 0);
    const std::string text = "hello from a string_view\n";
    REQUIRE(channel.write(std::string_view(text)) == static_cast<ssize_t>(text.size()));
    REQUIRE(channel.send_eof() == 0);
    CHECK(read_to_eof(channel) == "HELLO FROM A STRING_VIEW\n");
    REQUIRE(channel.close() == 0);
    CHECK(channel.get_exit_status() == 0);
}

TEST_CASE("channel: an exec command from a string_view that is not NUL-terminated passes its own length") {
    auto c = test_support::login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    const std::string both = "echo first; echo second";
    REQUIRE(channel.exec(std::string_view(both).substr(0, 10)) == 0);  // "echo first"
    CHECK(read_to_eof(channel) == "first\n");
}

TEST_CASE("userauth: list and publickey_fromfile with std::string") {
    auto c = test_support::handshake();
    const std::string user = sshd().user;
    const char *methods = libssh2::userauth::list(c.session, user);
    REQUIRE(methods != nullptr);
    CHECK(std::string(methods).find("publickey") != std::string::npos);
    const std::string pubkey = sshd().pubkey, key = sshd().key;
    REQUIRE(libssh2::userauth::publickey_fromfile(c.session, user, pubkey, key, "") == 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
}

TEST_CASE("sftp: paths as string_view slices, files written from std::string and read into std::array") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string dir = sshd().dir + "/views";
    // Each path is a prefix of a longer string: the C macros would measure the whole of it.
    const std::string dir_and_more = dir + "/not-part-of-the-path";
    REQUIRE(sftp.mkdir(std::string_view(dir_and_more).substr(0, dir.size()), 0700) == 0);
    const std::string path = dir + "/file.txt";
    const std::string path_and_more = path + ".bak";
    const std::string_view path_view = std::string_view(path_and_more).substr(0, path.size());
    const std::string content = "line one\nline two\n";
    {
        libssh2::sftp_handle file = sftp.open(path_view, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600);
        REQUIRE(file);
        CHECK(file.write(content) == static_cast<ssize_t>(content.size()));
    }
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    REQUIRE(sftp.stat(path, &attrs) == 0);
    CHECK(attrs.filesize == content.size());
    {
        libssh2::sftp_handle file = sftp.open(path, LIBSSH2_FXF_READ, 0);
        REQUIRE(file);
        std::array<char, 64> buffer{};
        const ssize_t n = file.read(buffer);
        REQUIRE(n == static_cast<ssize_t>(content.size()));
        CHECK(std::string(buffer.data(), static_cast<size_t>(n)) == content);
    }
    std::vector<char> resolved(4096);
    const int length = sftp.realpath(dir, resolved);
    REQUIRE(length > 0);
    CHECK(std::string(resolved.data(), static_cast<size_t>(length)) == dir);
    REQUIRE(sftp.unlink(path) == 0);
    REQUIRE(sftp.rmdir(dir) == 0);
    CHECK(sftp.stat(dir, &attrs) != 0);
}

TEST_CASE("knownhost: readline and checkp with std::string") {
    auto c = test_support::handshake();
    libssh2::knownhost hosts = libssh2::knownhost::init(c.session);
    REQUIRE(hosts);
    const std::string line =
        "[127.0.0.1]:" + std::to_string(sshd().port) + " ssh-ed25519 " + sshd().host_key_base64 + "\n";
    REQUIRE(hosts.readline(line, LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0);
    size_t length = 0;
    int type = 0;
    const char *key = c.session.hostkey(&length, &type);
    REQUIRE(key != nullptr);
    const std::string host = "127.0.0.1";
    const int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | LIBSSH2_KNOWNHOST_KEY_ED25519;
    CHECK(hosts.checkp(host, sshd().port, libssh2::text_view(key, length), mask, nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_MATCH);
    CHECK(hosts.checkp(host, sshd().port + 1, libssh2::text_view(key, length), mask, nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
}
