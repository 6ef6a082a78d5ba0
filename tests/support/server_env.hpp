// SPDX-License-Identifier: BSD-3-Clause
// How a test server is described: the launcher that starts it (scripts/test-sshd for OpenSSH's
// sshd, tests/support/test_servers.py for Dropbear and asyncssh) writes DIR/env, SSHD_*
// variables as shell `export NAME=value` lines (values shell-quoted). Shared by sshd_server.cpp
// and servers.cpp, so that every server is read the same way.
#pragma once

#include <map>
#include <string>

#include "sshd_server.hpp"

namespace test_support {

// The SSHD_* variables of DIR/env, read by the shell that wrote them.
using server_env = std::map<std::string, std::string>;
server_env read_env(const std::string& dir);

// env's value of name; throws std::runtime_error if it has none.
const std::string& required(const server_env& env, const std::string& name);

// Fills what every server has into s: dir, host, user, port, key, pubkey, known_hosts,
// host_key_pub and its blob. The rest stays empty.
void read_server_env(sshd_server& s, const server_env& env);

// s in single quotes, for /bin/sh.
std::string shell_quote(const std::string& s);

// A new directory $TMPDIR/prefix.XXXXXX (or under /tmp); throws std::runtime_error.
std::string make_server_dir(const std::string& prefix);

}  // namespace test_support
