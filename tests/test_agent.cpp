// libssh2::agent against a throwaway ssh-agent (started by the test on a socket in the fixture's
// directory, holding the fixture's keys) and the fixture's real sshd. Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"
#include "support/ssh_agent.hpp"

using test_support::sshd;
using test_support::base64_decode;

namespace {

struct public_key {
    std::string type;
    std::vector<unsigned char> blob;
    std::string comment;
};

public_key read_public_key(const std::string &pub_file) {
    std::ifstream in(pub_file);
    REQUIRE(in);
    public_key key;
    std::string base64;
    in >> key.type >> base64 >> key.comment;
    key.blob = base64_decode(base64);
    return key;
}

// One agent per test process, holding the fixture's ed25519 and RSA keys.
test_support::ssh_agent &agent() {
    static std::unique_ptr<test_support::ssh_agent> instance = [] {
        auto a = std::make_unique<test_support::ssh_agent>(sshd().dir + "/agent-" + std::to_string(getpid()) + ".sock");
        for (const std::string &key : {sshd().key, sshd().rsa_key}) {
            auto [status, out] = a->add(key);
            if (status != 0) FAIL("ssh-add " << key << ": " << out);
        }
        return a;
    }();
    return *instance;
}

// Every identity the agent lists, in order.
std::vector<libssh2_agent_publickey *> identities(libssh2::agent &a) {
    std::vector<libssh2_agent_publickey *> all;
    libssh2_agent_publickey *identity = nullptr;
    libssh2_agent_publickey *previous = nullptr;
    int rc;
    while ((rc = a.get_identity(&identity, previous)) == 0) {
        all.push_back(identity);
        previous = identity;
    }
    CHECK(rc == 1);  // 1: the end of the list, not an error
    return all;
}

libssh2_agent_publickey *find(const std::vector<libssh2_agent_publickey *> &all, const public_key &key) {
    for (libssh2_agent_publickey *identity : all)
        if (identity->blob_len == key.blob.size() &&
            std::equal(key.blob.begin(), key.blob.end(), identity->blob))
            return identity;
    return nullptr;
}

}  // namespace

