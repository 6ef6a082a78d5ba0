// C++ callables for libssh2's callbacks (<libssh2/callbacks.hpp>) against the fixture's sshd:
// keyboard-interactive answered by a lambda, a sign callback that signs with the ed25519 key,
// trace lines collected by a lambda, DISCONNECT observed, exceptions carried across the C
// frames and rethrown, or reported as a code by the std::error_code & twins. Built by
// tests/meson.build (links libcrypto); run by scripts/test, also under AddressSanitizer.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <libssh2/callbacks.hpp>

#include <openssl/evp.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>
#include <sys/socket.h>

#include "support/bytes.hpp"
#include "support/connection.hpp"
#include "support/ssh_agent.hpp"

using Catch::Matchers::ContainsSubstring;
using test_support::sshd;
using test_support::base64_decode;
using test_support::read_file;

namespace {

// The unencrypted OpenSSH ed25519 key at path: its public blob and a signer of SSH signatures.
struct ed25519_key {
    std::vector<unsigned char> public_blob;
    std::vector<unsigned char> seed;  // the 32-byte private seed

    explicit ed25519_key(const std::string &path) {
        std::string pem = read_file(path), body;
        std::istringstream lines(pem);
        for (std::string line; std::getline(lines, line);)
            if (line.rfind("-----", 0) != 0) body += line;
        const std::vector<unsigned char> blob = base64_decode(body);
        static const char magic[] = "openssh-key-v1";
        if (blob.size() < sizeof magic || std::memcmp(blob.data(), magic, sizeof magic) != 0)
            throw std::runtime_error("not an OpenSSH private key");
        test_support::wire_reader r{blob, sizeof magic};
        if (r.string() != std::vector<unsigned char>{'n', 'o', 'n', 'e'}) throw std::runtime_error("encrypted key");
        r.string();  // kdf name
        r.string();  // kdf options
        if (r.u32() != 1) throw std::runtime_error("several keys");
        public_blob = r.string();
        const std::vector<unsigned char> secret = r.string();
        test_support::wire_reader s{secret};
        if (s.u32() != s.u32()) throw std::runtime_error("bad check bytes");
        s.string();  // "ssh-ed25519"
        s.string();  // public key
        const std::vector<unsigned char> private_key = s.string();  // seed + public key
        seed.assign(private_key.begin(), private_key.begin() + 32);
    }

    // The raw signature: libssh2 wraps it into the SSH signature blob itself.
    std::vector<unsigned char> sign(const unsigned char *data, size_t length) const {
        EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
        EVP_MD_CTX *context = EVP_MD_CTX_new();
        unsigned char signature[64];
        size_t signature_length = sizeof signature;
        const bool ok = key && context && EVP_DigestSignInit(context, nullptr, nullptr, nullptr, key) == 1 &&
                        EVP_DigestSign(context, signature, &signature_length, data, length) == 1;
        EVP_MD_CTX_free(context);
        EVP_PKEY_free(key);
        if (!ok) throw std::runtime_error("ed25519 signing failed");
        return std::vector<unsigned char>(signature, signature + signature_length);
    }
};

// A copy libssh2 can free with its default allocator (free()).
unsigned char *malloc_copy(const std::vector<unsigned char> &bytes) {
    auto *copy = static_cast<unsigned char *>(std::malloc(bytes.size()));
    std::memcpy(copy, bytes.data(), bytes.size());
    return copy;
}

// Offers a key the server does not accept until sshd's MaxAuthTries (6) is exceeded and it
// disconnects (disconnects, counted by the test's DISCONNECT callable, turns non-zero);
// returns the last attempt's result.
int offer_a_stranger_key_until_disconnected(libssh2::session &session, const int &disconnects) {
    const std::string stranger = sshd().dir + "/stranger_ed25519";
    REQUIRE(test_support::run_command("test -f " + stranger + " || ssh-keygen -q -t ed25519 -N '' -f " + stranger).first == 0);
    int rc = 0;
    for (int attempt = 0; attempt < 10 && disconnects == 0; ++attempt)
        rc = libssh2::userauth::publickey_fromfile(session, sshd().user, stranger + ".pub", stranger, nullptr);
    return rc;
}

}  // namespace

