// libssh2::session against the fixture's real sshd: init, version, handshake, host key and hashes, algorithm preferences, banners,
// timeouts, flags, blocking, errors, disconnect, callbacks, allocators. Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"
#include "support/sockets.hpp"
#include "support/deprecated_api.hpp"  // this file exercises deprecated API: banner_set, startup, the raw callback_set

using test_support::sshd;

namespace {

// libssh2 1.11.1 deprecates libssh2_session_callback_set (for callback_set2); this file
// tests callback_set itself, with every release the header supports.
template <class Function>
void *set_callback(libssh2::session &session, int type, Function *callback) {
    return session.callback_set(type, reinterpret_cast<void *>(callback));
}

// A string no other test or run uses, to find our own lines in the shared sshd log.
std::string unique_tag(const char *what) {
    static std::atomic<int> counter{0};
    return std::string(what) + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Waits up to 5 s for text to appear in the file (sshd writes its log asynchronously).
bool file_eventually_contains(const std::string &path, const std::string &text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
        if (read_file(path).find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
}

int local_port(int fd) {
    sockaddr_in address{};
    test_support::address_length length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0);
    return ntohs(address.sin_port);
}

// The first line (up to and including "\n") the peer sends on fd, read byte by byte.
std::string read_line(int fd) {
    std::string line;
    char c;
    while (line.size() < 512 && ::recv(fd, &c, 1, 0) == 1) {
        line += c;
        if (c == '\n') break;
    }
    return line;
}

// A transparent byte relay between libssh2 and the real sshd: libssh2 gets one end of a
// socketpair, a thread copies both directions to a TCP connection to the sshd and keeps
// the first line the client sent (its identification string, as the sshd receives it).
class relay {
public:
    relay() : upstream_(test_support::connect_tcp(sshd().port)) {
        int pair[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
        client_ = pair[0];
        inner_ = pair[1];
        thread_ = std::thread([this] { run(); });
    }
    relay(const relay &) = delete;
    relay &operator=(const relay &) = delete;
    ~relay() {
        ::shutdown(client_, SHUT_RDWR);
        thread_.join();
        ::close(client_);
        ::close(inner_);
        ::close(upstream_);
    }
    int client_fd() const { return client_; }
    // What the client sent before its first "\n" (inclusive), once the thread saw it.
    std::string first_client_line() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!line_done_.load() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return line_done_.load() ? first_line_ : std::string();
    }

private:
    void run() {
        pollfd fds[2] = {{inner_, POLLIN, 0}, {upstream_, POLLIN, 0}};
        char buffer[16384];
        for (;;) {
            if (::poll(fds, 2, 10000) <= 0) return;
            for (int i = 0; i < 2; ++i) {
                if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                const ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
                if (n <= 0) return;
                if (i == 0 && !line_done_.load()) {
                    for (ssize_t k = 0; k < n && !line_done_.load(); ++k) {
                        first_line_ += buffer[k];
                        if (buffer[k] == '\n') line_done_.store(true);
                    }
                }
                const int to = i == 0 ? upstream_ : inner_;
                for (ssize_t sent = 0; sent < n;) {
                    const ssize_t m = ::send(to, buffer + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
                    if (m <= 0) return;
                    sent += m;
                }
            }
        }
    }

    int upstream_;
    int client_ = -1;
    int inner_ = -1;
    std::string first_line_;  // written by the thread until line_done_
    std::atomic<bool> line_done_{false};
    std::thread thread_;
};

struct disconnect_record {
    int calls = 0;
    int reason = -1;
    std::string message;
    void *abstract = nullptr;
};

void on_disconnect(LIBSSH2_SESSION *, int reason, const char *message, int message_len, const char *, int,
                   void **abstract) {
    auto *record = static_cast<disconnect_record *>(*abstract);
    ++record->calls;
    record->reason = reason;
    record->message.assign(message, static_cast<size_t>(message_len));
    record->abstract = *abstract;
}

void on_disconnect_other(LIBSSH2_SESSION *, int, const char *, int, const char *, int, void **) {}

struct debug_record {
    int calls = 0;
    std::vector<std::string> messages;
    std::vector<int> always_display;
};

void on_debug(LIBSSH2_SESSION *, int always_display, const char *message, int message_len, const char *, int,
              void **abstract) {
    auto *record = static_cast<debug_record *>(*abstract);
    ++record->calls;
    record->messages.emplace_back(message, static_cast<size_t>(message_len));
    record->always_display.push_back(always_display);
}

// Allocation functions for init_ex that count their calls and the blocks alive.
struct allocation_counts {
    long allocs = 0;
    long frees = 0;
    long reallocs = 0;
    long live = 0;          // blocks handed out and not freed yet
    void *last_abstract = nullptr;
};

void *counting_alloc(size_t count, void **abstract) {
    auto *counts = static_cast<allocation_counts *>(*abstract);
    ++counts->allocs;
    counts->last_abstract = *abstract;
    void *p = std::malloc(count);
    if (p) ++counts->live;
    return p;
}

void counting_free(void *ptr, void **abstract) {
    auto *counts = static_cast<allocation_counts *>(*abstract);
    ++counts->frees;
    if (ptr) --counts->live;
    std::free(ptr);
}

void *counting_realloc(void *ptr, size_t count, void **abstract) {
    auto *counts = static_cast<allocation_counts *>(*abstract);
    ++counts->reallocs;
    void *p = std::realloc(ptr, count);
    if (!ptr && p) ++counts->live;
    return p;
}

bool contains(const char **algs, int count, const std::string &name) {
    for (int i = 0; i < count; ++i)
        if (name == algs[i]) return true;
    return false;
}

}  // namespace

TEST_CASE("method_pref picks kex, ciphers and MACs; methods() reports what was negotiated") {
    struct choice {
        const char *kex, *crypt_cs, *crypt_sc, *mac_cs, *mac_sc;
    };
    // Different choices, each direction its own in the last, so a preference without effect shows.
    // (Both directions are always set: libssh2 1.11.1 fails the handshake when one direction
    // gets its AEAD default and the other a CTR cipher.)
    for (const choice &wanted :
         {choice{"diffie-hellman-group14-sha256", "aes256-ctr", "aes256-ctr", "hmac-sha2-512", "hmac-sha2-512"},
          choice{"ecdh-sha2-nistp384", "aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256"},
          choice{"curve25519-sha256", "aes128-ctr", "aes256-ctr", "hmac-sha2-256", "hmac-sha2-512"}}) {
        CAPTURE(wanted.kex, wanted.crypt_cs, wanted.crypt_sc, wanted.mac_cs, wanted.mac_sc);
        test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
        libssh2::session session = libssh2::session::init();
        REQUIRE(session);
        CHECK(session.methods(LIBSSH2_METHOD_KEX) == nullptr);  // nothing negotiated yet
        REQUIRE(session.method_pref(LIBSSH2_METHOD_KEX, wanted.kex) == 0);
        REQUIRE(session.method_pref(LIBSSH2_METHOD_CRYPT_CS, wanted.crypt_cs) == 0);
        REQUIRE(session.method_pref(LIBSSH2_METHOD_CRYPT_SC, wanted.crypt_sc) == 0);
        REQUIRE(session.method_pref(LIBSSH2_METHOD_MAC_CS, wanted.mac_cs) == 0);
        REQUIRE(session.method_pref(LIBSSH2_METHOD_MAC_SC, wanted.mac_sc) == 0);
        REQUIRE(session.method_pref(LIBSSH2_METHOD_HOSTKEY, "ssh-ed25519") == 0);
        REQUIRE(session.handshake(socket.get()) == 0);
        CHECK(std::string(session.methods(LIBSSH2_METHOD_KEX)) == wanted.kex);
        CHECK(std::string(session.methods(LIBSSH2_METHOD_CRYPT_CS)) == wanted.crypt_cs);
        CHECK(std::string(session.methods(LIBSSH2_METHOD_CRYPT_SC)) == wanted.crypt_sc);
        CHECK(std::string(session.methods(LIBSSH2_METHOD_MAC_CS)) == wanted.mac_cs);
        CHECK(std::string(session.methods(LIBSSH2_METHOD_MAC_SC)) == wanted.mac_sc);
        CHECK(std::string(session.methods(LIBSSH2_METHOD_HOSTKEY)) == "ssh-ed25519");
        // The keys work: authentication and a command go through the chosen algorithms.
        REQUIRE(libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                      sshd().key.c_str(), nullptr) == 0);
        CHECK(test_support::run(session, "echo ok").out == "ok\n");
    }
}

TEST_CASE("method_pref drops names libssh2 does not know and refuses a list of only those") {
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    CHECK(session.method_pref(LIBSSH2_METHOD_CRYPT_CS, "no-such-cipher") == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
    CHECK(session.method_pref(LIBSSH2_METHOD_CRYPT_CS, "no-such-cipher,aes192-ctr") == 0);
    CHECK(session.method_pref(LIBSSH2_METHOD_CRYPT_SC, "aes192-ctr,no-such-cipher") == 0);
    REQUIRE(session.handshake(socket.get()) == 0);
    CHECK(std::string(session.methods(LIBSSH2_METHOD_CRYPT_CS)) == "aes192-ctr");
    CHECK(std::string(session.methods(LIBSSH2_METHOD_CRYPT_SC)) == "aes192-ctr");
}

TEST_CASE("a cipher the sshd does not offer makes the key exchange fail") {
    // OpenSSH 9.2 offers no CBC cipher by default; libssh2 does support aes256-cbc.
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    REQUIRE(session.method_pref(LIBSSH2_METHOD_CRYPT_CS, "aes256-cbc") == 0);
    CHECK(session.handshake(socket.get()) == LIBSSH2_ERROR_KEX_FAILURE);
    CHECK(session.last_errno() == LIBSSH2_ERROR_KEX_FAILURE);
}

TEST_CASE("supported_algs lists what method_pref accepts; the array is freed with libssh2::free") {
    libssh2::session session = libssh2::session::init();
    const char **algs = nullptr;
    int count = session.supported_algs(LIBSSH2_METHOD_CRYPT_CS, &algs);
    REQUIRE(count > 0);
    REQUIRE(algs != nullptr);
    CHECK(contains(algs, count, "aes256-ctr"));
    CHECK(contains(algs, count, "aes128-ctr"));
    CHECK_FALSE(contains(algs, count, "no-such-cipher"));
    libssh2::free(session, algs);

    count = session.supported_algs(LIBSSH2_METHOD_KEX, &algs);
    REQUIRE(count > 0);
    CHECK(contains(algs, count, "diffie-hellman-group14-sha256"));
    CHECK(contains(algs, count, "ecdh-sha2-nistp384"));
    libssh2::free(session, algs);

    count = session.supported_algs(LIBSSH2_METHOD_MAC_SC, &algs);
    REQUIRE(count > 0);
    CHECK(contains(algs, count, "hmac-sha2-512"));
    libssh2::free(session.get(), algs);  // the raw-pointer overload

    CHECK(session.supported_algs(12345, &algs) < 0);  // no such method type
}

TEST_CASE("flag COMPRESS offers zlib and negotiates compression with the sshd; SIGPIPE is accepted") {
    auto compression = [](bool compress) {
        test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
        libssh2::session session = libssh2::session::init();
        REQUIRE(session.flag(LIBSSH2_FLAG_SIGPIPE, 1) == 0);
        const char **algs = nullptr;
        if (compress) REQUIRE(session.flag(LIBSSH2_FLAG_COMPRESS, 1) == 0);
        const int count = session.supported_algs(LIBSSH2_METHOD_COMP_CS, &algs);
        REQUIRE(count > 0);
        CHECK(contains(algs, count, "zlib@openssh.com") == compress);
        libssh2::free(session, algs);
        REQUIRE(session.handshake(socket.get()) == 0);
        std::string negotiated = session.methods(LIBSSH2_METHOD_COMP_CS);
        CHECK(std::string(session.methods(LIBSSH2_METHOD_COMP_SC)) == negotiated);
        // Data still flows through the (delayed, after authentication) compression.
        REQUIRE(libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                      sshd().key.c_str(), nullptr) == 0);
        auto result = test_support::run(session, "yes compressible | head -c 100000 | wc -c");
        CHECK(result.out == "100000\n");
        return negotiated;
    };
    CHECK(compression(false) == "none");
    CHECK(compression(true) == "zlib@openssh.com");  // OpenSSH offers only the delayed variant

    libssh2::session session = libssh2::session::init();
    CHECK(session.flag(12345, 1) == LIBSSH2_ERROR_INVAL);
}

TEST_CASE("banner_set: the sshd receives the identification string set before the handshake") {
    const std::string banner = "SSH-2.0-libssh2hpp_" + unique_tag("banner");
    relay wire;
    libssh2::session session = libssh2::session::init();
    REQUIRE(session.banner_set(banner.c_str()) == 0);
    REQUIRE(session.handshake(wire.client_fd()) == 0);
    CHECK(wire.first_client_line() == banner + "\r\n");
    REQUIRE(libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                  sshd().key.c_str(), nullptr) == 0);
    CHECK(test_support::run(session, "echo relayed").out == "relayed\n");
}

