// libssh2::publickey (RFC 4819 "publickey" subsystem) against the fixture's sshd, which runs
// tests/support/publickey_subsystem.py as that subsystem (OpenSSH has none): every method,
// the RFC's errors as libssh2 reports them, and the store a second session sees. The store
// (sshd().publickey_store, one "ALGORITHM BASE64-BLOB NAME=BASE64-VALUE..." line per key) is
// read directly to check what the server received. Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>


#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"
#include "support/sockets.hpp"

using test_support::sshd;

namespace {

constexpr long session_timeout_ms = 10000;  // bounds init and every wait below

// A public key as the .pub file gives it: "ALGORITHM BASE64 comment".
struct public_key {
    std::string algorithm;
    std::string base64;
    std::vector<unsigned char> blob;
};

public_key read_public_key(const std::string &path) {
    std::istringstream line(test_support::read_file(path));
    public_key key;
    line >> key.algorithm >> key.base64;
    key.blob = test_support::base64_decode(key.base64);
    return key;
}

// The attributes the store holds for key ("comment=BASE64..."), or nothing if it holds no such key.
std::optional<std::string> stored_attributes(const public_key &key) {
    std::ifstream store(sshd().publickey_store);
    for (std::string line; std::getline(store, line);) {
        const std::string prefix = key.algorithm + " " + key.base64;
        if (line.compare(0, prefix.size(), prefix) == 0 && (line.size() == prefix.size() || line[prefix.size()] == ' '))
            return line.size() == prefix.size() ? "" : line.substr(prefix.size() + 1);
    }
    return std::nullopt;
}

std::string base64_of(const std::string &text) {
    // Only for the short test comments below; the store's encoding is Python's base64.
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 3) {
        unsigned n = static_cast<unsigned char>(text[i]) << 16;
        if (i + 1 < text.size()) n |= static_cast<unsigned char>(text[i + 1]) << 8;
        if (i + 2 < text.size()) n |= static_cast<unsigned char>(text[i + 2]);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += i + 1 < text.size() ? alphabet[(n >> 6) & 63] : '=';
        out += i + 2 < text.size() ? alphabet[n & 63] : '=';
    }
    return out;
}

libssh2_publickey_attribute attribute(const char *name, const char *value, bool critical) {
    return {name, std::strlen(name), value, std::strlen(value), static_cast<char>(critical ? 1 : 0)};
}

// libssh2 runs publickey add_ex, remove_ex and list_fetch without its blocking loop (1.10 and
// 1.11): even on a blocking session they return LIBSSH2_ERROR_EAGAIN until the subsystem's
// answer has arrived. Calls `call` again (it resumes where it stopped) until it is done,
// waiting on the socket in between; gives up after the session timeout.
template <class Call>
int until_answered(test_support::connection &c, Call call) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(session_timeout_ms);
    int rc;
    while ((rc = call()) == LIBSSH2_ERROR_EAGAIN && std::chrono::steady_clock::now() < deadline) {
        pollfd fd = test_support::poll_entry(c.socket.get(), 0);
        const int directions = c.session.block_directions();
        if (directions & LIBSSH2_SESSION_BLOCK_INBOUND) fd.events |= POLLIN;
        if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) fd.events |= POLLOUT;
        test_support::poll_sockets(&fd, 1, 100);
    }
    return rc;
}

struct listed_key {
    std::string name;
    std::vector<unsigned char> blob;
    std::vector<std::pair<std::string, std::string>> attrs;
};

// list_fetch, copied out, then list_free; REQUIREs success.
std::vector<listed_key> list(test_support::connection &c, libssh2::publickey &pkey) {
    unsigned long num_keys = 99;
    libssh2_publickey_list *keys = nullptr;
    REQUIRE(until_answered(c, [&] { return pkey.list_fetch(&num_keys, &keys); }) == 0);
    std::vector<listed_key> out;
    for (unsigned long i = 0; i < num_keys; ++i) {
        listed_key k;
        k.name.assign(reinterpret_cast<const char *>(keys[i].name), keys[i].name_len);
        k.blob.assign(keys[i].blob, keys[i].blob + keys[i].blob_len);
        for (unsigned long a = 0; a < keys[i].num_attrs; ++a)
            k.attrs.emplace_back(std::string(keys[i].attrs[a].name, keys[i].attrs[a].name_len),
                                 std::string(keys[i].attrs[a].value, keys[i].attrs[a].value_len));
        out.push_back(std::move(k));
    }
    pkey.list_free(keys);  // null when no key was listed: libssh2 then does nothing
    return out;
}