TEST_CASE("publickey with a lambda that signs with the ed25519 key") {
    auto c = test_support::handshake();
    const ed25519_key key(sshd().key);
    int calls = 0;
    const int rc = libssh2::userauth::publickey(
        c.session, sshd().user.c_str(), key.public_blob.data(), key.public_blob.size(),
        [&](LIBSSH2_SESSION *session, unsigned char **sig, size_t *sig_len, const unsigned char *data, size_t data_len) {
            ++calls;
            CHECK(session == c.session.get());
            const std::vector<unsigned char> signature = key.sign(data, data_len);
            *sig = malloc_copy(signature);
            *sig_len = signature.size();
            return 0;
        });
    CHECK(rc == 0);
    CHECK(calls == 1);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
}

TEST_CASE("an exception thrown by a sign lambda fails the call and is rethrown from it") {
    auto c = test_support::handshake();
    const ed25519_key key(sshd().key);
    CHECK_THROWS_AS(libssh2::userauth::publickey(c.session, sshd().user.c_str(), key.public_blob.data(),
                                                 key.public_blob.size(),
                                                 [](LIBSSH2_SESSION *, unsigned char **, size_t *, const unsigned char *,
                                                    size_t) -> int { throw std::domain_error("no signer here"); }),
                    std::domain_error);
    CHECK(libssh2::userauth::authenticated(c.session) == 0);
    // The session is still usable: the key authenticates afterwards.
    CHECK(libssh2::userauth::publickey_fromfile(c.session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                sshd().key.c_str(), nullptr) == 0);
}

TEST_CASE("keyboard-interactive answered by a lambda") {
    const auto &server = test_support::sshd_password();
    if (!server.skip_reason.empty()) SKIP(server.skip_reason);
    test_support::socket_fd socket(test_support::connect_tcp(server.port));
    libssh2::session session = libssh2::session::init();
    REQUIRE(session.handshake(socket.get()) == 0);
    std::vector<std::string> prompts;
    const int rc = libssh2::userauth::keyboard_interactive(
        session, server.password_user.c_str(),
        [&](const char *, int, const char *, int, int num_prompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompt,
            LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses) {
            for (int i = 0; i < num_prompts; ++i) {
                prompts.emplace_back(reinterpret_cast<const char *>(prompt[i].text), prompt[i].length);
                responses[i].text = strdup(server.password.c_str());
                responses[i].length = static_cast<decltype(responses[i].length)>(server.password.size());
            }
        });
    CHECK(rc == 0);
    REQUIRE(prompts.size() == 1);
    CHECK(prompts[0].find("assword") != std::string::npos);
    CHECK(libssh2::userauth::authenticated(session) == 1);
}

TEST_CASE("keyboard-interactive: a std::string user name with a lambda, and a C-signature lambda's own abstract") {
    const auto &server = test_support::sshd_password();
    if (!server.skip_reason.empty()) SKIP(server.skip_reason);
    SECTION("a callable with a std::string user name (the callable overload's text_view form)") {
        auto c = test_support::handshake(server);
        int answered = 0;
        const int rc = libssh2::userauth::keyboard_interactive(
            c.session, server.password_user,
            [&](const char *, int, const char *, int, int num_prompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *,
                LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses) {
                for (int i = 0; i < num_prompts; ++i, ++answered) {
                    responses[i].text = strdup(server.password.c_str());
                    responses[i].length = static_cast<decltype(responses[i].length)>(server.password.size());
                }
            });
        CHECK(rc == 0);
        CHECK(answered == 1);
        CHECK(libssh2::userauth::authenticated(c.session) == 1);
    }
    SECTION("a capture-free lambda ending in void **abstract takes the C overload: abstract is the session's") {
        auto c = test_support::handshake(server);
        *c.session.abstract() = const_cast<std::string *>(&server.password);
        const int rc = libssh2::userauth::keyboard_interactive(
            c.session, server.password_user,
            [](const char *, int, const char *, int, int num_prompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *,
               LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract) {
                const std::string &password = *static_cast<const std::string *>(*abstract);
                for (int i = 0; i < num_prompts; ++i) {
                    responses[i].text = strdup(password.c_str());
                    responses[i].length = static_cast<decltype(responses[i].length)>(password.size());
                }
            });
        CHECK(rc == 0);
        CHECK(libssh2::userauth::authenticated(c.session) == 1);
    }
}