TEST_CASE("libssh2::banner_set, the older spelling, sets the same identification string") {
    const std::string banner = "SSH-2.0-libssh2hpp_old_" + unique_tag("banner");
    relay wire;
    libssh2::session session = libssh2::session::init();
    REQUIRE(libssh2::banner_set(session, banner.c_str()) == 0);
    REQUIRE(session.handshake(wire.client_fd()) == 0);
    CHECK(wire.first_client_line() == banner + "\r\n");
}

TEST_CASE("banner_set: the sshd acts on it (an SSH-1 identification is refused)") {
    const std::string tag = unique_tag("ssh1");
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    REQUIRE(session.banner_set(("SSH-1.5-" + tag).c_str()) == 0);
    CHECK(session.handshake(socket.get()) != 0);
    // sshd logs "Connection from 127.0.0.1 port N on ..." and then why it gave up.
    const std::string log = sshd().dir + "/sshd.log";
    const std::string connection = "Connection from 127.0.0.1 port " + std::to_string(local_port(socket.get())) + " ";
    REQUIRE(file_eventually_contains(log, connection));
    const std::string text = read_file(log);
    CHECK(text.find("Protocol major versions differ: 2 vs. 1", text.find(connection)) != std::string::npos);
}

TEST_CASE("banner_get is the sshd's identification string, as read off the wire") {
    std::string expected;
    {
        test_support::socket_fd raw(test_support::connect_tcp(sshd().port));
        expected = read_line(raw.get());
    }
    REQUIRE(expected.size() > 2);
    REQUIRE(expected.substr(expected.size() - 2) == "\r\n");
    expected.resize(expected.size() - 2);

    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    CHECK(session.banner_get() == nullptr);  // nothing received yet
    REQUIRE(session.handshake(socket.get()) == 0);
    const char *banner = session.banner_get();
    REQUIRE(banner != nullptr);
    CHECK(std::string(banner) == expected);
    CHECK(std::string(banner).rfind("SSH-2.0-OpenSSH", 0) == 0);
}

