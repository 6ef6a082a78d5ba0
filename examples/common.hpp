// SPDX-License-Identifier: BSD-3-Clause
// What every example shares: the command line, connecting, verifying the host key against
// a known_hosts file, key authentication, waiting on the socket in non-blocking mode, and
// a progress bar. Each example is one short main() on top of this.
//
//   PROG [options] [USER@]HOST[:PORT] OPERANDS...
//     -i KEY          private key (public key: KEY.pub if it exists)
//     -o KNOWN_HOSTS  known_hosts file (default ~/.ssh/known_hosts)
//     -p PORT         port when HOST has no :PORT (default 22)
//     --timeout SECONDS  give up on connecting, the handshake or any stall after this long (30)
//     -h, --help
//
// Options come before [USER@]HOST. Exit status: 0 success, 1 failure, 2 usage error
// (ssh2_exec: the remote command's own status, 255 when ssh itself fails).
#pragma once

#include <libssh2/io.hpp>

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace example {

// A failure to report: main() prints "PROG: what" and exits non-zero.
struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// An example's own option: a flag ("-a") or an option with a value ("--max-connections N").
struct option {
    const char *name;
    const char *value_name;  // nullptr for a flag
    const char *help;
    std::string *value;      // set to the value; "1" for a flag
};

struct usage {
    const char *operands;    // after [USER@]HOST[:PORT], e.g. "REMOTE_PATH [LOCAL_PATH]"
    const char *summary;     // what the program does, for --help
    int min_operands;
    int max_operands;        // -1: any number
    std::vector<option> options = {};
    bool key_option = true;  // offers -i KEY
};

// Where to connect and how, from the command line.
struct target {
    std::string user, host;
    int port = 22;
    std::string key;          // -i; empty: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa
    std::string known_hosts;  // -o; default ~/.ssh/known_hosts
    int timeout_s = 30;       // --timeout
    std::vector<std::string> operands;
};

// Parses the command line, then runs body(target) and returns its exit status. --help
// prints the usage and returns 0; a usage error returns 2; an example::error (or any
// std::exception) thrown by body is printed as "PROG: message" and returns failure_status.
int run(int argc, char **argv, const usage &u, const std::function<int(target &)> &body, int failure_status = 1);

// A TCP connection and its SSH session, host key verified. Every blocking libssh2 call gives
// up after the target's timeout. The destructor disconnects, frees the session (and whatever
// channels, SFTP sessions, ... are left), then closes the socket, in that order.
class connection {
public:
    // Connects, handshakes and checks the server's host key against t.known_hosts:
    // throws example::error unless the key is listed there for HOST (or [HOST]:PORT).
    explicit connection(const target &t);
    ~connection();
    connection(const connection &) = delete;
    connection &operator=(const connection &) = delete;

    // Public key authentication as t.user with t.key (or the default keys). A key with a
    // passphrase asks for it: SSH_ASKPASS when set (and SSH_ASKPASS_REQUIRE is not "never")
    // or there is no terminal, else a prompt on the terminal.
    void authenticate_with_key(const target &t);

    // Waits until the socket is ready in the direction libssh2 last blocked on (after
    // LIBSSH2_ERROR_EAGAIN in non-blocking mode); throws after the target's timeout without
    // it (timeout_ms >= 0: returns after that long instead).
    void wait_socket(int timeout_ms = -1);

    // Calls op() until it no longer would block (non-blocking mode), at most the target's
    // timeout; returns its result (libssh2::retry).
    template <class Op>
    auto retry(Op &&op) {
        return libssh2::retry(session, socket_.get(), std::forward<Op>(op), std::chrono::milliseconds(timeout_ms_));
    }

    // Throws example::error("what: libssh2's last error message").
    [[noreturn]] void fail(const std::string &what);
    // The same for an SFTP request: the server's status ("no such file", ...) when it sent one.
    [[noreturn]] void fail(const std::string &what, libssh2::sftp &sftp);

    libssh2_socket_t socket() const { return socket_.get(); }
    std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(timeout_ms_); }

private:
    // Destroyed in reverse order: the session first, then its socket, then libssh2 itself.
    libssh2::library library_;
    libssh2::socket socket_;
    int timeout_ms_ = 30000;

public:
    libssh2::session session;
};

// A progress bar on stdout while stdout is a terminal; silent otherwise.
class progress {
public:
    progress(std::string name, std::uint64_t total);
    void update(std::uint64_t done);
    void finish();

private:
    void draw(bool final);
    std::string name_;
    std::uint64_t total_, done_ = 0;
    bool enabled_;
    double start_, last_draw_ = 0;
};

// "1.5 MiB" and the like.
std::string human_size(double bytes);

// The last component of a path.
std::string base_name(const std::string &path);

// A local regular file opened for reading; throws example::error if it cannot be.
class local_source {
public:
    explicit local_source(const std::string &path);
    ~local_source();
    local_source(const local_source &) = delete;
    local_source &operator=(const local_source &) = delete;

    // Up to size bytes; 0 at the end. Throws on a read error.
    std::size_t read(char *buffer, std::size_t size);
    const struct stat &status() const { return status_; }

private:
    std::string path_;
    int fd_;
    struct stat status_ {};
};

// A download's local file: written as PATH.part, renamed to PATH by commit() once complete
// (after an fsync, so that a crash cannot leave PATH empty), removed if never committed.
class local_destination {
public:
    local_destination(std::string path, mode_t mode);
    ~local_destination();
    local_destination(const local_destination &) = delete;
    local_destination &operator=(const local_destination &) = delete;

    void write(const char *data, std::size_t size);  // all of it, or throws
    void commit();

private:
    std::string path_, part_;
    int fd_;
    bool committed_ = false;
};

}  // namespace example
