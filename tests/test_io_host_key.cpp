// <libssh2/io.hpp>: libssh2::verify_host_key against the fixture's sshd: a match with its
// known_hosts, unknown with an empty one, a mismatch with another key listed for the host, an
// unreadable file as an error; the fingerprint as ssh-keygen -l prints it. check_host_key: an
// unknown and a changed key as distinct errors whose message names the host and fingerprint. Run by
// `meson test -C build io_host_key` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/io.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "support/connection.hpp"

using test_support::sshd;

namespace {

// A file in the sshd's temporary directory (removed with it) holding text.
std::string known_hosts_file(const std::string &name, const std::string &text) {
    const std::string path = sshd().dir + "/" + name;
    std::ofstream(path) << text;
    return path;
}

std::string host_entry() { return "[" + sshd().host + "]:" + std::to_string(sshd().port); }

// The second field of a public key line: its base64 blob.
std::string key_blob(const std::string &pubkey_path) {
    std::ifstream in(pubkey_path);
    std::string type, blob;
    in >> type >> blob;
    return blob;
}

}  // namespace

TEST_CASE("verify_host_key: listed in the fixture's known_hosts: match, with type and fingerprint") {
    test_support::connection c = test_support::handshake();
    const libssh2::host_key_verification result =
        libssh2::verify_host_key(c.session, sshd().known_hosts, sshd().host, sshd().port);
    CHECK(result.status == libssh2::host_key_status::match);
    CHECK(result.key_type == sshd().host_key_type);
    CHECK(result.host_entry == host_entry());

    // ssh-keygen -lf prints "256 SHA256:... comment (ED25519)".
    const auto [status, printed] = test_support::run_command("ssh-keygen -lf '" + sshd().host_key_pub + "'");
    REQUIRE(status == 0);
    std::istringstream fields(printed);
    std::string bits, fingerprint;
    fields >> bits >> fingerprint;
    CHECK(result.fingerprint == fingerprint);
}

TEST_CASE("verify_host_key: not listed: unknown") {
    test_support::connection c = test_support::handshake();
    const std::string empty = known_hosts_file("io_known_hosts_empty", "");
    std::error_code ec = make_error_code(libssh2::errc::alloc);
    const libssh2::host_key_verification result =
        libssh2::verify_host_key(c.session, empty, sshd().host, sshd().port, ec);
    CHECK_FALSE(ec);
    CHECK(result.status == libssh2::host_key_status::unknown);
    CHECK(result.key_type == sshd().host_key_type);

    // Listed for port 22 only: OpenSSH's [HOST]:PORT is another name.
    const std::string other_port =
        known_hosts_file("io_known_hosts_port22", sshd().host + " " + sshd().host_key_type + " " + sshd().host_key_base64 + "\n");
    CHECK(libssh2::verify_host_key(c.session, other_port, sshd().host, sshd().port).status ==
          libssh2::host_key_status::unknown);
    CHECK(libssh2::verify_host_key(c.session, other_port, sshd().host, 22).status == libssh2::host_key_status::match);
}

TEST_CASE("verify_host_key: another key listed for the host: mismatch") {
    test_support::connection c = test_support::handshake();
    // The user's ed25519 key, of the host key's type but not the host's.
    const std::string wrong =
        known_hosts_file("io_known_hosts_wrong", host_entry() + " " + sshd().host_key_type + " " + key_blob(sshd().pubkey) + "\n");
    const libssh2::host_key_verification result = libssh2::verify_host_key(c.session, wrong, sshd().host, sshd().port);
    CHECK(result.status == libssh2::host_key_status::mismatch);
    CHECK_FALSE(result.fingerprint.empty());
}

TEST_CASE("verify_host_key: an unreadable known_hosts file is an error, thrown or in the error_code") {
    test_support::connection c = test_support::handshake();
    const std::string missing = sshd().dir + "/no-such-known_hosts";
    std::error_code ec;
    libssh2::verify_host_key(c.session, missing, sshd().host, sshd().port, ec);
    CHECK(ec == std::errc::no_such_file_or_directory);  // the errno behind LIBSSH2_ERROR_FILE
    try {
        libssh2::verify_host_key(c.session, missing, sshd().host, sshd().port);
        FAIL("no exception");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK(std::string(e.what()).find("read known_hosts file " + missing) == 0);
    }
}