TEST_CASE("set_timeout bounds a blocking read; timeout and get_timeout read it back") {
    auto c = test_support::login();
    CHECK(c.session.get_timeout() == 0);  // default: wait forever
    c.session.set_timeout(1234);
    CHECK(c.session.get_timeout() == 1234);
    CHECK(c.session.timeout() == 1234);

    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.exec("sleep 2") == 0);
    c.session.set_timeout(300);
    char buffer[16];
    const auto start = std::chrono::steady_clock::now();
    CHECK(channel.read(buffer, sizeof buffer) == LIBSSH2_ERROR_TIMEOUT);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed >= std::chrono::milliseconds(250));
    CHECK(elapsed < std::chrono::milliseconds(1800));  // well before the command ends
    CHECK(c.session.last_errno() == LIBSSH2_ERROR_TIMEOUT);

    c.session.set_timeout(0);  // and without a timeout the read waits for the command's end
    CHECK(channel.read(buffer, sizeof buffer) == 0);
    CHECK(channel.eof() == 1);
}

TEST_CASE("set_blocking(0): a non-blocking handshake and read; block_directions says what to wait for") {
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    CHECK(session.get_blocking() == 1);
    session.set_blocking(0);
    CHECK(session.get_blocking() == 0);

    // Drives a non-blocking call to completion, polling the socket as block_directions says.
    int would_block = 0;
    auto drive = [&](auto call) {
        for (;;) {
            const auto rc = call();
            if (rc != LIBSSH2_ERROR_EAGAIN) return rc;
            ++would_block;
            const int directions = session.block_directions();
            REQUIRE(directions != 0);
            pollfd fd{socket.get(), 0, 0};
            if (directions & LIBSSH2_SESSION_BLOCK_INBOUND) fd.events |= POLLIN;
            if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) fd.events |= POLLOUT;
            REQUIRE(::poll(&fd, 1, 10000) == 1);
        }
    };
    REQUIRE(drive([&] { return session.handshake(socket.get()); }) == 0);
    CHECK(would_block > 0);  // the sshd's replies took longer than libssh2's first read
    REQUIRE(drive([&] {
        return libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                     sshd().key.c_str(), nullptr);
    }) == 0);
    libssh2::channel channel;
    REQUIRE(drive([&] {
        channel = libssh2::channel::open_session(session);
        return channel ? 0 : session.last_errno();
    }) == 0);
    REQUIRE(drive([&] { return channel.exec("sleep 0.3; echo late"); }) == 0);

    // Nothing to read yet: EAGAIN at once, and the session waits for the socket to be readable.
    char buffer[64];
    const auto start = std::chrono::steady_clock::now();
    CHECK(channel.read(buffer, sizeof buffer) == LIBSSH2_ERROR_EAGAIN);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200));
    CHECK((session.block_directions() & LIBSSH2_SESSION_BLOCK_INBOUND) != 0);
    std::string out;
    while (out.find('\n') == std::string::npos) {
        const ssize_t n = drive([&] { return channel.read(buffer, sizeof buffer); });
        REQUIRE(n > 0);
        out.append(buffer, static_cast<size_t>(n));
    }
    CHECK(out == "late\n");
    session.set_blocking(1);
    CHECK(session.get_blocking() == 1);
}