TEST_CASE("a DISCONNECT callback fires when the server gives up, and its exception is rethrown by check") {
    auto c = test_support::handshake();
    int disconnects = 0;
    std::string reason;
    c.session.callback_set(libssh2::callback::disconnect,
                           [&](LIBSSH2_SESSION *, int, const char *message, int message_len, const char *, int) {
                               ++disconnects;
                               reason.assign(message, static_cast<size_t>(message_len));
                               throw std::runtime_error("disconnected: " + reason);
                           });
    const int rc = offer_a_stranger_key_until_disconnected(c.session, disconnects);
    CHECK(rc != 0);
    CHECK(disconnects == 1);
    CHECK(reason.find("Too many authentication failures") != std::string::npos);
    // The callable's exception first, then (nothing pending any more) the failure itself.
    CHECK_THROWS_WITH(libssh2::check(rc, c.session), ContainsSubstring("disconnected: Too many"));
    CHECK_THROWS_AS(libssh2::check(rc, c.session), libssh2::error);
}

TEST_CASE("trace lines collected by a lambda") {
    auto c = test_support::handshake();
    std::vector<std::string> lines;
    REQUIRE(libssh2::trace::sethandler(c.session, [&](LIBSSH2_SESSION *, const char *line, size_t length) {
                lines.emplace_back(line, length);
            }) == 0);
    if (libssh2::trace::trace(c.session, LIBSSH2_TRACE_AUTH | LIBSSH2_TRACE_CONN) != 0)
        SKIP("this libssh2 was built without debug logging: libssh2_trace has nothing to report");
    REQUIRE(libssh2::userauth::publickey_fromfile(c.session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                  sshd().key.c_str(), nullptr) == 0);
    if (lines.empty()) SKIP("this libssh2 was built without debug logging: no trace output");
    bool mentions_auth = false;
    for (const auto &line : lines) mentions_auth = mentions_auth || line.find("Userauth") != std::string::npos;
    CHECK(mentions_auth);
}

TEST_CASE("session.abstract() stays the user's while callables use libssh2's slot") {
    auto c = test_support::handshake();
    int mine = 7;
    *c.session.abstract() = &mine;
    c.session.callback_set(libssh2::callback::debug, [](LIBSSH2_SESSION *, int, const char *, int, const char *, int) {});
    CHECK(*c.session.abstract() == &mine);  // moved to the user's own slot
    CHECK(*libssh2_session_abstract(c.session.get()) != &mine);  // libssh2's now leads to the callables
}

TEST_CASE("SEND and RECV callables carry the whole session's traffic") {
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    size_t sent = 0, received = 0;
    session.callback_set(libssh2::callback::send, [&](libssh2_socket_t fd, const void *buffer, size_t length, int flags) -> ssize_t {
        const ssize_t n = ::send(fd, buffer, length, flags);
        if (n < 0) return -errno;
        sent += static_cast<size_t>(n);
        return n;
    });
    session.callback_set(libssh2::callback::recv, [&](libssh2_socket_t fd, void *buffer, size_t length, int flags) -> ssize_t {
        const ssize_t n = ::recv(fd, buffer, length, flags);
        if (n < 0) return -errno;
        received += static_cast<size_t>(n);
        return n;
    });
    REQUIRE(session.handshake(socket.get()) == 0);
    REQUIRE(libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                  sshd().key.c_str(), nullptr) == 0);
    auto result = test_support::run(session, "echo through the callables");
    CHECK(result.out == "through the callables\n");
    CHECK(sent > 1000);       // banner, key exchange, authentication, channel: all went through them
    CHECK(received > 1000);
}

TEST_CASE("init_ex with allocator callables; an exception from one reaches the caller") {
    size_t allocations = 0, frees = 0, reallocations = 0;
    {
        libssh2::session session = libssh2::session::init_ex(
            [&](size_t count) { ++allocations; return std::malloc(count); },
            [&](void *pointer) { ++frees; std::free(pointer); },
            [&](void *pointer, size_t count) { ++reallocations; return std::realloc(pointer, count); });
        REQUIRE(session);
        test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
        REQUIRE(session.handshake(socket.get()) == 0);
        CHECK(allocations > 10);
    }  // libssh2_session_free releases everything through the free callable: nothing leaks
    CHECK(frees > 10);
    CHECK(frees <= allocations);

    CHECK_THROWS_AS(libssh2::session::init_ex([](size_t) -> void * { throw std::bad_alloc(); },
                                              [](void *pointer) { std::free(pointer); },
                                              [](void *pointer, size_t count) { return std::realloc(pointer, count); }),
                    std::bad_alloc);
}

