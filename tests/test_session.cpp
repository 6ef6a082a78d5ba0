// Session basics against the fixture's sshd: library init, version, handshake, host key,
// authentication. Built by tests/meson.build; run with `meson test -C build`.
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <cstring>
#include <string>

#include "support/bytes.hpp"
#include "support/connection.hpp"

using test_support::sshd;

TEST_CASE("init, version and exit forward to libssh2") {
    REQUIRE(libssh2::init(0) == 0);
    const char *version = libssh2::version(0);
    REQUIRE(version != nullptr);
    CHECK(std::string(version) == LIBSSH2_VERSION);
    CHECK(libssh2::version(LIBSSH2_VERSION_NUM) != nullptr);
    CHECK(libssh2::version(LIBSSH2_VERSION_NUM + 1) == nullptr);  // newer than what we link
    libssh2::exit();
}

TEST_CASE("handshake yields the fixture's host key and hashes") {
    auto c = test_support::handshake();
    size_t length = 0;
    int type = 0;
    const char *key = c.session.hostkey(&length, &type);
    REQUIRE(key != nullptr);
    CHECK(type == LIBSSH2_HOSTKEY_TYPE_ED25519);
    const auto &expected = sshd().host_key_blob;
    REQUIRE(length == expected.size());
    CHECK(std::memcmp(key, expected.data(), length) == 0);

    // SHA256 of the blob, as ssh-keygen -l prints it (base64 without padding).
    const char *sha256 = libssh2::hostkey::hash(c.session, LIBSSH2_HOSTKEY_HASH_SHA256);
    REQUIRE(sha256 != nullptr);
    auto [status, fingerprint] = test_support::run_command(
        "ssh-keygen -l -E sha256 -f '" + sshd().host_key_pub + "' | awk '{print $2}'");
    REQUIRE(status == 0);
    CHECK("SHA256:" + test_support::base64_unpadded(reinterpret_cast<const unsigned char *>(sha256), 32) + "\n" ==
          fingerprint);
    // The raw-pointer overload reaches the same C function.
    CHECK(std::memcmp(libssh2::hostkey::hash(c.session.get(), LIBSSH2_HOSTKEY_HASH_SHA256), sha256, 32) == 0);
}

TEST_CASE("the fixture's host key is found in its known_hosts") {
    auto c = test_support::handshake();
    libssh2::knownhost hosts = libssh2::knownhost::init(c.session);
    REQUIRE(hosts);
    REQUIRE(hosts.readfile(sshd().known_hosts.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 1);
    size_t length = 0;
    int type = 0;
    const char *key = c.session.hostkey(&length, &type);
    struct libssh2_knownhost *found = nullptr;
    CHECK(hosts.checkp("127.0.0.1", sshd().port, key, length,
                       LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, &found) ==
          LIBSSH2_KNOWNHOST_CHECK_MATCH);
    CHECK(found != nullptr);
    CHECK(hosts.checkp("127.0.0.1", sshd().port + 1, key, length,
                       LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
}

TEST_CASE("userauth lists publickey and authenticates with the ed25519 key") {
    auto c = test_support::handshake();
    const std::string user = sshd().user;
    const char *methods = libssh2::userauth::list(c.session, user.c_str(), static_cast<unsigned>(user.size()));
    REQUIRE(methods != nullptr);
    CHECK(std::string(methods).find("publickey") != std::string::npos);
    CHECK(libssh2::userauth::authenticated(c.session) == 0);

    // A key the server does not know is refused, and the session says why.
    CHECK(libssh2::userauth::publickey_fromfile(c.session, user.c_str(), nullptr, "/nonexistent", nullptr) != 0);
    CHECK(c.session.last_errno() != 0);

    REQUIRE(libssh2::userauth::publickey_fromfile(c.session, user.c_str(), sshd().pubkey.c_str(),
                                                  sshd().key.c_str(), nullptr) == 0);
    CHECK(libssh2::userauth::authenticated(c.session.get()) == 1);
}