TEST_CASE("set_last_error, last_error and last_errno; last_error's copy is freed with libssh2::free") {
    allocation_counts counts;
    libssh2::session session = libssh2::session::init_ex(counting_alloc, counting_free, counting_realloc, &counts);
    REQUIRE(session);
    char *message = nullptr;
    int length = -1;
    CHECK(session.last_errno() == LIBSSH2_ERROR_NONE);
    CHECK(session.last_error(&message, &length, 0) == LIBSSH2_ERROR_NONE);
    CHECK(length == 0);

    const std::string text = "set by the test: " + unique_tag("error");
    CHECK(session.set_last_error(LIBSSH2_ERROR_BAD_USE, text.c_str()) == LIBSSH2_ERROR_BAD_USE);
    CHECK(session.last_errno() == LIBSSH2_ERROR_BAD_USE);
    CHECK(session.last_error(&message, &length, 0) == LIBSSH2_ERROR_BAD_USE);
    REQUIRE(message != nullptr);
    CHECK(std::string(message, static_cast<size_t>(length)) == text);

    // want_buf = 1: a copy the caller owns, allocated with the session's allocator.
    const long allocs_before = counts.allocs;
    const long live_before = counts.live;
    char *copy = nullptr;
    CHECK(session.last_error(&copy, nullptr, 1) == LIBSSH2_ERROR_BAD_USE);
    REQUIRE(copy != nullptr);
    CHECK(copy != message);
    CHECK(std::string(copy) == text);
    CHECK(counts.allocs == allocs_before + 1);
    libssh2::free(session, copy);
    CHECK(counts.live == live_before);

    // A real failure replaces it.
    CHECK(libssh2::userauth::publickey_fromfile(session, "nobody", nullptr, "/nonexistent/key", nullptr) ==
          LIBSSH2_ERROR_FILE);
    CHECK(session.last_errno() == LIBSSH2_ERROR_FILE);
    CHECK(test_support::last_error(session) != text);
    CHECK_FALSE(test_support::last_error(session).empty());
}