TEST_CASE("check_host_key: unknown and changed keys are errors of their own, naming host and fingerprint") {
    test_support::connection c = test_support::handshake();
    const auto [status, printed] = test_support::run_command("ssh-keygen -lf '" + sshd().host_key_pub + "'");
    REQUIRE(status == 0);
    std::istringstream fields(printed);
    std::string bits, fingerprint;
    fields >> bits >> fingerprint;
    REQUIRE(fingerprint.rfind("SHA256:", 0) == 0);

    SECTION("listed: no error") {
        std::error_code ec = make_error_code(libssh2::errc::alloc);
        CHECK(libssh2::check_host_key(c.session, sshd().known_hosts, sshd().host, sshd().port, ec).status ==
              libssh2::host_key_status::match);
        CHECK_FALSE(ec);
        CHECK(libssh2::check_host_key(c.session, sshd().known_hosts, sshd().host, sshd().port).refusal().empty());
    }
    SECTION("an empty known_hosts: unknown_host") {
        const std::string empty = known_hosts_file("io_check_empty", "");
        std::error_code ec;
        const libssh2::host_key_verification result =
            libssh2::check_host_key(c.session, empty, sshd().host, sshd().port, ec);
        CHECK(ec == libssh2::host_key_errc::unknown_host);
        CHECK(ec.category() == libssh2::host_key_category());
        CHECK(result.error() == ec);
        try {
            libssh2::check_host_key(c.session, empty, sshd().host, sshd().port);
            FAIL("no exception");
        } catch (const libssh2::error &e) {
            CHECK(e.code() == libssh2::host_key_errc::unknown_host);
            CHECK(std::string(e.what()).find("host key verification failed: " + host_entry() + " is not in " + empty +
                                             " (it offers the " + sshd().host_key_type + " key " + fingerprint + ")") == 0);
        }
    }
    SECTION("another key listed for the host: changed_key") {
        const std::string wrong =
            known_hosts_file("io_check_wrong", host_entry() + " " + sshd().host_key_type + " " + key_blob(sshd().pubkey) + "\n");
        std::error_code ec;
        libssh2::check_host_key(c.session, wrong, sshd().host, sshd().port, ec);
        CHECK(ec == libssh2::host_key_errc::changed_key);
        CHECK(ec != libssh2::host_key_errc::unknown_host);
        try {
            libssh2::check_host_key(c.session, wrong, sshd().host, sshd().port);
            FAIL("no exception");
        } catch (const libssh2::error &e) {
            CHECK(e.code() == libssh2::host_key_errc::changed_key);
            CHECK(std::string(e.what()).find("host key verification failed: the " + sshd().host_key_type + " key " + fingerprint +
                                             " of " + host_entry() + " differs from the one in " + wrong) == 0);
        }
    }
    SECTION("an unreadable file: a failure, not a refusal") {
        std::error_code ec;
        libssh2::check_host_key(c.session, sshd().dir + "/no-such-known_hosts", sshd().host, sshd().port, ec);
        CHECK(ec);
        CHECK(ec.category() != libssh2::host_key_category());
    }
}

TEST_CASE("base64_encode: RFC 4648's test vectors, padded and not") {
    const auto encode = [](const std::string &text, bool padded) {
        return libssh2::detail::base64_encode(reinterpret_cast<const unsigned char *>(text.data()), text.size(),
                                              padded);
    };
    CHECK(encode("", true) == "");
    CHECK(encode("f", true) == "Zg==");
    CHECK(encode("fo", true) == "Zm8=");
    CHECK(encode("foo", true) == "Zm9v");
    CHECK(encode("foob", true) == "Zm9vYg==");
    CHECK(encode("fooba", true) == "Zm9vYmE=");
    CHECK(encode("foobar", true) == "Zm9vYmFy");
    CHECK(encode("fooba", false) == "Zm9vYmE");
    CHECK(encode("foob", false) == "Zm9vYg");
    // The host key's blob encodes to the base64 of its .pub line.
    CHECK(libssh2::detail::base64_encode(sshd().host_key_blob.data(), sshd().host_key_blob.size()) ==
          sshd().host_key_base64);
}
