// SPDX-License-Identifier: BSD-3-Clause
// libssh2::hostkey::hash against ssh-keygen's fingerprints of the fixture sshd's host key. Run by
// `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <cstdio>
#include <string>

#include "support/bytes.hpp"
#include "support/connection.hpp"

using test_support::sshd;

namespace {

// "MD5:aa:bb:..." as ssh-keygen -E md5 prints it.
std::string md5_colons(const unsigned char *data) {
    std::string out = "MD5";
    char hex[4];
    for (int i = 0; i < 16; ++i) {
        std::snprintf(hex, sizeof hex, ":%02x", data[i]);
        out += hex;
    }
    return out;
}

std::string ssh_keygen_fingerprint(const char *hash) {
    auto [status, out] = test_support::run_command(std::string("ssh-keygen -l -E ") + hash + " -f '" +
                                                   sshd().host_key_pub + "' | awk '{print $2}'");
    REQUIRE(status == 0);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace

TEST_CASE("hostkey::hash: SHA1 and SHA256 of the sshd's key equal ssh-keygen's fingerprints") {
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    CHECK(libssh2::hostkey::hash(session, LIBSSH2_HOSTKEY_HASH_SHA256) == nullptr);  // no key yet
    REQUIRE(session.handshake(socket.get()) == 0);

    const auto *sha1 = reinterpret_cast<const unsigned char *>(libssh2::hostkey::hash(session, LIBSSH2_HOSTKEY_HASH_SHA1));
    const auto *sha256 =
        reinterpret_cast<const unsigned char *>(libssh2::hostkey::hash(session, LIBSSH2_HOSTKEY_HASH_SHA256));
    REQUIRE(sha1 != nullptr);
    REQUIRE(sha256 != nullptr);
    CHECK("SHA1:" + test_support::base64_unpadded(sha1, 20) == ssh_keygen_fingerprint("sha1"));
    CHECK("SHA256:" + test_support::base64_unpadded(sha256, 32) == ssh_keygen_fingerprint("sha256"));

    // The raw-pointer overload reaches the same C function; an unknown hash type gives null.
    CHECK(std::memcmp(libssh2::hostkey::hash(session.get(), LIBSSH2_HOSTKEY_HASH_SHA1), sha1, 20) == 0);
    CHECK(libssh2::hostkey::hash(session, 12345) == nullptr);
}

TEST_CASE("hostkey::hash: MD5 of the sshd's key equals ssh-keygen's fingerprint, where libssh2 has MD5") {
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    REQUIRE(session.handshake(socket.get()) == 0);
    const auto *md5 = reinterpret_cast<const unsigned char *>(libssh2::hostkey::hash(session, LIBSSH2_HOSTKEY_HASH_MD5));
    // libssh2's development head builds without MD5 unless asked (LIBSSH2_MD5): null then.
    if (md5 == nullptr) SKIP("this libssh2 has no MD5 host-key hash (built without LIBSSH2_MD5)");
    CHECK(md5_colons(md5) == ssh_keygen_fingerprint("md5"));
}
