// SPDX-License-Identifier: BSD-3-Clause
// What the tests of <libssh2/asio.hpp> share: login options for the fixture's sshd, and
// running an io_context within a time bound.
#pragma once

#include <libssh2/asio.hpp>

#include <asio/io_context.hpp>

#include <chrono>
#include <string>
#include <system_error>
#include <utility>

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

// Connects and logs s in to the fixture's sshd with options (asio_login() by default),
// running io until done (10 s at most: then std::errc::timed_out). Returns async_connect's
// error; the host key's verification in *verification, if given.
inline std::error_code asio_connect(::asio::io_context &io, libssh2::asio::session &s,
                                    const libssh2::asio::login_options &options = asio_login(),
                                    libssh2::host_key_verification *verification = nullptr) {
    std::error_code result = make_error_code(std::errc::interrupted);
    libssh2::asio::async_connect(s, sshd().host, sshd_port(), options,
                                 [&](std::error_code ec, libssh2::host_key_verification v) {
                                     result = ec;
                                     if (verification) *verification = std::move(v);
                                 });
    if (!run_within(io, std::chrono::seconds(10))) return make_error_code(std::errc::timed_out);
    return result;
}

// Runs command on s with async_exec, running io until done (10 s at most: then
// std::errc::timed_out in ec). Returns its result; its error in ec.
inline libssh2::asio::exec_result asio_exec(::asio::io_context &io, libssh2::asio::session &s,
                                            const std::string &command, std::error_code &ec) {
    libssh2::asio::exec_result result;
    ec = make_error_code(std::errc::interrupted);
    libssh2::asio::async_exec(s, command, [&](std::error_code e, libssh2::asio::exec_result r) {
        ec = e;
        result = std::move(r);
    });
    if (!run_within(io, std::chrono::seconds(10))) ec = make_error_code(std::errc::timed_out);
    return result;
}

}  // namespace test_support
