// userauth::publickey_sk (libssh2 >= 1.11) against the fixture's real sshd, with no security
// key: the test plays the FIDO authenticator. It makes an ed25519 key pair with OpenSSL,
// authorizes it as an sk-ssh-ed25519@openssh.com key, gives libssh2 an unencrypted OpenSSH
// private key file for it (with a made-up key handle: libssh2 only hands that to the sign
// callback), and signs what an authenticator signs. sshd alone decides what it accepts; a
// second, one-connection sshd at LogLevel DEBUG1 shows the counter and flags it verified.
// Built and registered only against libssh2 >= 1.11.1 (tests/meson.build); run with
//   meson test -C build-1.11.1 userauth_sk --print-errorlogs
#include <catch2/catch_test_macros.hpp>

#include <libssh2/callbacks.hpp>
#include <libssh2/io/base64.hpp>

#include <openssl/evp.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"

using test_support::sshd;

static_assert(libssh2::has_userauth_publickey_sk, "built against libssh2 >= 1.11.1: publickey_sk must be there");

namespace {

const std::string sk_key_type = "sk-ssh-ed25519@openssh.com";
const std::string sk_application = "ssh:";  // OpenSSH's default for ssh-keygen -t ed25519-sk
// The flag bits as a security key sets them in its signature (OpenSSH's SSH_SK_USER_*_REQD).
constexpr uint8_t user_presence = LIBSSH2_SK_PRESENCE_REQUIRED;          // touched; sshd requires it by default
constexpr uint8_t user_verification = LIBSSH2_SK_VERIFICATION_REQUIRED;  // PIN or biometric given

std::vector<unsigned char> bytes_of(const std::string &text) { return {text.begin(), text.end()}; }

std::vector<unsigned char> sha256(const unsigned char *data, size_t length) {
    std::vector<unsigned char> digest(32);
    if (EVP_Digest(data, length, digest.data(), nullptr, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return digest;
}

// An ed25519 key pair in software, standing in for a security key's credential.
class software_authenticator {
public:
    software_authenticator() {
        EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
        const bool made = context && EVP_PKEY_keygen_init(context) == 1 && EVP_PKEY_keygen(context, &key_) == 1;
        EVP_PKEY_CTX_free(context);
        size_t length = public_key_.size();
        if (!made || EVP_PKEY_get_raw_public_key(key_, public_key_.data(), &length) != 1 || length != 32)
            throw std::runtime_error("ed25519 key generation failed");
    }
    ~software_authenticator() { EVP_PKEY_free(key_); }
    software_authenticator(const software_authenticator &) = delete;
    software_authenticator &operator=(const software_authenticator &) = delete;

    // The public key blob: string type, string ed25519 key, string application.
    std::vector<unsigned char> public_blob() const {
        std::vector<unsigned char> blob;
        test_support::put_string(blob, sk_key_type);
        test_support::put_string(blob, public_key_);
        test_support::put_string(blob, sk_application);
        return blob;
    }

    // "SHA256:...", as sshd logs the key.
    std::string fingerprint() const {
        const std::vector<unsigned char> blob = public_blob(), digest = sha256(blob.data(), blob.size());
        return "SHA256:" + libssh2::detail::base64_encode(digest.data(), digest.size(), false);
    }

    // "type base64 comment", as in a .pub file and authorized_keys.
    std::string public_line() const {
        const std::vector<unsigned char> blob = public_blob();
        return sk_key_type + " " + libssh2::detail::base64_encode(blob.data(), blob.size()) + " sk-test@libssh2-hpp";
    }

    // An unencrypted "openssh-key-v1" private key file (OpenSSH's PROTOCOL.key) for the sk
    // key, as ssh-keygen -t ed25519-sk writes it: the private part is the public key,
    // application, flags, key handle and an empty reserved string. No secret is in it: the
    // authenticator keeps that.
    std::string private_key_file(const std::vector<unsigned char> &key_handle) const {
        std::vector<unsigned char> secret;
        test_support::put_u32(secret, 0x5eed5eed);  // check, twice: tells a right passphrase from a wrong one
        test_support::put_u32(secret, 0x5eed5eed);
        test_support::put_string(secret, sk_key_type);
        test_support::put_string(secret, public_key_);
        test_support::put_string(secret, sk_application);
        secret.push_back(user_presence);
        test_support::put_string(secret, key_handle);
        test_support::put_string(secret, std::string());  // reserved
        test_support::put_string(secret, std::string("sk-test@libssh2-hpp"));
        for (unsigned char pad = 1; secret.size() % 8 != 0; ++pad) secret.push_back(pad);  // cipher "none": blocks of 8

        std::vector<unsigned char> file = bytes_of(std::string("openssh-key-v1", 15));  // with its NUL
        test_support::put_string(file, std::string("none"));                            // cipher
        test_support::put_string(file, std::string("none"));                            // kdf
        test_support::put_string(file, std::string());                                  // kdf options
        test_support::put_u32(file, 1);                                                 // one key
        test_support::put_string(file, public_blob());
        test_support::put_string(file, secret);

        const std::string body = libssh2::detail::base64_encode(file.data(), file.size());
        std::string pem = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
        for (size_t at = 0; at < body.size(); at += 70)
            pem += body.substr(at, 70) + "\n";  // libssh2 reads lines of < 128
        return pem + "-----END OPENSSH PRIVATE KEY-----\n";
    }

    // What a FIDO authenticator signs, and OpenSSH verifies (ssh-ed25519-sk.c):
    // SHA256(application) || flags || counter (big-endian uint32) || SHA256(data).
    std::vector<unsigned char> sign(const std::string &application, uint8_t flags, uint32_t counter,
                                    const unsigned char *data, size_t data_length) const {
        std::vector<unsigned char> message =
            sha256(reinterpret_cast<const unsigned char *>(application.data()), application.size());
        message.push_back(flags);
        test_support::put_u32(message, counter);
        const std::vector<unsigned char> data_digest = sha256(data, data_length);
        message.insert(message.end(), data_digest.begin(), data_digest.end());

        EVP_MD_CTX *context = EVP_MD_CTX_new();
        std::vector<unsigned char> signature(64);
        size_t length = signature.size();
        const bool ok = context && EVP_DigestSignInit(context, nullptr, nullptr, nullptr, key_) == 1 &&
                        EVP_DigestSign(context, signature.data(), &length, message.data(), message.size()) == 1;
        EVP_MD_CTX_free(context);
        if (!ok || length != 64) throw std::runtime_error("ed25519 signing failed");
        return signature;
    }

private:
    EVP_PKEY *key_ = nullptr;
    std::vector<unsigned char> public_key_ = std::vector<unsigned char>(32);
};

// How the authenticator answers one sign request, and what libssh2 asked it.
struct authenticator_answer {
    explicit authenticator_answer(const software_authenticator &signer) : authenticator(signer) {}

    const software_authenticator &authenticator;
    // flags and counter go into sig_info, for libssh2 to send; the signature covers them too,
    // unless signed_flags or signed_counter say otherwise.
    uint8_t flags = user_presence;
    uint32_t counter = 1;
    std::optional<uint8_t> signed_flags;
    std::optional<uint32_t> signed_counter;
    std::string signed_application;  // empty: the application libssh2 passes
    bool flip_signature_byte = false;

    int calls = 0;
    int algorithm = -1;
    int key_flags = -1;
    std::string application;
    std::vector<unsigned char> key_handle;

    // Fills sig_info as a security key's middleware would. libssh2 frees sig_r with the
    // session's free, the default allocator's free() here: so it is malloc'd.
    int fill(LIBSSH2_SK_SIG_INFO *sig_info, const unsigned char *data, size_t data_len, int algorithm_asked,
             uint8_t flags_asked, const char *application_asked, const unsigned char *key_handle_asked,
             size_t key_handle_len) {
        ++calls;
        algorithm = algorithm_asked;
        key_flags = flags_asked;
        application = application_asked ? application_asked : "";
        key_handle.assign(key_handle_asked, key_handle_asked + key_handle_len);

        std::vector<unsigned char> signature =
            authenticator.sign(signed_application.empty() ? application : signed_application,
                               signed_flags.value_or(flags), signed_counter.value_or(counter), data, data_len);
        if (flip_signature_byte) signature[10] ^= 0x01;
        sig_info->sig_r = static_cast<unsigned char *>(std::malloc(signature.size()));
        if (!sig_info->sig_r) return -1;
        std::memcpy(sig_info->sig_r, signature.data(), signature.size());
        sig_info->sig_r_len = signature.size();
        sig_info->sig_s = nullptr;  // ed25519 has one signature part; ecdsa-sk would have s
        sig_info->sig_s_len = 0;
        sig_info->flags = flags;
        sig_info->counter = counter;
        return 0;
    }
};

// The C callback the thin API takes; abstract points to the authenticator_answer.
LIBSSH2_USERAUTH_SK_SIGN_FUNC(sign_as_authenticator) {
    (void)session;
    return static_cast<authenticator_answer *>(*abstract)->fill(sig_info, data, data_len, algorithm, flags, application,
                                                                key_handle, handle_len);
}

// The key's authorized_keys line for as long as this lives; other tests of this process
// share the fixture's file, so only this line is taken out again.
class authorized_key {
public:
    explicit authorized_key(std::string line) : line_(std::move(line)) {
        std::ofstream(path(), std::ios::app) << line_ << "\n";
    }
    ~authorized_key() {
        std::string kept, text = test_support::read_file(path());
        for (size_t at = 0, end; at < text.size(); at = end + 1) {
            end = text.find('\n', at);
            if (end == std::string::npos) end = text.size();
            if (text.compare(at, end - at, line_) != 0) kept += text.substr(at, end - at) + "\n";
        }
        std::ofstream(path(), std::ios::trunc) << kept;
    }
    authorized_key(const authorized_key &) = delete;
    authorized_key &operator=(const authorized_key &) = delete;

private:
    static std::string path() { return sshd().dir + "/authorized_keys"; }
    std::string line_;
};

const std::vector<unsigned char> made_up_key_handle = bytes_of("key handle only a real security key could use");

// publickey_sk through the thin API with sign_as_authenticator answering as answer says.
int login_sk(libssh2::session &session, const std::string &private_key, const std::string &public_line,
             authenticator_answer &answer) {
    void *abstract = &answer;
    return libssh2::userauth::publickey_sk(
        session, sshd().user.c_str(), sshd().user.size(), reinterpret_cast<const unsigned char *>(public_line.data()),
        public_line.size(), private_key.data(), private_key.size(), nullptr, &sign_as_authenticator, &abstract);
}

// The first line of the log at path that has both texts, or "" if none comes within wait:
// sshd's monitor logs after it answers, so the line may come just after the client saw the
// result.
std::string first_line_with(const std::string &path, const std::string &first, const std::string &second,
                            std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        std::istringstream log(test_support::read_file(path));
        for (std::string line; std::getline(log, line);)
            if (line.find(first) != std::string::npos && line.find(second) != std::string::npos) return line;
        if (std::chrono::steady_clock::now() > deadline) return "";
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// The same in the fixture sshd's log (LogLevel VERBOSE), waiting up to 5 s.
std::string sshd_log_line_with(const std::string &first, const std::string &second) {
    return first_line_with(sshd().dir + "/sshd.log", first, second, std::chrono::seconds(5));
}

// A second sshd, `sshd -d` on the fixture's keys and config but a port and log of its own:
// at LogLevel DEBUG1 sshd logs the counter and flags of an sk signature it verified
// ("sk_counter = N, sk_flags = 0xNN"); the fixture's logs at VERBOSE, which leaves them out.
// -d serves one connection, then exits; `timeout` ends it if no connection comes.
class debug_sshd {
public:
    debug_sshd() : server_(sshd()) {
        server_.port = free_port();
        log_ = sshd().dir + "/sshd-debug-" + std::to_string(server_.port) + ".log";
        const std::string config = sshd().dir + "/sshd_config.debug-" + std::to_string(server_.port);
        {
            std::istringstream fixture(test_support::read_file(sshd().dir + "/sshd_config"));
            std::ofstream out(config);
            out << "Port " << server_.port << "\nPidFile none\nLogLevel DEBUG1\n";
            for (std::string line; std::getline(fixture, line);)
                if (line.rfind("Port ", 0) != 0 && line.rfind("PidFile ", 0) != 0 && line.rfind("LogLevel ", 0) != 0)
                    out << line << "\n";
        }
        posix_spawn_file_actions_t files;
        posix_spawn_file_actions_init(&files);
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&files, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const char *argv[] = {"timeout", "60", "/usr/sbin/sshd", "-d", "-e", "-f", config.c_str(), nullptr};
        const int spawned = posix_spawnp(&pid_, "timeout", &files, nullptr, const_cast<char *const *>(argv), environ);
        posix_spawn_file_actions_destroy(&files);
        if (spawned != 0) throw std::runtime_error("cannot start sshd -d: " + std::string(std::strerror(spawned)));
        if (log_line_with("Server listening on", std::to_string(server_.port), std::chrono::seconds(10)).empty()) {
            stop();
            throw std::runtime_error("sshd -d did not come up: " + test_support::read_file(log_));
        }
    }
    ~debug_sshd() { stop(); }
    debug_sshd(const debug_sshd &) = delete;
    debug_sshd &operator=(const debug_sshd &) = delete;

    const test_support::sshd_server &server() const { return server_; }

    // The first line of the log that has both texts, or "" if none comes within wait.
    std::string log_line_with(const std::string &first, const std::string &second,
                              std::chrono::milliseconds wait = std::chrono::seconds(5)) const {
        return first_line_with(log_, first, second, wait);
    }

private:
    static int free_port() {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        const bool bound = fd >= 0 && bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0 &&
                           getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0;
        if (fd >= 0) close(fd);
        if (!bound) throw std::runtime_error("no free port on 127.0.0.1");
        return ntohs(address.sin_port);
    }
    void stop() noexcept {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);  // our child, `timeout`: it passes the signal on to sshd
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    test_support::sshd_server server_;
    std::string log_;
    pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("publickey_sk logs in with a signature made as a security key makes it") {
    const software_authenticator authenticator;
    const authorized_key authorized(authenticator.public_line());
    auto c = test_support::handshake();
    authenticator_answer answer{authenticator};
    // sshd logs neither counter nor flags at LogLevel VERBOSE, but verifies them: the
    // signature covers both, as libssh2 sends them from sig_info (the refusals below show it;
    // the sshd -d test reads them in sshd's DEBUG1 log).
    answer.counter = 0x5eed0001;

    REQUIRE(login_sk(c.session, authenticator.private_key_file(made_up_key_handle), authenticator.public_line(),
                     answer) == 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
    // libssh2 hands the callback what the private key file holds.
    CHECK(answer.calls == 1);
    CHECK(answer.algorithm == LIBSSH2_HOSTKEY_TYPE_ED25519);
    CHECK(answer.key_flags == user_presence);
    CHECK(answer.application == sk_application);
    CHECK(answer.key_handle == made_up_key_handle);
    CHECK_FALSE(sshd_log_line_with("Accepted publickey for " + sshd().user, "ED25519-SK " + authenticator.fingerprint())
                    .empty());
}

TEST_CASE("publickey_sk without a public key takes it from the private key file") {
    const software_authenticator authenticator;
    const authorized_key authorized(authenticator.public_line());
    auto c = test_support::handshake();
    authenticator_answer answer{authenticator};
    const std::string private_key = authenticator.private_key_file(made_up_key_handle);
    void *abstract = &answer;
    REQUIRE(libssh2::userauth::publickey_sk(c.session, sshd().user.c_str(), sshd().user.size(), nullptr, 0,
                                            private_key.data(), private_key.size(), nullptr, &sign_as_authenticator,
                                            &abstract) == 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
}

TEST_CASE("sshd refuses an sk signature that does not verify or lacks user presence") {
    const software_authenticator authenticator;
    const authorized_key authorized(authenticator.public_line());
    const std::string private_key = authenticator.private_key_file(made_up_key_handle);
    auto c = test_support::handshake();
    authenticator_answer answer{authenticator};
    answer.counter = 7;
    std::string reason_logged;  // what sshd logs when the signature itself verified

    SECTION("a flipped signature byte") { answer.flip_signature_byte = true; }
    SECTION("signed for another application than the key's") { answer.signed_application = "ssh:another"; }
    SECTION("a counter sent that is not the one signed") { answer.signed_counter = 8; }
    SECTION("flags sent that are not the ones signed") { answer.signed_flags = user_presence | user_verification; }
    SECTION("no user presence: flags 0x00, signed as such") {
        answer.flags = 0x00;
        reason_logged = "rejected: user presence (authenticator touch) requirement not met";
    }

    CHECK(login_sk(c.session, private_key, authenticator.public_line(), answer) == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED);
    CHECK(answer.calls == 1);
    CHECK(libssh2::userauth::authenticated(c.session) == 0);
    if (!reason_logged.empty()) CHECK_FALSE(sshd_log_line_with(authenticator.fingerprint(), reason_logged).empty());

    // A refusal ends one attempt, not the session: an honest signature then logs in.
    authenticator_answer honest{authenticator};
    REQUIRE(login_sk(c.session, private_key, authenticator.public_line(), honest) == 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
}

TEST_CASE("the counter and flags the sign callback reports are what sshd verified") {
    const software_authenticator authenticator;
    const authorized_key authorized(authenticator.public_line());
    const debug_sshd server;
    auto c = test_support::handshake(server.server());
    authenticator_answer answer{authenticator};
    answer.counter = 0x5eed0004;
    answer.flags = user_presence | user_verification;

    REQUIRE(login_sk(c.session, authenticator.private_key_file(made_up_key_handle), authenticator.public_line(),
                     answer) == 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
    CHECK(server.log_line_with("sk_counter = " + std::to_string(answer.counter), "sk_flags = 0x05") != "");
}

TEST_CASE("sshd reads the user-verification flag: verify-required wants 0x04, no-touch-required waives 0x01") {
    const software_authenticator authenticator;
    const std::string private_key = authenticator.private_key_file(made_up_key_handle);
    authenticator_answer answer{authenticator};

    SECTION("verify-required") {
        const authorized_key authorized("verify-required " + authenticator.public_line());
        auto c = test_support::handshake();
        CHECK(login_sk(c.session, private_key, authenticator.public_line(), answer) ==
              LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED);
        CHECK_FALSE(
            sshd_log_line_with(authenticator.fingerprint(), "rejected: user verification requirement not met").empty());
        answer.flags = user_presence | user_verification;
        CHECK(login_sk(c.session, private_key, authenticator.public_line(), answer) == 0);
        CHECK(libssh2::userauth::authenticated(c.session) == 1);
    }
    SECTION("no-touch-required") {
        const authorized_key authorized("no-touch-required " + authenticator.public_line());
        auto c = test_support::handshake();
        answer.flags = 0x00;
        CHECK(login_sk(c.session, private_key, authenticator.public_line(), answer) == 0);
        CHECK(libssh2::userauth::authenticated(c.session) == 1);
    }
}

TEST_CASE("publickey_sk with a lambda as the sign callback (callbacks.hpp)") {
    const software_authenticator authenticator;
    const authorized_key authorized(authenticator.public_line());
    const std::string private_key = authenticator.private_key_file(made_up_key_handle);
    const std::string public_line = authenticator.public_line();
    auto c = test_support::handshake();
    authenticator_answer answer{authenticator};

    const int rc = libssh2::userauth::publickey_sk(
        c.session, sshd().user.c_str(), sshd().user.size(), reinterpret_cast<const unsigned char *>(public_line.data()),
        public_line.size(), private_key.data(), private_key.size(), nullptr,
        [&](LIBSSH2_SESSION *session, LIBSSH2_SK_SIG_INFO *sig_info, const unsigned char *data, size_t data_len,
            int algorithm, uint8_t flags, const char *application, const unsigned char *key_handle,
            size_t key_handle_len) {
            CHECK(session == c.session.get());
            return answer.fill(sig_info, data, data_len, algorithm, flags, application, key_handle, key_handle_len);
        });
    REQUIRE(rc == 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
    CHECK(answer.calls == 1);
    CHECK(answer.key_handle == made_up_key_handle);
}

TEST_CASE("a publickey_sk lambda that throws fails the call, and the exception comes out of it") {
    const software_authenticator authenticator;
    const authorized_key authorized(authenticator.public_line());
    const std::string private_key = authenticator.private_key_file(made_up_key_handle);
    auto c = test_support::handshake();
    CHECK_THROWS_AS(
        libssh2::userauth::publickey_sk(c.session, sshd().user.c_str(), sshd().user.size(), nullptr, 0,
                                        private_key.data(), private_key.size(), nullptr,
                                        [](LIBSSH2_SESSION *, LIBSSH2_SK_SIG_INFO *, const unsigned char *, size_t, int,
                                           uint8_t, const char *, const unsigned char *,
                                           size_t) -> int { throw std::domain_error("no security key here"); }),
        std::domain_error);
    CHECK(libssh2::userauth::authenticated(c.session) == 0);
}
