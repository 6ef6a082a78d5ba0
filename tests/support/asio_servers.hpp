// SPDX-License-Identifier: BSD-3-Clause
// asio_session.hpp's login and connect, for any of the three servers (servers.hpp).
#pragma once

#include "asio_session.hpp"
#include "servers.hpp"

namespace test_support {

// The server's user and ed25519 key, checked against its known_hosts.
inline libssh2::asio::login_options asio_login(server_kind kind) {
    const sshd_server &s = server(kind);
    libssh2::asio::login_options options;
    options.user = s.user;
    options.known_hosts = s.known_hosts;
    options.private_key = s.key;
    options.public_key = s.pubkey;
    return options;
}

// Connects and logs s in to that server, running io until done (10 s at most: then
// std::errc::timed_out). Returns async_connect's error.
inline std::error_code asio_connect(::asio::io_context &io, libssh2::asio::session &s, server_kind kind) {
    std::error_code result = make_error_code(std::errc::interrupted);
    libssh2::asio::async_connect(s, server(kind).host, static_cast<unsigned short>(server(kind).port),
                                 asio_login(kind),
                                 [&](std::error_code ec, libssh2::host_key_verification) { result = ec; });
    if (!run_within(io, std::chrono::seconds(10))) return make_error_code(std::errc::timed_out);
    return result;
}

}  // namespace test_support
