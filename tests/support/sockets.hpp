// SPDX-License-Identifier: BSD-3-Clause
// The few socket spellings that differ between POSIX and Winsock, for tests that open their
// own listeners and connections: the handle type, its invalid value, closing, the address
// length type, poll(). On Windows, Winsock is started by tests/support/sshd_server_windows.cpp.
#pragma once

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace test_support {

#ifdef _WIN32
using native_socket = SOCKET;
using address_length = int;
inline constexpr native_socket invalid_socket = INVALID_SOCKET;
inline void close_socket(native_socket s) { ::closesocket(s); }
#else
using native_socket = int;
using address_length = socklen_t;
inline constexpr native_socket invalid_socket = -1;
inline void close_socket(native_socket s) { ::close(s); }
#endif

// A pollfd for socket (held as an int by the tests, a SOCKET on Windows) and events.
inline pollfd poll_entry(long long socket, short events) {
    pollfd entry{};
    entry.fd = static_cast<native_socket>(socket);
    entry.events = events;
    return entry;
}

// poll(2), or WSAPoll, Winsock's poll.
inline int poll_sockets(pollfd *entries, unsigned count, int timeout_ms) {
#ifdef _WIN32
    return ::WSAPoll(entries, count, timeout_ms);
#else
    return ::poll(entries, count, timeout_ms);
#endif
}

}  // namespace test_support
