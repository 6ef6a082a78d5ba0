// SPDX-License-Identifier: BSD-3-Clause
// The end of an engine's libssh2 session, off the io_context: libssh2_session_free closes
// the channels still open (CHANNEL_CLOSE, then the server's CLOSE: sshd sends it only once
// the command has ended) and frees everything; on a stopped server it would wait forever, so
// the teardown bound (libssh2::session::set_teardown_timeout) limits the wait, and then the
// connection is cut (shutdown(2)): libssh2 fails at once and frees.
//
// First one non-blocking try on the engine's strand: a session whose channels are all closed
// frees at once, without a thread (the common case: pexec ends 1000 such sessions). Otherwise
// a thread of its own takes the session, its transport (the outbox, still flushed) and its
// socket, and drives the non-blocking free with poll() until it is done or the bound passes.
// A thread per stuck teardown rather than one process-wide reaper thread: no shared queue, no
// lock and no wake-up channel between the io_context and the reaper, each teardown's bound is
// its own, and N stuck sessions end together within one bound (the threads sleep in poll);
// the cost, a thread for at most the bound plus a second, is paid only by sessions that did
// not end cleanly. A process-wide count of the teardowns under way lets the program's exit
// wait for them (libssh2 and its crypto library must outlive them).
#ifndef LIBSSH2_HPP_ASIO_TEARDOWN
#define LIBSSH2_HPP_ASIO_TEARDOWN

#include "outbox.hpp"
#include "../io/socket.hpp"

#include <libssh2_sftp.h>

#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>
#else
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <thread>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

namespace libssh2::asio::detail {

// The teardowns under way in this process (threads not yet done).
inline std::atomic<int> teardowns_running{0};

// How many teardowns are still under way: tests and benchmarks wait for 0.
inline int teardowns_in_progress() noexcept { return teardowns_running.load(); }

// The program's exit waits for the teardowns under way (each ends within its bound).
struct teardown_exit_wait {
    ~teardown_exit_wait() {
        while (teardowns_running.load() > 0) {
#ifdef _WIN32
            ::Sleep(10);
#else
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
#endif
        }
    }
};

// A libssh2 session (raw: no wrapper of the binding refers to it any more), its transport and
// its socket (closed at the end, if owned), to be freed within a bound.
class dying_session {
public:
    dying_session(LIBSSH2_SESSION *session, std::unique_ptr<transport> wire, libssh2_socket_t sock, long bound_ms,
                  bool cut, bool owns_socket) noexcept
        : session_(session), wire_(std::move(wire)), socket_(sock), bound_ms_(bound_ms), cut_(cut),
          owns_socket_(owns_socket) {}
    dying_session(const dying_session &) = delete;
    dying_session &operator=(const dying_session &) = delete;

    // One non-blocking try: whether all is freed and sent (the socket then closed).
    bool try_now() {
        if (cut_ || bound_ms_ <= 0) cut();
        if (!free_some()) return false;
        close_socket();
        return true;
    }

    // The rest, waiting on the socket: within the bound, then cut and within after_cut_ms.
    void finish() {
        using clock = std::chrono::steady_clock;
        auto deadline = clock::now() + std::chrono::milliseconds(cut_ ? libssh2::detail::after_cut_ms : bound_ms_);
        while (!free_some()) {
            const auto now = clock::now();
            if (now >= deadline) {
                if (cut_) {  // libssh2 did not fail fast after the cut: once more, blocking and bounded
                    free_blocking();
                    break;
                }
                cut();
                deadline = now + std::chrono::milliseconds(libssh2::detail::after_cut_ms);
                continue;
            }
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
            const short events = static_cast<short>(POLLIN | (wire_->out.waiting() > 0 ? POLLOUT : 0));
            libssh2::detail::poll_socket(socket_, events, static_cast<long>(std::min<long long>(left, 100)));
        }
        close_socket();
    }

private:
    // Flushes, then frees without blocking. Whether all is freed and sent (or the connection gone).
    bool free_some() {
        wire_->out.flush(socket_);
        auto &orphans = wire_->orphans;
        while (!orphans.empty()) {
            if (orphans.front().free(orphans.front().handle) == LIBSSH2_ERROR_EAGAIN) return false;
            orphans.erase(orphans.begin());
        }
        if (session_) {
            if (libssh2_session_free(session_) == LIBSSH2_ERROR_EAGAIN) return false;
            session_ = nullptr;
        }
        wire_->out.flush(socket_);
        return wire_->out.waiting() == 0;
    }