TEST_CASE("agent: init, identity path, connect, list, get_identity, userauth, disconnect, free") {
    test_support::ssh_agent &ssh_agent = agent();
    auto c = test_support::handshake();
    libssh2::agent a = libssh2::agent::init(c.session);
    REQUIRE(a);

    CHECK(a.get_identity_path() == nullptr);  // none set: libssh2 would use $SSH_AUTH_SOCK
    a.set_identity_path(ssh_agent.socket().c_str());
    REQUIRE(a.get_identity_path() != nullptr);
    CHECK(std::string(a.get_identity_path()) == ssh_agent.socket());

    REQUIRE(a.connect() == 0);
    REQUIRE(a.list_identities() == 0);
    // get_identity walks the list: 0 and the next identity, then 1 at the end.
    std::vector<libssh2_agent_publickey *> all;
    libssh2_agent_publickey *identity = nullptr;
    int rc;
    while ((rc = a.get_identity(&identity, all.empty() ? nullptr : all.back())) == 0) all.push_back(identity);
    CHECK(rc == 1);
    CHECK(all.size() == 2);

    const public_key ed25519 = read_public_key(sshd().pubkey);
    const public_key rsa = read_public_key(sshd().rsa_pubkey);
    libssh2_agent_publickey *ed25519_identity = find(all, ed25519);
    libssh2_agent_publickey *rsa_identity = find(all, rsa);
    REQUIRE(ed25519_identity != nullptr);
    REQUIRE(rsa_identity != nullptr);
    REQUIRE(ed25519_identity->comment != nullptr);
    CHECK(std::string(ed25519_identity->comment) == ed25519.comment);  // "test-sshd-user", from the key file
    CHECK(std::string(rsa_identity->comment) == rsa.comment);
    CHECK(all.front() == ed25519_identity);  // in the order they were added

    CHECK(libssh2::userauth::authenticated(c.session) == 0);
    REQUIRE(a.userauth(sshd().user.c_str(), ed25519_identity) == 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
    CHECK(test_support::run(c.session, "id -un").out == sshd().user + "\n");

    CHECK(a.disconnect() == 0);
    a.free();
    CHECK_FALSE(a);
    // The session goes on without the agent.
    CHECK(test_support::run(c.session, "echo still here").out == "still here\n");
}

TEST_CASE("agent: userauth with the agent's RSA identity") {
    auto c = test_support::handshake();
    libssh2::agent a = libssh2::agent::init(c.session);
    REQUIRE(a);
    a.set_identity_path(agent().socket().c_str());
    REQUIRE(a.connect() == 0);
    REQUIRE(a.list_identities() == 0);
    libssh2_agent_publickey *rsa = find(identities(a), read_public_key(sshd().rsa_pubkey));
    REQUIRE(rsa != nullptr);
    REQUIRE(a.userauth(sshd().user.c_str(), rsa) == 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
    // The agent stays connected until its destructor frees it (libssh2_agent_free disconnects).
}

TEST_CASE("agent: an identity the sshd does not list is refused; another one then works") {
    // A second agent, holding a key that is not in the fixture's authorized_keys.
    const std::string dir = sshd().dir;
    const std::string key = dir + "/agent_unlisted_ed25519";
    auto [status, out] = test_support::run_command("rm -f '" + key + "' '" + key + ".pub'; ssh-keygen -q -t ed25519 -N '' -C unlisted -f '" +
                                                   key + "' </dev/null 2>&1");
    REQUIRE(status == 0);
    test_support::ssh_agent other(dir + "/agent-unlisted-" + std::to_string(getpid()) + ".sock");
    REQUIRE(other.add(key).first == 0);

    auto c = test_support::handshake();
    libssh2::agent a = libssh2::agent::init(c.session);
    a.set_identity_path(other.socket().c_str());
    REQUIRE(a.connect() == 0);
    REQUIRE(a.list_identities() == 0);
    const auto all = identities(a);
    REQUIRE(all.size() == 1);
    CHECK(a.userauth(sshd().user.c_str(), all[0]) != 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 0);
    CHECK(a.disconnect() == 0);

    // Reconnected to the agent with the listed keys, the same handle succeeds.
    a.set_identity_path(agent().socket().c_str());
    REQUIRE(a.connect() == 0);
    REQUIRE(a.list_identities() == 0);
    libssh2_agent_publickey *ed25519 = find(identities(a), read_public_key(sshd().pubkey));
    REQUIRE(ed25519 != nullptr);
    CHECK(a.userauth(sshd().user.c_str(), ed25519) == 0);
}

TEST_CASE("agent: connect fails when nothing listens on the identity path") {
    auto c = test_support::handshake();
    libssh2::agent a = libssh2::agent::init(c.session);
    REQUIRE(a);
    const std::string missing = sshd().dir + "/no-agent-here.sock";
    a.set_identity_path(missing.c_str());
    CHECK(a.connect() == LIBSSH2_ERROR_AGENT_PROTOCOL);
    CHECK(c.session.last_errno() == LIBSSH2_ERROR_AGENT_PROTOCOL);
}

TEST_CASE("agent: the ssh-agent really holds what libssh2 lists (ssh-add -L)") {
    auto [status, out] = test_support::run_command("SSH_AUTH_SOCK='" + agent().socket() + "' ssh-add -L");
    REQUIRE(status == 0);
    auto c = test_support::handshake();
    libssh2::agent a = libssh2::agent::init(c.session);
    a.set_identity_path(agent().socket().c_str());
    REQUIRE(a.connect() == 0);
    REQUIRE(a.list_identities() == 0);
    std::istringstream lines(out);
    std::vector<std::string> listed;
    for (std::string line; std::getline(lines, line);) listed.push_back(line);
    const auto all = identities(a);
    REQUIRE(all.size() == listed.size());
    for (size_t i = 0; i < all.size(); ++i) {
        std::istringstream fields(listed[i]);
        std::string type, base64, comment;
        fields >> type >> base64 >> comment;
        const auto blob = base64_decode(base64);
        CHECK(std::vector<unsigned char>(all[i]->blob, all[i]->blob + all[i]->blob_len) == blob);
        CHECK(std::string(all[i]->comment) == comment);
    }
}

#if LIBSSH2_VERSION_NUM >= 0x010b01  // API libssh2 1.11 added (scripts/test builds a 1.11.1)
TEST_CASE("1.11: agent sign makes a signature the agent's key verifies") {
    test_support::ssh_agent agent(sshd().dir + "/agent-1-11-" + std::to_string(getpid()) + ".sock");
    REQUIRE(agent.add(sshd().key).first == 0);
    auto c = test_support::handshake();
    libssh2::agent handle = libssh2::agent::init(c.session);
    REQUIRE(handle);
    handle.set_identity_path(agent.socket().c_str());
    REQUIRE(handle.connect() == 0);
    REQUIRE(handle.list_identities() == 0);
    struct libssh2_agent_publickey *identity = nullptr;
    REQUIRE(handle.get_identity(&identity, nullptr) == 0);
    const unsigned char data[] = "signed by the agent through libssh2::agent::sign";
    unsigned char *signature = nullptr;
    size_t length = 0;
    REQUIRE(handle.sign(identity, &signature, &length, data, sizeof data, "ssh-ed25519", 11) == 0);
    REQUIRE(signature != nullptr);
    // The same request straight to the agent gives the same (deterministic ed25519)
    // signature, there wrapped as string "ssh-ed25519", string signature.
    const std::vector<unsigned char> direct = agent.sign(identity->blob, identity->blob_len, data, sizeof data);
    REQUIRE(length == 64);
    REQUIRE(direct.size() == 4 + 11 + 4 + length);
    CHECK(std::vector<unsigned char>(signature, signature + length) ==
          std::vector<unsigned char>(direct.end() - static_cast<long>(length), direct.end()));
    libssh2::free(c.session, signature);
}
#endif