TEST_CASE("hostkey: null before the handshake, the sshd's ed25519 key after") {
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    size_t length = 0;
    int type = -1;
    CHECK(session.hostkey(&length, &type) == nullptr);
    REQUIRE(session.handshake(socket.get()) == 0);
    const char *key = session.hostkey(&length, &type);
    REQUIRE(key != nullptr);
    CHECK(type == LIBSSH2_HOSTKEY_TYPE_ED25519);
    REQUIRE(length == sshd().host_key_blob.size());
    CHECK(std::memcmp(key, sshd().host_key_blob.data(), length) == 0);
}

TEST_CASE("disconnect_ex: the sshd logs the reason and description, then closes the connection") {
    auto c = test_support::login();
    const std::string description = "libssh2-hpp says goodbye " + unique_tag("disconnect");
    REQUIRE(c.session.disconnect_ex(SSH_DISCONNECT_AUTH_CANCELLED_BY_USER, description.c_str(), "") == 0);
    // "Received disconnect from 127.0.0.1 port N:13: <description>"
    CHECK(file_eventually_contains(sshd().dir + "/sshd.log",
                                   ":" + std::to_string(SSH_DISCONNECT_AUTH_CANCELLED_BY_USER) + ": " + description));
    // The server closes its side: reads reach end of file (after what it had in flight).
    pollfd fd{c.socket.get(), POLLIN, 0};
    bool closed = false;
    char buffer[4096];
    while (!closed && ::poll(&fd, 1, 5000) == 1) {
        const ssize_t n = ::recv(c.socket.get(), buffer, sizeof buffer, 0);
        closed = n == 0 || (n < 0 && errno == ECONNRESET);
        if (n < 0 && !closed) break;
    }
    CHECK(closed);

    auto d = test_support::login();
    const std::string plain = "plain disconnect " + unique_tag("disconnect");
    REQUIRE(d.session.disconnect(plain.c_str()) == 0);  // the macro: SSH_DISCONNECT_BY_APPLICATION
    CHECK(file_eventually_contains(sshd().dir + "/sshd.log",
                                   ":" + std::to_string(SSH_DISCONNECT_BY_APPLICATION) + ": " + plain));
}