    // The last resort: what is left, each free blocking and bounded by libssh2's timeout.
    void free_blocking() {
        if (!session_) return;
        libssh2_session_set_blocking(session_, 1);
        libssh2_session_set_timeout(session_, libssh2::detail::after_cut_ms);
        for (const orphan &o : wire_->orphans) o.free(o.handle);
        wire_->orphans.clear();
        libssh2_session_free(session_);
        session_ = nullptr;
    }

    void cut() noexcept {
        if (cut_done_ || socket_ == LIBSSH2_INVALID_SOCKET) return;
        cut_ = cut_done_ = true;
#ifdef _WIN32
        ::shutdown(socket_, SD_BOTH);
#else
        ::shutdown(socket_, SHUT_RDWR);
#endif
    }

    void close_socket() noexcept {
        if (socket_ == LIBSSH2_INVALID_SOCKET || !owns_socket_) return;
#ifdef _WIN32
        ::closesocket(socket_);
#else
        ::close(socket_);
#endif
        socket_ = LIBSSH2_INVALID_SOCKET;
    }

    LIBSSH2_SESSION *session_;
    std::unique_ptr<transport> wire_;  // freed after the session: libssh2 sends through it
    libssh2_socket_t socket_;
    long bound_ms_;
    bool cut_;
    bool owns_socket_;
    bool cut_done_ = false;
};

// Leaves what an operation could not close within the teardown bound (a stopped server) to
// the teardown of session, an engine's: libssh2_session_free closes channels and listeners,
// but not SFTP files (nor an SFTP session's queued packets), which would leak.
inline void leave_to_teardown(LIBSSH2_SESSION *session, LIBSSH2_SFTP_HANDLE *file) {
    if (session && file)
        transport_of(libssh2_session_abstract(session))
            .orphans.push_back({file, [](void *h) { return libssh2_sftp_close_handle(static_cast<LIBSSH2_SFTP_HANDLE *>(h)); }});
}
inline void leave_to_teardown(LIBSSH2_SESSION *session, LIBSSH2_SFTP *sftp) {
    if (session && sftp)
        transport_of(libssh2_session_abstract(session))
            .orphans.push_back({sftp, [](void *s) { return libssh2_sftp_shutdown(static_cast<LIBSSH2_SFTP *>(s)); }});
}

// Frees dying now if it can, else on a thread of its own (or here, blocking within its bound,
// where no thread can be started).
inline void end_session(std::unique_ptr<dying_session> dying) {
    if (dying->try_now()) return;
    static teardown_exit_wait exit_wait;  // constructed after libssh2's crypto init: destroyed before its cleanup
    (void)exit_wait;
    ++teardowns_running;
#ifdef _WIN32
    auto run = [](LPVOID argument) -> DWORD {
        std::unique_ptr<dying_session> owned(static_cast<dying_session *>(argument));
        owned->finish();
        owned.reset();
        --teardowns_running;
        return 0;
    };
    dying_session *raw = dying.release();
    if (HANDLE thread = ::CreateThread(nullptr, 0, run, raw, 0, nullptr)) {
        ::CloseHandle(thread);
        return;
    }
    dying.reset(raw);
#else
    dying_session *raw = dying.release();
    try {
        std::thread([raw] {
            std::unique_ptr<dying_session> owned(raw);
            owned->finish();
            owned.reset();
            --teardowns_running;
        }).detach();
        return;
    } catch (...) {  // no thread to be had: here, then
        dying.reset(raw);
    }
#endif
    if (dying) dying->finish();
    --teardowns_running;
}

}  // namespace libssh2::asio::detail

#endif  // LIBSSH2_HPP_ASIO_TEARDOWN
