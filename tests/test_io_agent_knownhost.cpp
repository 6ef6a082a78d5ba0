// <libssh2/io/agent_identities.hpp>, agent_login.hpp and knownhost_entries.hpp: the
// identities of a throwaway ssh-agent (tests/support/ssh_agent.hpp) holding the fixture's
// keys, agent_login against the fixture's sshd (also with an agent whose only key the server
// refuses, and an empty one), and the entries of a known_hosts file. Run by `meson test`
// (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/io.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"
#include "support/scratch_dir.hpp"
#include "support/ssh_agent.hpp"

using test_support::sshd;

namespace {

struct public_key {
    std::string base64;
    std::string comment;
};

public_key read_public_key(const std::string &pub_file) {
    std::ifstream in(pub_file);
    REQUIRE(in);
    std::string type;
    public_key key;
    in >> type >> key.base64 >> key.comment;
    return key;
}

// An agent on a fresh socket holding key_files (none: an empty agent).
std::unique_ptr<test_support::ssh_agent> start_agent(const std::vector<std::string> &key_files) {
    auto agent = std::make_unique<test_support::ssh_agent>(test_support::scratch_dir("io-agent") + "/agent.sock");
    for (const std::string &key : key_files) {
        auto [status, out] = agent->add(key);
        INFO(out);
        REQUIRE(status == 0);
    }
    return agent;
}

// A key the fixture's sshd does not list in authorized_keys.
std::string unlisted_key() {
    const std::string key = test_support::scratch_dir("io-agent-key") + "/unlisted";
    auto [status, out] =
        test_support::run_command("ssh-keygen -q -t ed25519 -N '' -C unlisted -f '" + key + "' </dev/null 2>&1");
    INFO(out);
    REQUIRE(status == 0);
    return key;
}

libssh2::agent connected_agent(libssh2::session &session, const test_support::ssh_agent &ssh_agent) {
    libssh2::agent a = libssh2::agent::init(session);
    REQUIRE(a);
    a.set_identity_path(ssh_agent.socket().c_str());
    return a;
}

}  // namespace

TEST_CASE("io: identities lists the agent's keys with comments and blobs; raw is usable") {
    auto ssh_agent = start_agent({sshd().key, sshd().rsa_key});
    auto c = test_support::handshake();
    libssh2::agent a = connected_agent(c.session, *ssh_agent);
    REQUIRE(a.connect() == 0);
    REQUIRE(a.list_identities() == 0);

    std::vector<libssh2::agent_identity> listed;
    for (const libssh2::agent_identity &identity : libssh2::identities(a)) listed.push_back(identity);
    REQUIRE(listed.size() == 2);
    const public_key ed25519 = read_public_key(sshd().pubkey);
    const public_key rsa = read_public_key(sshd().rsa_pubkey);
    CHECK(listed[0].comment == ed25519.comment);  // in the order ssh-add added them
    CHECK(listed[0].blob == test_support::base64_decode(ed25519.base64));
    CHECK(listed[1].comment == rsa.comment);
    CHECK(listed[1].blob == test_support::base64_decode(rsa.base64));

    std::error_code ec = make_error_code(libssh2::errc::inval);
    std::size_t count = 0;
    for (const auto &identity : libssh2::identities(a, ec)) count += identity.raw != nullptr;
    CHECK(count == 2);
    CHECK_FALSE(ec);

    REQUIRE(a.userauth(sshd().user.c_str(), listed[1].raw) == 0);
    CHECK(libssh2::userauth::authenticated(c.session) == 1);
}

TEST_CASE("io: agent_login with an agent of the caller's and with the one at SSH_AUTH_SOCK") {
    // The unlisted key first: agent_login goes on to the next when the server refuses one.
    auto ssh_agent = start_agent({unlisted_key(), sshd().key});
    {
        auto c = test_support::handshake();
        libssh2::agent a = connected_agent(c.session, *ssh_agent);
        libssh2::agent_login(a, sshd().user);
        CHECK(libssh2::userauth::authenticated(c.session) == 1);
    }
    {
        const char *previous = getenv("SSH_AUTH_SOCK");
        const std::string saved = previous ? previous : "";
        REQUIRE(setenv("SSH_AUTH_SOCK", ssh_agent->socket().c_str(), 1) == 0);
        auto c = test_support::handshake();
        std::error_code ec = make_error_code(libssh2::errc::inval);
        libssh2::agent_login(c.session, sshd().user, ec);
        if (previous)
            setenv("SSH_AUTH_SOCK", saved.c_str(), 1);
        else
            unsetenv("SSH_AUTH_SOCK");
        CHECK_FALSE(ec);
        CHECK(libssh2::userauth::authenticated(c.session) == 1);
        CHECK(test_support::run(c.session, "echo in").out == "in\n");
    }
}