TEST_CASE("a DEBUG lambda receives the sshd's debug messages (host-based authentication)") {
    const auto &server = test_support::sshd_password();
    if (!server.skip_reason.empty()) SKIP(server.skip_reason);
    test_support::socket_fd socket(test_support::connect_tcp(server.port));
    libssh2::session session = libssh2::session::init();
    std::vector<std::string> messages;
    session.callback_set(libssh2::callback::debug,
                         [&](LIBSSH2_SESSION *, int, const char *message, int length, const char *, int) {
                             messages.emplace_back(message, static_cast<size_t>(length));
                         });
    REQUIRE(session.handshake(socket.get()) == 0);
    // After host-based authentication via ~/.shosts, OpenSSH sends SSH_MSG_DEBUG lines.
    REQUIRE(libssh2::userauth::hostbased_fromfile(session, server.password_user.c_str(),
                                                  server.client_host_pubkey.c_str(), server.client_host_key.c_str(),
                                                  nullptr, server.client_hostname.c_str()) == 0);
    test_support::run(session, "true");  // reads whatever the server sent meanwhile
    REQUIRE_FALSE(messages.empty());
    CHECK(messages.front() == "Accepted by .shosts.");
}

TEST_CASE("a MACERROR lambda sees a packet whose MAC fails; refusing it fails the call, accepting it goes on") {
    for (const bool accept : {false, true}) {
        CAPTURE(accept);
        test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
        libssh2::session session = libssh2::session::init();
        REQUIRE(session);
        // A cipher and MAC whose check libssh2 makes itself (neither AEAD nor encrypt-then-MAC),
        // so a damaged packet reaches the MACERROR callback instead of failing decryption. Both
        // directions: libssh2 1.11.1 fails the handshake when only one gets a CTR cipher.
        for (const int method : {LIBSSH2_METHOD_CRYPT_CS, LIBSSH2_METHOD_CRYPT_SC})
            REQUIRE(session.method_pref(method, "aes128-ctr") == 0);
        for (const int method : {LIBSSH2_METHOD_MAC_CS, LIBSSH2_METHOD_MAC_SC})
            REQUIRE(session.method_pref(method, "hmac-sha2-256") == 0);
        bool damage_next = false;
        session.callback_set(libssh2::callback::recv, [&](libssh2_socket_t fd, void *buffer, size_t length, int flags) -> ssize_t {
            const ssize_t n = ::recv(fd, buffer, length, flags);
            if (n < 0) return -errno;
            // Nothing is in flight when armed, so the next read starts a packet; byte 20 is past
            // the first cipher block (the packet length) and inside the 64-byte minimum packet.
            if (damage_next && n > 20) {
                static_cast<unsigned char *>(buffer)[20] ^= 0x01;
                damage_next = false;
            }
            return n;
        });
        int mac_errors = 0;
        int packet_length = 0;
        session.callback_set(libssh2::callback::macerror, [&](LIBSSH2_SESSION *, const char *, int length) {
            ++mac_errors;
            packet_length = length;
            return accept ? 0 : -1;
        });
        REQUIRE(session.handshake(socket.get()) == 0);
        REQUIRE(libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                      sshd().key.c_str(), nullptr) == 0);
        CHECK(test_support::run(session, "echo intact").out == "intact\n");
        CHECK(mac_errors == 0);

        damage_next = true;  // the server's answer to the channel open
        libssh2::channel channel = libssh2::channel::open_session(session);
        CHECK(mac_errors == 1);
        CHECK(packet_length > 0);
        if (accept) {
            REQUIRE(channel);  // the damaged packet was processed as it was
            CHECK(channel.exec("true") == 0);
        } else {
            CHECK_FALSE(channel);
            CHECK(session.last_errno() == LIBSSH2_ERROR_INVALID_MAC);
        }
    }
}

