// libssh2::hostkey::hash (against ssh-keygen's fingerprints), keepalive::config/send (the sshd's replies on
// the socket), trace::trace/sethandler (skipped when libssh2 has no debug tracing), base64::decode. Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <poll.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"
#include "support/deprecated_api.hpp"  // this file exercises deprecated API: base64::decode

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

// Whether the socket has something to read within timeout_ms.
bool readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
}

struct trace_record {
    int calls = 0;
    void *context = nullptr;
    std::vector<std::string> messages;
};

void on_trace(LIBSSH2_SESSION *, void *context, const char *message, size_t length) {
    auto *record = static_cast<trace_record *>(context);
    ++record->calls;
    record->context = context;
    record->messages.emplace_back(message, length);
}

struct allocation_counts {
    long live = 0;
};
void *counting_alloc(size_t count, void **abstract) {
    void *p = std::malloc(count);
    if (p) ++static_cast<allocation_counts *>(*abstract)->live;
    return p;
}
void counting_free(void *ptr, void **abstract) {
    if (ptr) --static_cast<allocation_counts *>(*abstract)->live;
    std::free(ptr);
}
void *counting_realloc(void *ptr, size_t count, void **abstract) {
    void *p = std::realloc(ptr, count);
    if (!ptr && p) ++static_cast<allocation_counts *>(*abstract)->live;
    return p;
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

TEST_CASE("keepalive::config and send: a keepalive with want_reply gets the sshd's answer") {
    auto c = test_support::login();
    test_support::run(c.session, "true");  // lets libssh2 read what the sshd sent after authentication
    REQUIRE_FALSE(readable(c.socket.get(), 100));

    libssh2::keepalive::config(c.session, 1, 5);
    int seconds_to_next = -1;
    REQUIRE(libssh2::keepalive::send(c.session, &seconds_to_next) == 0);
    CHECK(seconds_to_next == 5);  // just sent: the whole interval to go
    // keepalive@libssh2.org with want_reply: OpenSSH answers (SSH_MSG_REQUEST_FAILURE).
    CHECK(readable(c.socket.get(), 3000));

    // Within the interval, send sends nothing and says how long to wait.
    seconds_to_next = -1;
    REQUIRE(libssh2::keepalive::send(c.session, &seconds_to_next) == 0);
    CHECK(seconds_to_next > 0);
    CHECK(seconds_to_next <= 5);
    // The session reads past the answer and goes on.
    CHECK(test_support::run(c.session, "echo alive").out == "alive\n");
    CHECK_FALSE(readable(c.socket.get(), 300));
}

TEST_CASE("keepalive without want_reply gets no answer; interval 0 disables, 1 means 2") {
    {
        auto c = test_support::login();
        test_support::run(c.session, "true");
        REQUIRE_FALSE(readable(c.socket.get(), 100));
        libssh2::keepalive::config(c.session, 0, 10);
        int seconds_to_next = -1;
        REQUIRE(libssh2::keepalive::send(c.session.get(), &seconds_to_next) == 0);  // raw-pointer overload
        CHECK(seconds_to_next == 10);
        CHECK_FALSE(readable(c.socket.get(), 500));
        CHECK(test_support::run(c.session, "echo alive").out == "alive\n");
    }
    {
        auto c = test_support::login();
        test_support::run(c.session, "true");
        libssh2::keepalive::config(c.session, 1, 0);
        int seconds_to_next = -1;
        REQUIRE(libssh2::keepalive::send(c.session, &seconds_to_next) == 0);
        CHECK(seconds_to_next == 0);
        CHECK_FALSE(readable(c.socket.get(), 500));  // nothing was sent

        libssh2::keepalive::config(c.session.get(), 1, 1);  // libssh2 raises 1 s to 2 s
        REQUIRE(libssh2::keepalive::send(c.session, &seconds_to_next) == 0);
        CHECK(seconds_to_next == 2);
        CHECK(readable(c.socket.get(), 3000));
    }
}

TEST_CASE("trace::trace and trace::sethandler: the handler receives libssh2's trace of a handshake") {
    trace_record record;
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    CHECK(libssh2::trace::sethandler(session, &record, on_trace) == 0);
    CHECK(libssh2::trace::trace(session, LIBSSH2_TRACE_KEX) == 0);  // key exchange only
    REQUIRE(session.handshake(socket.get()) == 0);
    REQUIRE(libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                  sshd().key.c_str(), nullptr) == 0);
    if (record.calls == 0) {
        // libssh2_trace and libssh2_trace_sethandler are no-ops returning 0 unless libssh2 was
        // built with debug logging (LIBSSH2DEBUG); Debian's package is not.
        SKIP("libssh2 " << libssh2::version(0)
                        << " was built without debug tracing (LIBSSH2DEBUG): the trace handler never fires");
    }
    CHECK(record.context == &record);
    // "[libssh2] <time> Key Ex: ...": only the key exchange category, naming the agreed method.
    bool names_kex = false;
    for (const std::string &message : record.messages) {
        CAPTURE(message);
        CHECK(message.find("Key Ex: ") != std::string::npos);
        names_kex = names_kex || message.find(session.methods(LIBSSH2_METHOD_KEX)) != std::string::npos;
    }
    CHECK(names_kex);

    // With an empty mask nothing is traced.
    trace_record quiet;
    test_support::socket_fd socket2(test_support::connect_tcp(sshd().port));
    libssh2::session silent = libssh2::session::init();
    CHECK(libssh2::trace::sethandler(silent.get(), &quiet, on_trace) == 0);
    CHECK(libssh2::trace::trace(silent.get(), 0) == 0);
    REQUIRE(silent.handshake(socket2.get()) == 0);
    CHECK(quiet.calls == 0);
}

// libssh2 1.11.1 deprecates libssh2_base64_decode; this test calls it with every release.
TEST_CASE("base64::decode (deprecated) decodes into memory freed with libssh2::free") {
    allocation_counts counts;
    libssh2::session session = libssh2::session::init_ex(counting_alloc, counting_free, counting_realloc, &counts);
    REQUIRE(session);
    const long live = counts.live;

    char *data = nullptr;
    unsigned int length = 0;
    const std::string hello = "aGVsbG8gd29ybGQ=";
    REQUIRE(libssh2::base64::decode(session, &data, &length, hello.data(), static_cast<unsigned>(hello.size())) == 0);
    REQUIRE(data != nullptr);
    CHECK(std::string(data, length) == "hello world");
    CHECK(counts.live == live + 1);  // allocated with the session's allocator...
    libssh2::free(session, data);
    CHECK(counts.live == live);  // ...and freed with it

    // The sshd's host key, from its .pub file, decodes to the key blob the handshake sees.
    const std::string &key = sshd().host_key_base64;
    REQUIRE(libssh2::base64::decode(session.get(), &data, &length, key.data(), static_cast<unsigned>(key.size())) ==
            0);  // the raw-pointer overload
    CHECK(std::vector<unsigned char>(data, data + length) == sshd().host_key_blob);
    libssh2::free(session.get(), data);

    // A lone character cannot encode a byte.
    data = nullptr;
    CHECK(libssh2::base64::decode(session, &data, &length, "Q", 1) == LIBSSH2_ERROR_INVAL);
    CHECK(counts.live == live);
}