// Ends pkey's subsystem session. libssh2 up to 1.11.1 keeps a pointer to the last packet it
// received after handing the packet on (and freeing it), and libssh2_publickey_shutdown frees
// it again: a double free once init has succeeded, so shutdown, and the destructor that calls
// it, abort (fixed upstream after 1.11.1 by 86301ab5, "publickey: fix double-free by
// transferring ownership of receive_packet", #1699). With those releases this frees what
// shutdown would free but that packet: the handle's struct (libssh2's default allocator is
// malloc), leaving its channel to the session, which frees its channels itself.
int end_publickey(libssh2::publickey &pkey) {
#if LIBSSH2_VERSION_NUM > 0x010b01
    return pkey.shutdown();
#else
    std::free(pkey.release());
    return 0;
#endif
}

struct session_with_publickey {
    test_support::connection c = test_support::login();
    libssh2::publickey pkey;
    session_with_publickey() {
        c.session.set_timeout(session_timeout_ms);
        pkey = libssh2::publickey::init(c.session);
        REQUIRE(pkey);
    }
    ~session_with_publickey() {
        if (pkey) end_publickey(pkey);
    }
};

// The error libssh2 leaves after a status other than SUCCESS: the call returns -1 and the
// session holds LIBSSH2_ERROR_PUBLICKEY_PROTOCOL with libssh2's name for the status.
void check_status_error(test_support::connection &c, int rc, const std::string &message) {
    CHECK(rc == -1);
    CHECK(c.session.last_errno() == LIBSSH2_ERROR_PUBLICKEY_PROTOCOL);
    CHECK(test_support::last_error(c.session) == message);
}

}  // namespace

TEST_CASE("publickey: init, add, list_fetch, list_free, remove and the end of the subsystem session") {
    const public_key key = read_public_key(sshd().pubkey);
    session_with_publickey s;
    CHECK(list(s.c, s.pkey).empty());

    const libssh2_publickey_attribute attrs[] = {attribute("comment", "added by add", false)};
    CHECK(until_answered(s.c, [&] { return s.pkey.add(key.algorithm, key.blob, 0, attrs); }) == 0);
    CHECK(stored_attributes(key) == "comment=" + base64_of("added by add"));

    const auto keys = list(s.c, s.pkey);
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].name == key.algorithm);
    CHECK(test_support::difference(keys[0].blob, key.blob).empty());
    REQUIRE(keys[0].attrs.size() == 1);
    CHECK(keys[0].attrs[0] == std::make_pair(std::string("comment"), std::string("added by add")));

    // The raw-pointer overload of remove takes a NUL-terminated name.
    CHECK(until_answered(s.c, [&] {
              return s.pkey.remove(reinterpret_cast<const unsigned char *>(key.algorithm.c_str()), key.blob.data(),
                                   key.blob.size());
          }) == 0);
    CHECK_FALSE(stored_attributes(key));
    CHECK(list(s.c, s.pkey).empty());

    CHECK(end_publickey(s.pkey) == 0);
    CHECK_FALSE(s.pkey);
    // The session is unharmed: commands still run.
    CHECK(test_support::run(s.c.session, "echo fine").out == "fine\n");
}

TEST_CASE("publickey: add_ex and remove_ex take the name's length explicitly") {
    const public_key key = read_public_key(sshd().rsa_pubkey);
    session_with_publickey s;
    // Only the first 7 bytes are the name: "ssh-rsa".
    const std::string padded = key.algorithm + "-and-more";
    const auto *name = reinterpret_cast<const unsigned char *>(padded.data());
    const libssh2_publickey_attribute attrs[] = {attribute("comment", "added by add_ex", false)};
    CHECK(until_answered(s.c, [&] {
              return s.pkey.add_ex(name, key.algorithm.size(), key.blob.data(), key.blob.size(), 0, 1, attrs);
          }) == 0);
    CHECK(stored_attributes(key) == "comment=" + base64_of("added by add_ex"));
    REQUIRE(list(s.c, s.pkey).size() == 1);

    CHECK(until_answered(s.c, [&] {
              return s.pkey.remove_ex(name, key.algorithm.size(), key.blob.data(), key.blob.size());
          }) == 0);
    CHECK_FALSE(stored_attributes(key));

    // The span overloads: name and blob as bytes, no attributes.
    const libssh2::span<const unsigned char> name_bytes(name, key.algorithm.size());
    CHECK(until_answered(s.c, [&] { return s.pkey.add_ex(name_bytes, key.blob, 0, {}); }) == 0);
    CHECK(stored_attributes(key) == "");
    CHECK(until_answered(s.c, [&] { return s.pkey.remove_ex(name_bytes, key.blob); }) == 0);
    CHECK(list(s.c, s.pkey).empty());
}

