// libssh2::knownhost: the fixture's known_hosts and the live sshd's host key; entries added plain,
// hashed (as ssh-keygen -H hashes) and with comments, cross-checked with OpenSSH's ssh-keygen -F and ssh. Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"
#include "support/deprecated_api.hpp"  // this file exercises deprecated API: knownhost::add

using test_support::sshd;
using test_support::read_file;

namespace {

// The fixture's host key: ed25519, or RSA where the sshd runs with TEST_SSHD_KEYS=rsa-pem (the
// Windows tests: their libssh2 has no ed25519).
bool rsa_host_key() {
    const std::string rsa = "/ssh_host_rsa_key.pub";
    const std::string &pub = sshd().host_key_pub;
    return pub.size() > rsa.size() && pub.compare(pub.size() - rsa.size(), rsa.size(), rsa) == 0;
}
std::string host_key_name() { return rsa_host_key() ? "ssh-rsa" : "ssh-ed25519"; }
int host_key_type() { return rsa_host_key() ? LIBSSH2_HOSTKEY_TYPE_RSA : LIBSSH2_HOSTKEY_TYPE_ED25519; }
int host_key_mask() { return rsa_host_key() ? LIBSSH2_KNOWNHOST_KEY_SSHRSA : LIBSSH2_KNOWNHOST_KEY_ED25519; }
int plain_raw_host_key() { return LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | host_key_mask(); }

void write_file(const std::string &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    REQUIRE(out);
    out << text;
}

std::string quote(const std::string &s) { return "'" + s + "'"; }

// A path in the fixture's directory for this test process.
std::string scratch(const std::string &name) { return sshd().dir + "/knownhost-" + std::to_string(getpid()) + "-" + name; }

// The session's host key, raw.
std::string live_host_key(libssh2::session &session) {
    size_t length = 0;
    int type = 0;
    const char *key = session.hostkey(&length, &type);
    REQUIRE(key != nullptr);
    REQUIRE(type == host_key_type());
    return std::string(key, length);
}

std::vector<libssh2_knownhost *> entries(libssh2::knownhost &hosts) {
    std::vector<libssh2_knownhost *> all;
    libssh2_knownhost *entry = nullptr;
    libssh2_knownhost *previous = nullptr;
    int rc;
    while ((rc = hosts.get(&entry, previous)) == 0) {
        all.push_back(entry);
        previous = entry;
    }
    CHECK(rc == 1);  // 1: no more entries
    return all;
}

std::string line_of(libssh2::knownhost &hosts, libssh2_knownhost *entry) {
    char buffer[2048];
    size_t length = 0;
    REQUIRE(hosts.writeline(entry, buffer, sizeof buffer, &length, LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0);
    return std::string(buffer, length);
}

// Every entry as a known_hosts line, in order.
std::vector<std::string> lines_of(libssh2::knownhost &hosts) {
    std::vector<std::string> lines;
    for (libssh2_knownhost *entry : entries(hosts)) lines.push_back(line_of(hosts, entry));
    return lines;
}

}  // namespace

TEST_CASE("readfile reads the fixture's known_hosts; get lists its entry") {
    auto c = test_support::handshake();
    libssh2::knownhost hosts = libssh2::knownhost::init(c.session);
    REQUIRE(hosts);
    CHECK(entries(hosts).empty());
    REQUIRE(hosts.readfile(sshd().known_hosts.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 1);
    // get walks the entries: 0 and the next one, then 1 at the end.
    std::vector<libssh2_knownhost *> all;
    libssh2_knownhost *entry = nullptr;
    int rc;
    while ((rc = hosts.get(&entry, all.empty() ? nullptr : all.back())) == 0) all.push_back(entry);
    CHECK(rc == 1);
    REQUIRE(all.size() == 1);
    REQUIRE(all[0]->name != nullptr);
    CHECK(std::string(all[0]->name) == "[127.0.0.1]:" + std::to_string(sshd().port));
    CHECK(std::string(all[0]->key) == sshd().host_key_base64);
    CHECK((all[0]->typemask & LIBSSH2_KNOWNHOST_TYPE_MASK) == LIBSSH2_KNOWNHOST_TYPE_PLAIN);
    CHECK((all[0]->typemask & LIBSSH2_KNOWNHOST_KEY_MASK) == host_key_mask());
    // writeline gives back the file's line.
    CHECK(line_of(hosts, all[0]) == read_file(sshd().known_hosts));

    CHECK(hosts.readfile((sshd().dir + "/no-such-file").c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) ==
          LIBSSH2_ERROR_FILE);
}

TEST_CASE("check and checkp: match, mismatch, not found, against the live sshd's host key") {
    auto c = test_support::handshake();
    libssh2::knownhost hosts = libssh2::knownhost::init(c.session);
    REQUIRE(hosts.readfile(sshd().known_hosts.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 1);
    libssh2_knownhost *entry = entries(hosts).at(0);
    const std::string key = live_host_key(c.session);
    const int port = sshd().port;

    libssh2_knownhost *found = nullptr;
    CHECK(hosts.checkp("127.0.0.1", port, key.data(), key.size(), plain_raw_host_key(), &found) ==
          LIBSSH2_KNOWNHOST_CHECK_MATCH);
    CHECK(found == entry);
    // A key type of 0 in the mask means "any type".
    CHECK(hosts.checkp("127.0.0.1", port, key.data(), key.size(),
                       LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_MATCH);

    std::string modified = key;
    modified.back() ^= 0x01;
    found = nullptr;
    CHECK(hosts.checkp("127.0.0.1", port, modified.data(), modified.size(), plain_raw_host_key(), &found) ==
          LIBSSH2_KNOWNHOST_CHECK_MISMATCH);
    CHECK(found == entry);  // the entry whose key differs

    CHECK(hosts.checkp("127.0.0.1", port + 1, key.data(), key.size(), plain_raw_host_key(), nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
    CHECK(hosts.checkp("127.0.0.2", port, key.data(), key.size(), plain_raw_host_key(), nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
    // An entry of another key type is not this host's entry for an ECDSA key.
    CHECK(hosts.checkp("127.0.0.1", port, key.data(), key.size(),
                       LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | LIBSSH2_KNOWNHOST_KEY_ECDSA_256,
                       nullptr) == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);

    // check() is checkp without a port: the entry is "[127.0.0.1]:PORT", so only that name matches.
    CHECK(hosts.check("127.0.0.1", key.data(), key.size(), plain_raw_host_key(), nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
    const std::string bracketed = "[127.0.0.1]:" + std::to_string(port);
    CHECK(hosts.check(bracketed.c_str(), key.data(), key.size(), plain_raw_host_key(), nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_MATCH);
    CHECK(hosts.check(bracketed.c_str(), modified.data(), modified.size(), plain_raw_host_key(), nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_MISMATCH);
}

TEST_CASE("add and addc: plain, base64-keyed, commented and hashed entries; del removes one") {
    auto c = test_support::handshake();
    libssh2::knownhost hosts = libssh2::knownhost::init(c.session);
    const std::string key = live_host_key(c.session);
    const std::string &base64 = sshd().host_key_base64;

    libssh2_knownhost *plain = nullptr;
    REQUIRE(hosts.add("plain.example", nullptr, key.data(), key.size(), plain_raw_host_key(), &plain) == 0);
    REQUIRE(plain != nullptr);
    CHECK(std::string(plain->name) == "plain.example");
    CHECK(std::string(plain->key) == base64);  // stored base64-encoded whatever the input encoding

    libssh2_knownhost *from_base64 = nullptr;
    REQUIRE(hosts.add("base64.example", nullptr, base64.c_str(), base64.size(),
                      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_BASE64 | host_key_mask(),
                      &from_base64) == 0);
    CHECK(std::string(from_base64->key) == base64);

    const std::string comment = "added by test_knownhost";
    libssh2_knownhost *commented = nullptr;
    REQUIRE(hosts.addc("commented.example", nullptr, key.data(), key.size(), comment.c_str(), comment.size(),
                       plain_raw_host_key(), &commented) == 0);
    CHECK(line_of(hosts, commented) == "commented.example " + host_key_name() + " " + base64 + " " + comment + "\n");

    // A hashed entry, hashed by OpenSSH: ssh-keygen -H turns the name into |1|salt|hash.
    const std::string file = scratch("to-hash");
    write_file(file, "hashed.example " + host_key_name() + " " + base64 + "\n");
    auto [status, out] = test_support::run_command("ssh-keygen -q -H -f " + quote(file) + " 2>&1");
    INFO(out);
    REQUIRE(status == 0);
    const std::string hashed_line = read_file(file);
    REQUIRE(hashed_line.rfind("|1|", 0) == 0);
    const std::string salt = hashed_line.substr(3, hashed_line.find('|', 3) - 3);
    const std::string hash =
        hashed_line.substr(4 + salt.size(), hashed_line.find(' ') - 4 - salt.size());
    libssh2_knownhost *hashed = nullptr;
    REQUIRE(hosts.addc(hash.c_str(), salt.c_str(), key.data(), key.size(), nullptr, 0,
                       LIBSSH2_KNOWNHOST_TYPE_SHA1 | LIBSSH2_KNOWNHOST_KEYENC_RAW | host_key_mask(),
                       &hashed) == 0);
    CHECK(hashed->name == nullptr);  // no plain-text name for a hashed entry
    CHECK(line_of(hosts, hashed) == hashed_line);  // libssh2 writes it as ssh-keygen did

    CHECK(entries(hosts).size() == 4);
    for (const char *name : {"plain.example", "base64.example", "commented.example", "hashed.example"}) {
        CAPTURE(name);
        CHECK(hosts.check(name, key.data(), key.size(), plain_raw_host_key(), nullptr) == LIBSSH2_KNOWNHOST_CHECK_MATCH);
    }
    CHECK(hosts.check("other.example", key.data(), key.size(), plain_raw_host_key(), nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);

    REQUIRE(hosts.del(plain) == 0);
    CHECK(hosts.check("plain.example", key.data(), key.size(), plain_raw_host_key(), nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
    const auto remaining = entries(hosts);
    CHECK(remaining.size() == 3);
    for (libssh2_knownhost *entry : remaining) CHECK(entry != plain);

    // A hashed file as ssh-keygen wrote it reads back and matches by name too.
    libssh2::knownhost from_file = libssh2::knownhost::init(c.session);
    REQUIRE(from_file.readfile(file.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 1);
    CHECK(from_file.check("hashed.example", key.data(), key.size(), plain_raw_host_key(), nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_MATCH);
    CHECK(from_file.check("plain.example", key.data(), key.size(), plain_raw_host_key(), nullptr) ==
          LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
}

TEST_CASE("writefile writes what OpenSSH reads: ssh-keygen -F finds the entries, ssh accepts the sshd") {
    auto c = test_support::handshake();
    const std::string key = live_host_key(c.session);
    libssh2::knownhost hosts = libssh2::knownhost::init(c.session);
    REQUIRE(hosts.readfile(sshd().known_hosts.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 1);
    REQUIRE(hosts.addc("written.example", nullptr, key.data(), key.size(), "a comment", 9, plain_raw_host_key(),
                       nullptr) == 0);
    libssh2_knownhost *doomed = nullptr;
    REQUIRE(hosts.add("deleted.example", nullptr, key.data(), key.size(), plain_raw_host_key(), &doomed) == 0);
    REQUIRE(hosts.del(doomed) == 0);

    const std::string file = scratch("written");
    REQUIRE(hosts.writefile(file.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0);

    // Read back: the same entries, line for line.
    libssh2::knownhost again = libssh2::knownhost::init(c.session);
    REQUIRE(again.readfile(file.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 2);
    CHECK(lines_of(again) == lines_of(hosts));
    std::string concatenated;
    for (const std::string &line : lines_of(hosts)) concatenated += line;
    CHECK(read_file(file) == concatenated);

    CHECK(test_support::run_command("ssh-keygen -F written.example -f " + quote(file) + " >/dev/null").first == 0);
    CHECK(test_support::run_command("ssh-keygen -F '[127.0.0.1]:" + std::to_string(sshd().port) + "' -f " +
                                    quote(file) + " >/dev/null")
              .first == 0);
    CHECK(test_support::run_command("ssh-keygen -F deleted.example -f " + quote(file) + " >/dev/null").first == 1);

    // OpenSSH's client verifies the real sshd against the written file (and refuses without it).
    const std::string ssh = "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null"
                            " -i " + quote(sshd().key) + " -p " + std::to_string(sshd().port) + " -l " +
                            quote(sshd().user) + " -o UserKnownHostsFile=";
    auto [status, out] = test_support::run_command(ssh + quote(file) + " 127.0.0.1 echo verified 2>&1");
    CHECK(status == 0);
    CHECK(out == "verified\n");
    const std::string empty = scratch("empty");
    write_file(empty, "");
    CHECK(test_support::run_command(ssh + quote(empty) + " 127.0.0.1 true >/dev/null 2>&1").first != 0);
}

TEST_CASE("readline and writeline round-trip known_hosts lines") {
    libssh2::session session = libssh2::session::init();  // knownhost needs no connection
    libssh2::knownhost hosts = libssh2::knownhost::init(session);
    const std::string &base64 = sshd().host_key_base64;
    const std::vector<std::string> lines = {
        "roundtrip.example " + host_key_name() + " " + base64 + "\n",
        "[roundtrip.example]:2222 " + host_key_name() + " " + base64 + " with a comment\n",
        "|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|kOHOIB6UUYBYZMXPJ+l8VlWMSOk= " + host_key_name() + " " + base64 + "\n",
    };
    for (const std::string &line : lines) {
        CAPTURE(line);
        const size_t before = entries(hosts).size();
        REQUIRE(hosts.readline(line.c_str(), line.size(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0);
        const auto all = entries(hosts);
        REQUIRE(all.size() == before + 1);
        CHECK(line_of(hosts, all.back()) == line);
    }

    // Several names on one line become one entry each (libssh2 adds them last name first).
    const std::string multi = "one.example,two.example " + host_key_name() + " " + base64 + "\n";
    REQUIRE(hosts.readline(multi.c_str(), multi.size(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0);
    auto all = entries(hosts);
    REQUIRE(all.size() == lines.size() + 2);
    std::vector<std::string> split = {line_of(hosts, all[all.size() - 2]), line_of(hosts, all.back())};
    std::sort(split.begin(), split.end());
    CHECK(split == std::vector<std::string>{"one.example " + host_key_name() + " " + base64 + "\n",
                                            "two.example " + host_key_name() + " " + base64 + "\n"});

    // Comments and blank lines add nothing; a line that is not a host line is an error.
    const std::string comment = "# just a comment\n";
    CHECK(hosts.readline(comment.c_str(), comment.size(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0);
    CHECK(entries(hosts).size() == all.size());
    const std::string junk = "junk-without-a-key\n";
    CHECK(hosts.readline(junk.c_str(), junk.size(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0);
    CHECK(entries(hosts).size() == all.size());

    // writeline with a buffer too small says so.
    char small[16];
    size_t length = 0;
    CHECK(hosts.writeline(all[0], small, sizeof small, &length, LIBSSH2_KNOWNHOST_FILE_OPENSSH) ==
          LIBSSH2_ERROR_BUFFER_TOO_SMALL);
    // Only the OpenSSH format exists.
    char buffer[1024];
    CHECK(hosts.writeline(all[0], buffer, sizeof buffer, &length, 12345) == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
}
