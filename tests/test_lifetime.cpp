// Ownership: channels, listeners, sftp sessions and sftp handles destroyed before and
// after their session, in every order. Run under AddressSanitizer by the test command
// (build-asan), where a double free or use after free fails the test.
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "support/connection.hpp"

using test_support::sshd;

namespace {

// Everything a session can own, each held in an optional so a test can destroy it when it likes.
struct tree {
    test_support::connection connection;
    std::optional<libssh2::channel> channel;
    std::optional<libssh2::sftp> sftp;
    std::optional<libssh2::sftp_handle> file;
    std::optional<libssh2::knownhost> hosts;
    std::optional<libssh2::agent> agent;

    void reset(int which) {
        switch (which) {
        case 0: session_reset(); break;
        case 1: channel.reset(); break;
        case 2: sftp.reset(); break;
        case 3: file.reset(); break;
        case 4: hosts.reset(); break;
        case 5: agent.reset(); break;
        }
    }
    void session_reset() { libssh2::session gone = std::move(connection.session); }
};

tree make_tree() {
    tree t{test_support::login(), {}, {}, {}, {}, {}};
    libssh2::session &s = t.connection.session;
    t.channel = libssh2::channel::open_session(s);
    REQUIRE(*t.channel);
    REQUIRE(t.channel->exec("true") == 0);
    t.sftp = libssh2::sftp::init(s);
    REQUIRE(*t.sftp);
    t.file = t.sftp->open((sshd().dir + "/lifetime.txt").c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT, 0600);
    REQUIRE(*t.file);
    t.hosts = libssh2::knownhost::init(s);
    REQUIRE(*t.hosts);
    t.agent = libssh2::agent::init(s);
    REQUIRE(*t.agent);
    return t;
}

}  // namespace

TEST_CASE("handles destroyed in every order relative to their session") {
    std::array<int, 4> order{0, 1, 2, 3};  // session, channel, sftp, sftp handle
    int permutations = 0;
    do {
        tree t = make_tree();
        for (int which : order) t.reset(which);
        t.reset(4);
        t.reset(5);
        ++permutations;
    } while (std::next_permutation(order.begin(), order.end()));
    CHECK(permutations == 24);
}

TEST_CASE("a child keeps its session usable after the session object is gone") {
    tree t = make_tree();
    t.session_reset();
    CHECK_FALSE(t.connection.session);
    // The sftp session still works: its node keeps the LIBSSH2_SESSION alive.
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    CHECK(t.sftp->stat(sshd().dir.c_str(), &attrs) == 0);
    CHECK(t.file->write("x", 1) == 1);
}

TEST_CASE("explicit frees leave nothing for the destructors to free twice") {
    tree t = make_tree();
    CHECK(t.file->close() == 0);
    CHECK_FALSE(*t.file);
    CHECK(t.channel->free() == 0);
    CHECK(t.sftp->shutdown() == 0);
    t.hosts->free();
    t.agent->free();
    CHECK_FALSE(*t.agent);
}

TEST_CASE("an explicit sftp shutdown closes its open handles first") {
    tree t = make_tree();
    REQUIRE(*t.file);
    CHECK(t.sftp->shutdown() == 0);
    CHECK_FALSE(*t.sftp);
    CHECK_FALSE(*t.file);  // closed before the shutdown: nothing dangles, nothing leaks
    t.sftp.reset();
    t.file.reset();
    CHECK(*t.channel);  // other children of the session are untouched
}

TEST_CASE("an explicit session free frees every child first") {
    tree t = make_tree();
    t.connection.session.free();
    CHECK_FALSE(t.connection.session);
    CHECK_FALSE(*t.channel);
    CHECK_FALSE(*t.sftp);
    CHECK_FALSE(*t.file);
    CHECK_FALSE(*t.hosts);
    CHECK_FALSE(*t.agent);
}

TEST_CASE("release gives the handle up; get_channel is borrowed") {
    tree t = make_tree();
    LIBSSH2_CHANNEL *raw = t.channel->release();
    REQUIRE(raw != nullptr);
    CHECK_FALSE(*t.channel);
    CHECK(libssh2_channel_free(raw) == 0);

    libssh2::channel own = t.sftp->get_channel();
    CHECK(own.get() != nullptr);
    own = libssh2::channel();  // dropping the view must not free the sftp's channel
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    CHECK(t.sftp->stat(sshd().dir.c_str(), &attrs) == 0);
}