TEST_CASE("callback_set DISCONNECT fires when the sshd disconnects after too many failures") {
    auto c = test_support::handshake();
    disconnect_record record;
    *c.session.abstract() = &record;
    CHECK(set_callback(c.session, LIBSSH2_CALLBACK_DISCONNECT, on_disconnect_other) == nullptr);
    // callback_set returns the callback it replaces.
    CHECK(set_callback(c.session, LIBSSH2_CALLBACK_DISCONNECT, on_disconnect) ==
          reinterpret_cast<void *>(on_disconnect_other));

    // sshd (MaxAuthTries 6) counts each failed request and then disconnects the client.
    const std::string user = sshd().user;
    int rc = LIBSSH2_ERROR_AUTHENTICATION_FAILED;
    int attempts = 0;
    while (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED && attempts < 20) {
        rc = libssh2::userauth::password(c.session, user.c_str(), "not the password");
        ++attempts;
    }
    CHECK(rc == LIBSSH2_ERROR_SOCKET_DISCONNECT);
    CHECK(attempts == 6);
    CHECK(record.calls == 1);
    CHECK(record.reason == SSH_DISCONNECT_PROTOCOL_ERROR);
    CHECK(record.message == "Too many authentication failures");
    CHECK(record.abstract == &record);  // the session's abstract pointer reaches the callback
}