TEST_CASE("an X11 lambda gets the channel sshd opens for a client of the forwarded display") {
    const auto &server = test_support::sshd_password();  // the server with X11Forwarding yes
    if (!server.skip_reason.empty()) SKIP(server.skip_reason);
    auto c = test_support::login(server);
    LIBSSH2_CHANNEL *x11_channel = nullptr;
    std::string origin;
    c.session.callback_set(libssh2::callback::x11,
                           [&](LIBSSH2_SESSION *session, LIBSSH2_CHANNEL *channel, const char *shost, int sport) {
                               CHECK(session == c.session.get());
                               CHECK(sport > 0);
                               x11_channel = channel;
                               origin = shost;
                           });
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.x11_req(0) == 0);  // libssh2 makes up the MIT-MAGIC-COOKIE-1 cookie
    // A client of the forwarded display (localhost:N.0 is TCP port 6000 + N on loopback) that
    // prints the first 6 bytes the "X server" (this test, at the far end) sends it.
    REQUIRE(channel.exec("bash -c 'd=${DISPLAY#*:}; exec 3<>/dev/tcp/127.0.0.1/$((6000 + ${d%.*})); head -c 6 <&3'") == 0);

    // The command's output waits on what we write to the X11 channel.
    bool written = false;
    const std::string out = test_support::read_to_eof_serving(c.session, channel, [&] {
        if (x11_channel && !written) written = libssh2_channel_write(x11_channel, "hello\n", 6) == 6;
    });
    REQUIRE(x11_channel != nullptr);
    CHECK(origin == "127.0.0.1");
    CHECK(out == "hello\n");
}

