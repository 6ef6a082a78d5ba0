// SPDX-License-Identifier: BSD-3-Clause
// A throwaway OpenSSH server on 127.0.0.1 for the tests, driven by scripts/test-sshd.
//
// The server is process-wide: the first sshd() call creates a temporary directory
// (under $TMPDIR or /tmp), runs `test-sshd start DIR --parent <our pid>` and reads what
// the script wrote in DIR/env (SSHD_* variables: names, paths, port), the one description
// of the server; nothing here repeats a name or path the script chooses. It is stopped and DIR removed by stop_sshd() or,
// failing that, at normal process exit (std::atexit, which also runs when Catch2
// assertions failed). If the process crashes, the script's watchdog stops the server
// within about half a second.
//
// The script path is the string-literal macro TEST_SSHD_SCRIPT if the build defines it,
// otherwise the environment variable TEST_SSHD_SCRIPT.
//
// No dependency on libssh2 or Catch2.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace test_support {

struct sshd_server {
    std::string dir;           // the server's temporary directory
    std::string host;          // "127.0.0.1"
    std::string user;          // user name to log in as (the current user)
    std::string key;           // ed25519 private key, no passphrase
    std::string pubkey;        // its .pub
    std::string rsa_key;       // RSA 3072 private key, no passphrase
    std::string rsa_pubkey;    // its .pub
    std::string pass_key;      // ed25519 private key, passphrase "secret-passphrase"
    std::string pass_pubkey;   // its .pub
    std::string known_hosts;   // path of a known_hosts file with one line: "[127.0.0.1]:PORT ssh-ed25519 AAAA..."
    std::string host_key_pub;  // the server's ssh_host_ed25519_key.pub (ssh_host_rsa_key.pub with TEST_SSHD_KEYS=rsa-pem)
    std::string host_key_type; // its type as the .pub names it: "ssh-ed25519" ("ssh-rsa")
    std::string publickey_store;  // keys of the "publickey" subsystem (tests/support/publickey_subsystem.py)
    int port = 0;
    std::string host_key_base64;               // base64 blob from the .pub line
    std::vector<unsigned char> host_key_blob;  // decoded blob (compare with libssh2_session_hostkey)
};

// Passphrase of sshd_server::pass_key.
inline constexpr const char* sshd_key_passphrase = "secret-passphrase";

// Process-wide server, started on the first call. Throws std::runtime_error with the
// script's output if it cannot start. The reference stays valid; after stop_sshd() the
// next call starts a fresh server (new directory, port and keys) in the same object.
const sshd_server& sshd();

// Stops the server (test-sshd stop DIR) and removes its directory. No-op if not running.
void stop_sshd();

// A second, separate server in test-sshd's password-user mode (setup --password-user):
// besides the fixture's keys for `user` it has a user of its own, `password_user`, that
// exists only for that sshd (and its sessions: in its private mount namespace, or through
// nss_wrapper/pam_wrapper where unshare is refused), and accepts password,
// keyboard-interactive (PAM) and host-based authentication for it. Needs root, and unshare
// or the cwrap libraries; where the machine cannot provide them, skip_reason says why and
// the tests skip (every other field is then empty).
struct sshd_password_server : sshd_server {
    std::string skip_reason;
    std::string password_user;    // exists only for this sshd
    std::string password;         // its password (random per server)
    std::string client_hostname;  // host-based: accepted client host name (~/.shosts, ~/.ssh/known_hosts)
    std::string client_host_key;            // host-based: ECDSA client host key, no passphrase
    std::string client_host_pubkey;         // its .pub
    std::string client_host_ed25519_key;    // host-based: ed25519 client host key, also accepted
    std::string client_host_ed25519_pubkey; // its .pub
    std::string other_local_user;  // a second client-side user name ~/.shosts accepts
    std::string log;               // the sshd's log file (LogLevel VERBOSE)
};

// Process-wide password-user server, started on the first call (or, if unavailable, the
// reason remembered). Throws std::runtime_error if the machine could run it but it fails.
const sshd_password_server& sshd_password();

// Stops the password-user server and removes its directory. No-op if not running.
void stop_sshd_password();

// TCP socket connected to 127.0.0.1:port (blocking, close-on-exec); the caller closes it.
// Throws std::runtime_error with strerror on failure.
int connect_tcp(int port);

// Runs `command` with /bin/sh (popen) and returns {exit status, stdout}. stderr is not
// captured (append 2>&1 to get it). A command killed by signal N gives 128 + N.
std::pair<int, std::string> run_command(const std::string& command);

}  // namespace test_support
