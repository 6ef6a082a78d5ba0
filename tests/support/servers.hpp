// SPDX-License-Identifier: BSD-3-Clause
// The three SSH servers the cross-server tests run against: OpenSSH's sshd (the fixture's,
// sshd()), Dropbear and a python3-asyncssh server (tests/support/asyncssh_server.py), the last
// two started by tests/support/test_servers.py as scripts/test-sshd starts sshd: throwaway
// keys, a free port on 127.0.0.1, stopped by PID at exit, a watchdog that stops them if this
// process dies. Each is described by its DIR/env, read like sshd's (server_env.hpp); the
// fields only test-sshd's sshd has (RSA and passphrase keys, the publickey store) are empty.
//
// The launcher's path is the string-literal macro TEST_SERVERS_SCRIPT if the build defines it,
// otherwise the environment variable TEST_SERVERS_SCRIPT. No dependency on Catch2.
#pragma once

#include "connection.hpp"
#include "sshd_server.hpp"

namespace test_support {

enum class server_kind { openssh, dropbear, asyncssh };
inline constexpr server_kind every_server_kind[] = {server_kind::openssh, server_kind::dropbear,
                                                    server_kind::asyncssh};

// "OpenSSH", "Dropbear", "asyncssh": for test names and messages.
const char* name_of(server_kind kind);

// Process-wide server of that kind, started on the first call. Throws std::runtime_error with
// the launcher's output (for a missing server: what to install) if it cannot start.
const sshd_server& server(server_kind kind);

// A connection to that server, handshaken and logged in as its user with its ed25519 key.
connection login(server_kind kind);

}  // namespace test_support