TEST_CASE("io: agent_login fails when the server refuses every key, the agent is empty or absent") {
    auto refused = start_agent({unlisted_key()});
    auto c = test_support::handshake();
    {
        libssh2::agent a = connected_agent(c.session, *refused);
        std::error_code ec;
        libssh2::agent_login(a, sshd().user, ec);
        CHECK(ec == libssh2::errc::authentication_failed);  // the server's refusal of the last key
        CHECK(libssh2::userauth::authenticated(c.session) == 0);
    }
    {
        libssh2::agent a = connected_agent(c.session, *refused);
        try {
            libssh2::agent_login(a, sshd().user);
            FAIL("agent_login with a refused key did not throw");
        } catch (const libssh2::error &e) {
            CHECK(std::string(e.what()).find("accepted none of the agent's 1 keys") != std::string::npos);
        }
    }
    {
        auto empty = start_agent({});
        libssh2::agent a = connected_agent(c.session, *empty);
        std::error_code ec;
        libssh2::agent_login(a, sshd().user, ec);
        CHECK(ec == libssh2::errc::authentication_failed);
    }
    {
        libssh2::agent a = libssh2::agent::init(c.session);
        const std::string nowhere = test_support::scratch_dir("io-agent") + "/nothing.sock";
        a.set_identity_path(nowhere.c_str());
        std::error_code ec;
        libssh2::agent_login(a, sshd().user, ec);
        CHECK(ec == libssh2::errc::agent_protocol);
    }
    CHECK(libssh2::userauth::authenticated(c.session) == 0);
}

TEST_CASE("io: entries walks a known_hosts file: names, keys, type masks, raw for del") {
    libssh2::session session = libssh2::session::init();  // knownhost needs no connection
    libssh2::knownhost hosts = libssh2::knownhost::init(session);
    REQUIRE(hosts);
    const std::string ed25519 = sshd().host_key_base64;
    const std::string rsa = read_public_key(sshd().rsa_pubkey).base64;
    const std::string hashed_name = "|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|kOHOIB6UUYBYZMXPJ+l8VlWMSOk=";
    const std::string file = test_support::scratch_dir("io-knownhost") + "/known_hosts";
    {
        std::ofstream out(file);
        out << "plain.example ssh-ed25519 " << ed25519 << "\n"
            << "[ported.example]:2222 ssh-rsa " << rsa << " a comment\n"
            << hashed_name << " ssh-ed25519 " << ed25519 << "\n";
    }
    REQUIRE(hosts.readfile(file.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 3);

    std::vector<libssh2::known_host> listed;
    for (const libssh2::known_host &host : libssh2::entries(hosts)) listed.push_back(host);
    REQUIRE(listed.size() == 3);
    CHECK(listed[0].name == "plain.example");
    CHECK(listed[0].key == ed25519);
    CHECK((listed[0].type_mask & LIBSSH2_KNOWNHOST_TYPE_MASK) == LIBSSH2_KNOWNHOST_TYPE_PLAIN);
    CHECK((listed[0].type_mask & LIBSSH2_KNOWNHOST_KEY_MASK) == LIBSSH2_KNOWNHOST_KEY_ED25519);
    CHECK(listed[1].name == "[ported.example]:2222");
    CHECK(listed[1].key == rsa);
    CHECK((listed[1].type_mask & LIBSSH2_KNOWNHOST_KEY_MASK) == LIBSSH2_KNOWNHOST_KEY_SSHRSA);
    CHECK_FALSE(listed[2].name);  // hashed: no plain-text name
    CHECK(listed[2].key == ed25519);
    CHECK((listed[2].type_mask & LIBSSH2_KNOWNHOST_TYPE_MASK) == LIBSSH2_KNOWNHOST_TYPE_SHA1);

    REQUIRE(hosts.del(listed[1].raw) == 0);
    std::error_code ec = make_error_code(libssh2::errc::inval);
    std::vector<std::string> keys;
    for (const auto &host : libssh2::entries(hosts, ec)) keys.push_back(host.key);
    CHECK_FALSE(ec);
    CHECK(keys == std::vector<std::string>{ed25519, ed25519});

    libssh2::knownhost empty = libssh2::knownhost::init(session);
    libssh2::entries none(empty);
    CHECK(none.begin() == none.end());
}
