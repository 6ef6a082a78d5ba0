// SPDX-License-Identifier: BSD-3-Clause
// What the tests of <libssh2/asio.hpp> share: login options for the fixture's sshd, and
// running an io_context within a time bound.
#pragma once

#include <libssh2/asio.hpp>

#include <asio/io_context.hpp>

#include <chrono>
#include <string>

#include "sshd_server.hpp"

namespace test_support {

// The fixture's user and ed25519 key, checked against its known_hosts.
inline libssh2::asio::login_options asio_login() {
    libssh2::asio::login_options options;
    options.user = sshd().user;
    options.known_hosts = sshd().known_hosts;
    options.private_key = sshd().key;
    options.public_key = sshd().pubkey;
    return options;
}

inline unsigned short sshd_port() { return static_cast<unsigned short>(sshd().port); }

// Runs io until it has no more work or limit passes; true when it ran out of work (every
// operation completed), false when the limit passed first.
inline bool run_within(::asio::io_context &io, std::chrono::milliseconds limit) {
    io.restart();
    io.run_for(limit);
    return io.stopped();
}

}  // namespace test_support
