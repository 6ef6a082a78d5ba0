// SPDX-License-Identifier: BSD-3-Clause
// test_support::sshd() for the Windows tests, which run under Wine (scripts/wine-test): a
// Windows program cannot run scripts/test-sshd, so the Linux side starts the throwaway sshd
// (`test-sshd run`, with TEST_SSHD_KEYS=rsa-pem) and hands it over in the environment, the
// same SSHD_* variables that DIR/env exports and tests/support/sshd_server.cpp reads; Wine
// passes the Unix environment through. Paths stay Unix paths: Wine opens "/tmp/..." on the
// current drive, Z:, which is the Unix root (scripts/wine-test runs the test from a Unix
// directory).
//
// What needs the Linux side at run time: /bin/sh commands are run there on request
// (run_command); stopping and restarting the server and the password-user server are not
// available: stop_sshd() throws, sshd_password() reports a skip reason.
#include "sshd_server.hpp"

#include "bytes.hpp"
#include "linux_side.hpp"
#include "server_env.hpp"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace test_support {
namespace {

// Winsock needs WSAStartup before any socket call, the binding's tcp_connect included
// (include/libssh2/io/socket.hpp leaves it to the program): done once, before main.
struct winsock_started {
    winsock_started() {
        WSADATA data;
        if (WSAStartup(MAKEWORD(2, 2), &data) != 0) std::abort();
    }
};
const winsock_started winsock;

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string("test_support::sshd: ") + name +
                                 " is not set: run the Windows tests through scripts/wine-test, "
                                 "which starts the sshd and exports SSHD_*");
    }
    return value;
}

sshd_server read_environment() {
    sshd_server s;
    s.dir = environment("SSHD_DIR");
    s.host = environment("SSHD_HOST");
    s.user = environment("SSHD_USER");
    s.port = std::stoi(environment("SSHD_PORT"));
    s.key = environment("SSHD_KEY");
    s.pubkey = environment("SSHD_PUBKEY");
    s.rsa_key = environment("SSHD_RSA_KEY");
    s.rsa_pubkey = environment("SSHD_RSA_PUBKEY");
    s.pass_key = environment("SSHD_PASS_KEY");
    s.pass_pubkey = environment("SSHD_PASS_PUBKEY");
    s.known_hosts = environment("SSHD_KNOWN_HOSTS");
    s.host_key_pub = environment("SSHD_HOST_KEY_PUB");
    s.publickey_store = environment("SSHD_PUBLICKEY_STORE");
    std::ifstream in(s.host_key_pub, std::ios::binary);
    in >> s.host_key_type >> s.host_key_base64;  // "ssh-rsa AAAA... comment"
    if (s.host_key_base64.empty()) throw std::runtime_error("test_support::sshd: cannot read " + s.host_key_pub);
    s.host_key_blob = base64_decode(s.host_key_base64);
    return s;
}

}  // namespace

const sshd_server& sshd() {
    static std::once_flag once;
    static sshd_server server;
    std::call_once(once, [] { server = read_environment(); });
    return server;
}

void stop_sshd() {
    throw std::runtime_error("test_support::stop_sshd: the Windows tests cannot stop the sshd "
                             "scripts/wine-test started for them");
}

const sshd_password_server& sshd_password() {
    static const sshd_password_server unavailable = [] {
        sshd_password_server s;
        s.skip_reason = "the password-user sshd needs scripts/test-sshd's setup as root on the "
                        "Linux side; the Windows tests get only the plain sshd (scripts/wine-test)";
        return s;
    }();
    return unavailable;
}

void stop_sshd_password() {}

int connect_tcp(int port) {
    const SOCKET s = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET) {
        throw std::runtime_error("test_support::connect_tcp: socket: WSA error " + std::to_string(WSAGetLastError()));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int error = WSAGetLastError();
        ::closesocket(s);
        throw std::runtime_error("test_support::connect_tcp: connect to 127.0.0.1:" + std::to_string(port) +
                                 ": WSA error " + std::to_string(error));
    }
    // The tests hold sockets as int, as on POSIX; Winsock's handles are small numbers (and
    // Wine's too), so the round trip through int keeps the value.
    return static_cast<int>(s);
}

// A Windows program has no /bin/sh: the Linux side runs the command (scripts/wine-test), asked
// through a file in $SSHD_DIR/control, as tests/support/server_signal.hpp asks for signals.
std::pair<int, std::string> run_command(const std::string& command) {
    static std::mutex one_at_a_time;
    static int requests = 0;
    std::lock_guard<std::mutex> lock(one_at_a_time);
    const std::string base = ask_linux_side("run", ++requests, "RUN\n" + command + "\n", std::chrono::seconds(60));
    std::ifstream done(base + ".done", std::ios::binary);
    std::string word;
    int status = -1;
    done >> word >> status;
    std::ifstream out(base + ".out", std::ios::binary);
    std::ostringstream text;
    text << out.rdbuf();
    return {status, text.str()};
}

}  // namespace test_support
