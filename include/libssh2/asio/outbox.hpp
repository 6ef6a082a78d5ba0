// SPDX-License-Identifier: BSD-3-Clause
// The send side of an engine's session: libssh2 never sees a send that would block. libssh2
// resumes a half-sent packet only when the call that began it is made again with the same
// buffer, and some calls build their packet on their own stack (channel send_eof and close):
// called again from another stack frame, they fail (libssh2 1.10: LIBSSH2_ERROR_SOCKET_SEND)
// or never finish (1.11: LIBSSH2_ERROR_EAGAIN forever). So the session's LIBSSH2_CALLBACK_SEND
// takes every packet whole: what the socket does not take at once waits in the session's
// outbox, which the engine flushes when the socket is writable (and stops stepping calls while
// more than outbox::high_water bytes wait).
#ifndef LIBSSH2_HPP_ASIO_OUTBOX
#define LIBSSH2_HPP_ASIO_OUTBOX

#include "config.hpp"

#ifdef _WIN32
#include <winsock2.h>
#else
#include <sys/socket.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <mutex>
#include <vector>

namespace libssh2::asio::detail {

// A lock for a few instructions at a time, also where std::mutex is not (MinGW's win32
// threads): for std::lock_guard.
class spin_lock {
public:
    void lock() noexcept {
        while (flag_.test_and_set(std::memory_order_acquire)) {
        }
    }
    void unlock() noexcept { flag_.clear(std::memory_order_release); }

private:
    std::atomic_flag flag_ = ATOMIC_FLAG_INIT;
};

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
        std::lock_guard<spin_lock> lock(mutex_);
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
        std::lock_guard<spin_lock> lock(mutex_);
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

    std::size_t waiting() const {
        std::lock_guard<spin_lock> lock(mutex_);
        return pending();
    }

private:
    std::size_t pending() const noexcept { return bytes_.size() - sent_; }

    mutable spin_lock mutex_;
    std::vector<char> bytes_;
    std::size_t sent_ = 0;
    int flags_ = 0;
    ssize_t failure_ = 0;  // the negative errno of a failed send: the connection is gone
};

// Which outbox a socket's sends go to: the send callback gets the socket, not the engine.
class outbox_registry {
public:
    static outbox_registry &instance() {
        static outbox_registry registry;
        return registry;
    }
    void add(libssh2_socket_t sock, outbox *box) {
        std::lock_guard<spin_lock> lock(mutex_);
        entries_.push_back({sock, box});
    }
    void remove(outbox *box) {
        std::lock_guard<spin_lock> lock(mutex_);
        entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [&](const entry &e) { return e.box == box; }),
                       entries_.end());
    }
    outbox *find(libssh2_socket_t sock) {
        std::lock_guard<spin_lock> lock(mutex_);
        for (const entry &e : entries_)
            if (e.sock == sock) return e.box;
        return nullptr;
    }

private:
    struct entry {
        libssh2_socket_t sock;
        outbox *box;
    };
    spin_lock mutex_;
    std::vector<entry> entries_;
};

// LIBSSH2_CALLBACK_SEND of an engine's session; a socket without an outbox (the engine is being
// destroyed, its outbox flushed) is sent to directly.
inline ssize_t outbox_send(libssh2_socket_t sock, const void *buffer, size_t length, int flags, void **) {
    if (outbox *box = outbox_registry::instance().find(sock)) return box->send(sock, buffer, length, flags);
    return send_some(sock, buffer, length, flags);
}

}  // namespace libssh2::asio::detail

#endif  // LIBSSH2_HPP_ASIO_OUTBOX
