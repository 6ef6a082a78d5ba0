// SPDX-License-Identifier: BSD-3-Clause
// Compiled to an object (never linked or run) by tests/check-header-compiles at -O2 and -O3
// with -Werror: optimised builds see warnings a syntax check does not (g++ 12's
// -Wmaybe-uninitialized once fired in the handle classes' destructors inlined into
// std::optional's). Handles in optionals, created, reset in an order known only at run time,
// and destroyed; as tests/test_lifetime.cpp does.
#include <libssh2.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <utility>

namespace optimised {

struct socket_owner {
    int fd = -1;
    socket_owner() = default;
    socket_owner(socket_owner &&other) noexcept : fd(std::exchange(other.fd, -1)) {}
    ~socket_owner();
};

struct connection {
    socket_owner socket;
    libssh2::session session;
};

struct tree {
    connection connected;
    std::optional<libssh2::channel> channel;
    std::optional<libssh2::sftp> sftp;
    std::optional<libssh2::sftp_handle> file;
    std::optional<libssh2::knownhost> hosts;
    std::optional<libssh2::agent> agent;
    std::optional<libssh2::listener> listener;
    std::optional<libssh2::publickey> publickey;

    void reset(int which) {
        switch (which) {
        case 0: { libssh2::session gone = std::move(connected.session); } break;
        case 1: channel.reset(); break;
        case 2: sftp.reset(); break;
        case 3: file.reset(); break;
        case 4: hosts.reset(); break;
        case 5: agent.reset(); break;
        case 6: listener.reset(); break;
        case 7: publickey.reset(); break;
        }
    }
};

inline void require(bool ok) {
    if (!ok) throw std::runtime_error("empty");
}

connection login();  // declared only: the file is compiled, never linked

socket_owner::~socket_owner() { fd = -1; }

tree make_tree() {
    tree t{login(), {}, {}, {}, {}, {}, {}, {}};
    libssh2::session &s = t.connected.session;
    t.channel = libssh2::channel::open_session(s);
    require(bool(*t.channel));
    t.sftp = libssh2::sftp::init(s);
    require(bool(*t.sftp));
    t.file = t.sftp->open("file", LIBSSH2_FXF_WRITE, 0600);
    require(bool(*t.file));
    t.hosts = libssh2::knownhost::init(s);
    require(bool(*t.hosts));
    t.agent = libssh2::agent::init(s);
    require(bool(*t.agent));
    t.listener = libssh2::channel::forward_listen(s, 0);
    t.publickey = libssh2::publickey::init(s);
    t.agent = libssh2::agent::init(s);  // move-assigned over an engaged optional
    return t;
}

int destroy_in_every_order() {
    std::array<int, 4> order{0, 1, 2, 3};
    int permutations = 0;
    do {
        tree t = make_tree();
        for (int which : order) t.reset(which);
        for (int which = 4; which < 8; ++which) t.reset(which);
        ++permutations;
    } while (std::next_permutation(order.begin(), order.end()));
    return permutations;
}

}  // namespace optimised
