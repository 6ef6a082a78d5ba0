// SPDX-License-Identifier: BSD-3-Clause
// The transport of an engine's session: its LIBSSH2_CALLBACK_SEND and LIBSSH2_CALLBACK_RECV,
// which reach the session's transport through libssh2's abstract pointer (the engine owns it:
// install no callables of <libssh2/callbacks.hpp> on an asio session). libssh2 never sees a
// send that would block: the send callback takes every packet whole (workarounds.hpp,
// whole_packets), and what the socket does not take at once waits in the outbox, which the
// engine flushes when the socket is writable (and stops stepping calls while more than
// outbox::high_water bytes wait). The recv callback counts the bytes it reads: the engine
// steps its calls again when a call read bytes that may be another's. No lock: the session,
// its callbacks and its outbox are used by one thread at a time (the engine's strand, then the
// teardown that frees them).
#ifndef LIBSSH2_HPP_ASIO_OUTBOX
#define LIBSSH2_HPP_ASIO_OUTBOX

#include "config.hpp"
#include "workarounds.hpp"

#ifdef _WIN32
#include <winsock2.h>
#else
#include <sys/socket.h>
#endif

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace libssh2::asio::detail {

// ::send: the byte count, or the negative errno (-EAGAIN when the socket is full).
inline ssize_t send_some(libssh2_socket_t sock, const void *data, std::size_t length, int flags) noexcept {
#ifdef _WIN32
    const int n = ::send(sock, static_cast<const char *>(data), static_cast<int>(length), flags);
    if (n < 0) return WSAGetLastError() == WSAEWOULDBLOCK ? -EAGAIN : -ECONNRESET;
    return n;
#else
    const ssize_t n = ::send(sock, data, length, flags);
    if (n < 0) return errno == EINTR || errno == EWOULDBLOCK ? -EAGAIN : -errno;
    return n;
#endif
}

class outbox {
public:
    static constexpr std::size_t high_water = 4 * 1024 * 1024;

    // The send callback's work: sends what the socket takes, keeps the rest, and says all was
    // sent; after a failure, the failure (libssh2 then fails the call).
    ssize_t send(libssh2_socket_t sock, const void *data, std::size_t length, int flags) {
        if (failure_) return failure_;
        flags_ = flags;
        std::size_t taken = 0;
        if (pending() == 0) {
            const ssize_t n = send_some(sock, data, length, flags);
            if (n < 0 && n != -EAGAIN) return failure_ = n;
            taken = n > 0 ? static_cast<std::size_t>(n) : 0;
        }
        const char *rest = static_cast<const char *>(data) + taken;
        bytes_.insert(bytes_.end(), rest, rest + (length - taken));
        return static_cast<ssize_t>(length);
    }

    // Sends what waits, as much as the socket takes. Returns whether some still waits.
    bool flush(libssh2_socket_t sock) {
        while (pending() > 0 && !failure_) {
            const ssize_t n = send_some(sock, bytes_.data() + sent_, pending(), flags_);
            if (n == -EAGAIN) break;
            if (n < 0) {
                failure_ = n;
                break;
            }
            sent_ += static_cast<std::size_t>(n);
        }
        if (failure_ || pending() == 0) {
            bytes_.clear();
            sent_ = 0;
        } else if (sent_ > bytes_.size() / 2) {  // keep the buffer from growing at its front
            bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(sent_));
            sent_ = 0;
        }
        return pending() > 0;
    }

    std::size_t waiting() const noexcept { return pending(); }

private:
    std::size_t pending() const noexcept { return bytes_.size() - sent_; }

    std::vector<char> bytes_;
    std::size_t sent_ = 0;
    int flags_ = 0;
    ssize_t failure_ = 0;  // the negative errno of a failed send: the connection is gone
};

// A handle that a stopped operation could not close in time, freed (without blocking) by the
// session's teardown before the session: free returns LIBSSH2_ERROR_EAGAIN until done.
struct orphan {
    void *handle;
    int (*free)(void *handle);
};

// What libssh2's abstract pointer points at in an engine's session.
struct transport {
    outbox out;
    std::uint64_t received = 0;  // bytes read so far (the engine compares counts)
    std::uint64_t receive_until = 0;  // the step being run reads no more than this (0: no limit)
    std::vector<orphan> orphans;  // in the order given: an SFTP session's files before it
};

inline transport &transport_of(void **abstract) noexcept { return *static_cast<transport *>(*abstract); }

// LIBSSH2_CALLBACK_SEND of an engine's session.
inline ssize_t transport_send(libssh2_socket_t sock, const void *buffer, size_t length, int flags, void **abstract) {
    return transport_of(abstract).out.send(sock, buffer, length, flags);
}

// LIBSSH2_CALLBACK_RECV of an engine's session: libssh2's own recv, counting; the negative
// errno on failure, as libssh2 expects.
inline ssize_t transport_recv(libssh2_socket_t sock, void *buffer, size_t length, int flags, void **abstract) {
    transport &wire = transport_of(abstract);
    if (wire.receive_until != 0 && wire.received >= wire.receive_until) return -EAGAIN;  // as if drained
#ifdef _WIN32
    const int n = ::recv(sock, static_cast<char *>(buffer), static_cast<int>(length), flags);
    if (n < 0) {
        const int error = WSAGetLastError();
        return error == WSAEWOULDBLOCK ? -EAGAIN : -ECONNRESET;
    }
#else
    const ssize_t n = ::recv(sock, buffer, length, flags);
    if (n < 0) return errno == EINTR || errno == EWOULDBLOCK ? -EAGAIN : -errno;
#endif
    wire.received += static_cast<std::uint64_t>(n);
    return n;
}

}  // namespace libssh2::asio::detail

#endif  // LIBSSH2_HPP_ASIO_OUTBOX