TEST_CASE("callback_set DEBUG fires for the sshd's debug messages (host-based authentication)") {
    const auto &server = test_support::sshd_password();
    if (!server.skip_reason.empty()) SKIP(server.skip_reason);
    test_support::socket_fd socket(test_support::connect_tcp(server.port));
    libssh2::session session = libssh2::session::init();
    debug_record record;
    *session.abstract() = &record;
    CHECK(set_callback(session, LIBSSH2_CALLBACK_DEBUG, on_debug) == nullptr);
    REQUIRE(session.handshake(socket.get()) == 0);
    // After host-based authentication via ~/.shosts, OpenSSH sends SSH_MSG_DEBUG lines
    // saying so ("Accepted by .shosts.") to the client.
    REQUIRE(libssh2::userauth::hostbased_fromfile(session, server.password_user.c_str(),
                                                  server.client_host_pubkey.c_str(), server.client_host_key.c_str(),
                                                  nullptr, server.client_hostname.c_str()) == 0);
    test_support::run(session, "true");  // reads whatever the server sent meanwhile
    REQUIRE(record.calls > 0);
    CHECK(record.messages.front() == "Accepted by .shosts.");
    CHECK(record.always_display.front() == 0);
}

TEST_CASE("abstract is the pointer given to init_ex, and null with init") {
    int marker = 0;
    allocation_counts counts;
    {
        libssh2::session plain = libssh2::session::init();
        REQUIRE(plain.abstract() != nullptr);
        CHECK(*plain.abstract() == nullptr);
        *plain.abstract() = &marker;
        CHECK(*plain.abstract() == &marker);
    }
    libssh2::session session = libssh2::session::init_ex(counting_alloc, counting_free, counting_realloc, &counts);
    REQUIRE(session);
    CHECK(*session.abstract() == &counts);
    CHECK(counts.last_abstract == &counts);
}

TEST_CASE("init_ex: libssh2 allocates through the given functions and frees all it allocated") {
    allocation_counts counts;
    {
        test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
        libssh2::session session = libssh2::session::init_ex(counting_alloc, counting_free, counting_realloc, &counts);
        REQUIRE(session);
        CHECK(counts.allocs > 0);  // the session itself
        const long after_init = counts.allocs;
        REQUIRE(session.handshake(socket.get()) == 0);
        CHECK(counts.allocs > after_init);
        CHECK(counts.frees > 0);
        REQUIRE(libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                      sshd().key.c_str(), nullptr) == 0);
        CHECK(counts.reallocs > 0);  // libssh2 grows some buffers while authenticating
        CHECK(test_support::run(session, "echo counted").out == "counted\n");
        CHECK(counts.live > 0);
        CHECK(session.free() == 0);
    }
    CHECK(counts.live == 0);  // everything allocated through counting_alloc went back through counting_free
    CHECK(counts.frees >= counts.allocs);
}

TEST_CASE("startup (deprecated) still performs the handshake") {
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    const int rc = session.startup(socket.get());
    REQUIRE(rc == 0);
    size_t length = 0;
    int type = 0;
    CHECK(session.hostkey(&length, &type) != nullptr);
    CHECK(libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                sshd().key.c_str(), nullptr) == 0);
    CHECK(libssh2::userauth::authenticated(session) == 1);
}

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

#if LIBSSH2_VERSION_NUM >= 0x010b01  // API libssh2 1.11 added (scripts/test builds a 1.11.1)
static_assert(libssh2::has_session_set_read_timeout && libssh2::has_channel_signal_ex &&
                  libssh2::has_sftp_posix_rename_ex && libssh2::has_sftp_open_ex_r,
              "built against libssh2 >= 1.11.1: its API must be there");

TEST_CASE("1.11: read timeout round trip") {
    auto c = test_support::login();
    c.session.set_read_timeout(42);
    CHECK(c.session.get_read_timeout() == 42);
}

TEST_CASE("1.11: crypto_engine names the backend, callback_set2 swaps callbacks") {
    CHECK(libssh2::crypto_engine() == libssh2_openssl);  // scripts/fetch-libssh2 builds with OpenSSL

    auto c = test_support::handshake();
    static std::atomic<int> ignored{0};
    struct ignore {
        static LIBSSH2_IGNORE_FUNC(callback) {
            (void)session, (void)message, (void)message_len, (void)abstract;
            ++ignored;
        }
    };
    auto *callback = reinterpret_cast<libssh2_cb_generic *>(&ignore::callback);
    CHECK(c.session.callback_set2(LIBSSH2_CALLBACK_IGNORE, callback) == nullptr);  // none before
    CHECK(c.session.callback_set2(LIBSSH2_CALLBACK_IGNORE, nullptr) == callback);  // it was set
}
#endif