TEST_CASE("publickey: the RFC's errors come back as LIBSSH2_ERROR_PUBLICKEY_PROTOCOL with libssh2's status name") {
    const public_key key = read_public_key(sshd().pubkey);
    session_with_publickey s;
    const libssh2_publickey_attribute first[] = {attribute("comment", "first", false)};
    REQUIRE(until_answered(s.c, [&] { return s.pkey.add(key.algorithm, key.blob, 0, first); }) == 0);

    SECTION("KEY_ALREADY_PRESENT: add without overwrite of a stored key; with overwrite it replaces") {
        const libssh2_publickey_attribute second[] = {attribute("comment", "second", false)};
        check_status_error(s.c, until_answered(s.c, [&] { return s.pkey.add(key.algorithm, key.blob, 0, second); }),
                           "key already present");
        CHECK(stored_attributes(key) == "comment=" + base64_of("first"));
        CHECK(until_answered(s.c, [&] { return s.pkey.add(key.algorithm, key.blob, 1, second); }) == 0);
        CHECK(stored_attributes(key) == "comment=" + base64_of("second"));
    }
    SECTION("KEY_NOT_FOUND: remove of a key the store does not hold") {
        const public_key other = read_public_key(sshd().pass_pubkey);
        check_status_error(s.c, until_answered(s.c, [&] { return s.pkey.remove(other.algorithm, other.blob); }),
                           "key not found");
    }
    SECTION("ATTRIBUTE_NOT_SUPPORTED: a critical attribute the server does not know; not critical, it is ignored") {
        const public_key other = read_public_key(sshd().pass_pubkey);
        const libssh2_publickey_attribute critical[] = {attribute("x-libssh2-hpp-unknown", "1", true)};
        // libssh2's table of status names ends at REQUEST_NOT_SUPPORTED (8): status 9 is "unknown".
        check_status_error(s.c,
                           until_answered(s.c, [&] { return s.pkey.add(other.algorithm, other.blob, 0, critical); }),
                           "unknown");
        CHECK_FALSE(stored_attributes(other));

        const libssh2_publickey_attribute optional[] = {attribute("x-libssh2-hpp-unknown", "1", false),
                                                        attribute("comment", "kept", false)};
        CHECK(until_answered(s.c, [&] { return s.pkey.add(other.algorithm, other.blob, 0, optional); }) == 0);
        CHECK(stored_attributes(other) == "comment=" + base64_of("kept"));
        CHECK(until_answered(s.c, [&] { return s.pkey.remove(other.algorithm, other.blob); }) == 0);
    }
    SECTION("KEY_NOT_SUPPORTED: an algorithm other than ssh-ed25519 and ssh-rsa") {
        check_status_error(s.c, until_answered(s.c, [&] { return s.pkey.add("ssh-dss", key.blob, 0, {}); }),
                           "key not supported");
        const public_key dss{"ssh-dss", key.base64, key.blob};
        CHECK_FALSE(stored_attributes(dss));
    }

    // After an error the subsystem still answers on the same channel.
    const auto keys = list(s.c, s.pkey);
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].name == key.algorithm);
    CHECK(until_answered(s.c, [&] { return s.pkey.remove(key.algorithm, key.blob); }) == 0);
    CHECK(list(s.c, s.pkey).empty());
}

TEST_CASE("publickey: a second session sees what the first stored and can remove it") {
    const public_key key = read_public_key(sshd().pubkey);
    session_with_publickey first;
    const libssh2_publickey_attribute attrs[] = {attribute("comment", "from the first session", false)};
    REQUIRE(until_answered(first.c, [&] { return first.pkey.add(key.algorithm, key.blob, 0, attrs); }) == 0);

    session_with_publickey second;
    const auto keys = list(second.c, second.pkey);
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].name == key.algorithm);
    CHECK(test_support::difference(keys[0].blob, key.blob).empty());
    CHECK(keys[0].attrs == std::vector<std::pair<std::string, std::string>>{{"comment", "from the first session"}});
    CHECK(until_answered(second.c, [&] { return second.pkey.remove(key.algorithm, key.blob); }) == 0);
    CHECK(end_publickey(second.pkey) == 0);

    CHECK(list(first.c, first.pkey).empty());
    CHECK(end_publickey(first.pkey) == 0);
}