TEST_CASE("password_ex with a password-change lambda logs in; OpenSSH never asks for a change") {
    const auto &server = test_support::sshd_password();
    if (!server.skip_reason.empty()) SKIP(server.skip_reason);
    const std::string &user = server.password_user;
    int change_requests = 0;
    auto change = [&](LIBSSH2_SESSION *, char **newpw, int *newpw_len) {
        ++change_requests;
        *newpw = nullptr;
        *newpw_len = 0;
    };
    auto c = test_support::handshake(server);
    CHECK(libssh2::userauth::password_ex(c.session, user.c_str(), static_cast<unsigned>(user.size()), "wrong", 5, change) ==
          LIBSSH2_ERROR_AUTHENTICATION_FAILED);
    REQUIRE(libssh2::userauth::password_ex(c.session, user.c_str(), static_cast<unsigned>(user.size()),
                                           server.password.c_str(), static_cast<unsigned>(server.password.size()),
                                           change) == 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
    // OpenSSH never sends SSH_MSG_USERAUTH_PASSWD_CHANGEREQ (it has an expired password changed
    // after login instead): the lambda is installed for both calls but never called.
    CHECK(change_requests == 0);
}

TEST_CASE("the std::error_code twins report a callable's exception, a missing session and the call's error") {
    // A callable's exception: its own code when it is a std::system_error, else operation_canceled.
    auto c = test_support::handshake();
    const ed25519_key key(sshd().key);
    std::error_code ec;
    int rc = 0;
    CHECK_NOTHROW(rc = libssh2::userauth::publickey(
                      c.session, sshd().user.c_str(), key.public_blob.data(), key.public_blob.size(),
                      [](LIBSSH2_SESSION *, unsigned char **, size_t *, const unsigned char *, size_t) -> int {
                          throw std::domain_error("no signer here");
                      },
                      ec));
    CHECK(rc != 0);
    CHECK(ec == std::errc::operation_canceled);
    CHECK_NOTHROW(rc = libssh2::userauth::publickey(
                      c.session, sshd().user.c_str(), key.public_blob.data(), key.public_blob.size(),
                      [](LIBSSH2_SESSION *, unsigned char **, size_t *, const unsigned char *, size_t) -> int {
                          throw libssh2::error(libssh2::errc::hostkey_sign, "signer refused");
                      },
                      ec));
    CHECK(ec == libssh2::errc::hostkey_sign);
    // A callable that fails without throwing: ec is the call's own error.
    rc = libssh2::userauth::publickey(
        c.session, sshd().user.c_str(), key.public_blob.data(), key.public_blob.size(),
        [](LIBSSH2_SESSION *, unsigned char **, size_t *, const unsigned char *, size_t) { return -1; }, ec);
    REQUIRE(rc < 0);
    CHECK(ec == static_cast<libssh2::errc>(rc));
    CHECK(&ec.category() == &libssh2::session_category());
    // And success clears ec.
    rc = libssh2::userauth::publickey(
        c.session, sshd().user.c_str(), key.public_blob.data(), key.public_blob.size(),
        [&](LIBSSH2_SESSION *, unsigned char **sig, size_t *sig_len, const unsigned char *data, size_t data_len) {
            const std::vector<unsigned char> signature = key.sign(data, data_len);
            *sig = malloc_copy(signature);
            *sig_len = signature.size();
            return 0;
        },
        ec);
    CHECK(rc == 0);
    CHECK_FALSE(ec);

    // No session to install a callable on: errc::bad_use, nothing thrown.
    libssh2::session empty;
    CHECK_THROWS_AS(empty.callback_set(libssh2::callback::debug,
                                       [](LIBSSH2_SESSION *, int, const char *, int, const char *, int) {}),
                    libssh2::error);
    CHECK_NOTHROW(libssh2::callback_set(empty, libssh2::callback::debug,
                                        [](LIBSSH2_SESSION *, int, const char *, int, const char *, int) {}, ec));
    CHECK(ec == libssh2::errc::bad_use);
    CHECK(ec == std::errc::invalid_argument);
    ec.clear();
    CHECK(libssh2::trace::sethandler(empty, [](LIBSSH2_SESSION *, const char *, size_t) {}, ec) ==
          LIBSSH2_ERROR_BAD_USE);
    CHECK(ec == libssh2::errc::bad_use);

    // An allocator that throws std::bad_alloc: an empty session and not_enough_memory.
    libssh2::session failed = libssh2::session_init_ex([](size_t) -> void * { throw std::bad_alloc(); },
                                                       [](void *pointer) { std::free(pointer); },
                                                       [](void *pointer, size_t count) { return std::realloc(pointer, count); },
                                                       ec);
    CHECK_FALSE(failed);
    CHECK(ec == std::errc::not_enough_memory);
}

TEST_CASE("a session callable's exception reaches the twins of check and rethrow_pending as a code") {
    auto c = test_support::handshake();
    std::error_code ec;
    int disconnects = 0;
    // A code of the generic category: told apart from any code libssh2's own failure gives.
    libssh2::callback_set(c.session, libssh2::callback::disconnect,
                          [&](LIBSSH2_SESSION *, int, const char *, int, const char *, int) {
                              ++disconnects;
                              throw std::system_error(std::make_error_code(std::errc::connection_aborted), "gave up");
                          },
                          ec);
    REQUIRE_FALSE(ec);
    const int rc = offer_a_stranger_key_until_disconnected(c.session, disconnects);
    REQUIRE(rc != 0);
    REQUIRE(disconnects == 1);
    // The callable's exception first, as its code; then (nothing pending) the failure itself.
    CHECK_FALSE(libssh2::check(rc, c.session, ec));
    CHECK(ec == std::make_error_code(std::errc::connection_aborted));
    libssh2::rethrow_pending(c.session, ec);
    CHECK_FALSE(ec);
    CHECK_FALSE(libssh2::check(rc, c.session, ec));
    CHECK(ec == static_cast<libssh2::errc>(rc));
}

#if LIBSSH2_VERSION_NUM >= 0x010b01  // API libssh2 1.11 added (scripts/test builds a 1.11.1)
TEST_CASE("1.11: an AUTHAGENT lambda gets the forwarded agent's channel and answers ssh-add for real") {
    auto c = test_support::login();
    LIBSSH2_CHANNEL *agent_channel = nullptr;
    c.session.callback_set(libssh2::callback::authagent,
                           [&](LIBSSH2_SESSION *session, LIBSSH2_CHANNEL *channel) {
                               CHECK(session == c.session.get());
                               agent_channel = channel;
                           });
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.request_auth_agent() == 0);
    // ssh-add connects to the forwarded SSH_AUTH_SOCK: sshd opens an auth-agent channel to us.
    REQUIRE(channel.exec("ssh-add -l; echo \"exit $?\"") == 0);

    // The command's output waits on our answer as the agent.
    std::string request;
    bool answered = false;
    const std::string out = test_support::read_to_eof_serving(c.session, channel, [&] {
        if (!agent_channel || answered) return;
        // The request: uint32 length 1, byte SSH2_AGENTC_REQUEST_IDENTITIES (11).
        char buffer[256];
        for (ssize_t n; (n = libssh2_channel_read(agent_channel, buffer, sizeof buffer)) > 0;)
            request.append(buffer, static_cast<size_t>(n));
        if (request.size() >= 5) {
            // The answer: uint32 length 5, byte SSH2_AGENT_IDENTITIES_ANSWER (12), uint32 0 keys.
            const char none[9] = {0, 0, 0, 5, 12, 0, 0, 0, 0};
            REQUIRE(libssh2_channel_write(agent_channel, none, sizeof none) == 9);
            answered = true;
        }
    });
    REQUIRE(agent_channel != nullptr);
    CHECK(request == std::string("\0\0\0\1\13", 5));
    CHECK(out == "The agent has no identities.\nexit 1\n");
}
#endif
