// SPDX-License-Identifier: BSD-3-Clause
// Compiled (never linked or run) by tests/check-windows-compile with MinGW-w64 for _WIN32:
// a Windows program as a user writes it, on Winsock, with a SOCKET where POSIX has an int.
// Connects, verifies the host key, logs in with a key, runs a command and prints its output.
//
//   consumer HOST PORT USER PRIVATE_KEY KNOWN_HOSTS COMMAND
#include <winsock2.h>
#include <ws2tcpip.h>

#include <libssh2.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {

SOCKET connect_to(const char *host, const char *port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    if (getaddrinfo(host, port, &hints, &found) != 0) return INVALID_SOCKET;
    SOCKET sock = INVALID_SOCKET;
    for (addrinfo *a = found; a && sock == INVALID_SOCKET; a = a->ai_next) {
        sock = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (sock != INVALID_SOCKET && connect(sock, a->ai_addr, static_cast<int>(a->ai_addrlen)) != 0) {
            closesocket(sock);
            sock = INVALID_SOCKET;
        }
    }
    freeaddrinfo(found);
    return sock;
}

int run(SOCKET sock, char **argv) {
    const std::string host = argv[1], port = argv[2], user = argv[3], key = argv[4];
    libssh2::session session = libssh2::session::init();
    if (!session || session.handshake(sock) != 0) return 255;
    session.set_teardown_timeout(5000);

    libssh2::knownhost known = libssh2::knownhost::init(session);
    size_t length = 0;
    int type = 0;
    const char *host_key = session.hostkey(&length, &type);
    if (!known || !host_key || known.readfile(std::string(argv[5]), LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0 ||
        known.checkp(host, std::stoi(port), libssh2::text_view(host_key, length),
                     LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, nullptr) != LIBSSH2_KNOWNHOST_CHECK_MATCH)
        return 255;
    if (libssh2::userauth::publickey_fromfile(session, user, key + ".pub", key, "") != 0) return 255;

    libssh2::channel channel = libssh2::channel::open_session(session);
    if (!channel || channel.exec(std::string(argv[6])) != 0) return 255;
    std::vector<char> buffer(4096);
    for (ssize_t n; (n = channel.read(buffer)) > 0;) std::fwrite(buffer.data(), 1, static_cast<size_t>(n), stdout);
    channel.close();
    channel.wait_closed();
    return channel.get_exit_status();
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 7) return 2;
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return 255;
    int status = 255;
    if (libssh2::init(0) == 0) {
        const SOCKET sock = connect_to(argv[1], argv[2]);
        if (sock != INVALID_SOCKET) {
            status = run(sock, argv);
            closesocket(sock);
        }
        libssh2::exit();
    }
    WSACleanup();
    return status;
}