TEST_CASE("publickey: a subsystem sshd lacks is refused; init on the same session then succeeds") {
    // libssh2's init makes the same subsystem request under the name "publickey", which this
    // fixture serves, so the refusal is shown on a plain channel with another name.
    auto c = test_support::login();
    c.session.set_timeout(session_timeout_ms);
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    CHECK(channel.subsystem("publickey-nonexistent") == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED);
    // And init works on the very same session.
    libssh2::publickey pkey = libssh2::publickey::init(c.session);
    CHECK(pkey);
    if (pkey) end_publickey(pkey);
}

namespace {

// A request for talking to the subsystem without libssh2's publickey code: its name and, if
// given, a uint32 (RFC 4251 encodings).
std::string request_fields(const std::string &name, std::optional<std::uint32_t> number = std::nullopt) {
    std::string fields;
    test_support::put_string(fields, name);
    if (number) test_support::put_u32(fields, *number);
    return fields;
}

// Sends one request: uint32 length, then its fields.
void send_request(libssh2::channel &channel, const std::string &fields) {
    std::string request;
    test_support::put_string(request, fields);
    REQUIRE(channel.write(request.data(), request.size()) == static_cast<ssize_t>(request.size()));
}

// Reads one answer packet, without its length (the blocking channel read waits, bounded by
// the session timeout).
std::string read_packet(libssh2::channel &channel) {
    std::string bytes;
    std::size_t expected = 4;
    char buffer[1024];
    while (bytes.size() < expected) {
        const ssize_t n = channel.read(buffer, std::min(sizeof buffer, expected - bytes.size()));
        REQUIRE(n > 0);
        bytes.append(buffer, static_cast<std::size_t>(n));
        if (expected == 4 && bytes.size() == 4)
            expected += test_support::get_u32(reinterpret_cast<const unsigned char *>(bytes.data()));
    }
    return bytes.substr(4);
}

}  // namespace

TEST_CASE("publickey subsystem: the RFC 4819 answers libssh2 never asks for, on a raw channel") {
    auto c = test_support::login();
    c.session.set_timeout(session_timeout_ms);

    SECTION("a version other than 2: VERSION_NOT_SUPPORTED, then the subsystem ends") {
        libssh2::channel channel = libssh2::channel::open_session(c.session);
        REQUIRE(channel);
        REQUIRE(channel.subsystem("publickey") == 0);
        send_request(channel, request_fields("version", 1));
        const std::string status_packet = read_packet(channel);
        test_support::wire_reader status{status_packet};
        CHECK(status.string() == "status");
        CHECK(status.u32() == 3);  // SSH_PUBLICKEY_VERSION_NOT_SUPPORTED
        CHECK(status.string() == "version not supported");
        CHECK(status.string() == "en");  // language tag
        CHECK(status.at == status_packet.size());
        CHECK(channel.wait_eof() == 0);
    }
    SECTION("version 2, then listattributes and a request the RFC does not define") {
        libssh2::channel channel = libssh2::channel::open_session(c.session);
        REQUIRE(channel);
        REQUIRE(channel.subsystem("publickey") == 0);
        send_request(channel, request_fields("version", 2));
        const std::string version_packet = read_packet(channel);
        test_support::wire_reader version{version_packet};
        CHECK(version.string() == "version");
        CHECK(version.u32() == 2);

        send_request(channel, request_fields("listattributes"));
        const std::string attribute_packet = read_packet(channel);
        test_support::wire_reader attribute{attribute_packet};
        CHECK(attribute.string() == "attribute");
        CHECK(attribute.string() == "comment");
        CHECK_FALSE(attribute.boolean());  // compulsory: no
        const std::string done_packet = read_packet(channel);
        test_support::wire_reader done{done_packet};
        CHECK(done.string() == "status");
        CHECK(done.u32() == 0);  // SSH_PUBLICKEY_SUCCESS

        send_request(channel, request_fields("rename"));
        const std::string status_packet = read_packet(channel);
        test_support::wire_reader status{status_packet};
        CHECK(status.string() == "status");
        CHECK(status.u32() == 8);  // SSH_PUBLICKEY_REQUEST_NOT_SUPPORTED
        CHECK(status.string() == "request not supported");
        CHECK(status.string() == "en");
    }
}
