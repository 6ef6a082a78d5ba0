// SPDX-License-Identifier: BSD-3-Clause
// libssh2::asio::session: a libssh2 session in non-blocking mode, the TCP socket it runs on, and
// the engine that runs its calls (engine.hpp), on a strand of the executor it is made with, so
// that io_context::run may run on several threads. A moved-from session is empty: using it is
// misuse, reported like the thin classes' (LIBSSH2_HPP_ASSERT: a message and abort() in a
// debug build).
#ifndef LIBSSH2_HPP_ASIO_SESSION
#define LIBSSH2_HPP_ASIO_SESSION

#include "engine.hpp"

#include <chrono>
#include <memory>
#include <type_traits>

namespace libssh2::asio {

class session {
public:
    using executor_type = net::any_io_executor;

    // Throws std::bad_alloc when libssh2 cannot make a session.
    explicit session(const executor_type &executor) : engine_(std::make_shared<detail::engine>(executor)) {}
    template <class ExecutionContext,
              std::enable_if_t<std::is_convertible_v<ExecutionContext &, net::execution_context &>, int> = 0>
    explicit session(ExecutionContext &context) : session(context.get_executor()) {}

    session(session &&) noexcept = default;
    session &operator=(session &&other) noexcept {
        if (this != &other) {
            if (engine_) engine_->close();
            engine_ = std::move(other.engine_);
        }
        return *this;
    }
    session(const session &) = delete;
    session &operator=(const session &) = delete;

    // Pending operations complete with net::error::operation_aborted at once. The libssh2
    // session is then freed and the socket closed off the io_context (teardown.hpp): at once
    // if its channels are closed, else within ssh().teardown_timeout(), on a thread of its own.
    ~session() {
        if (engine_) engine_->close();
    }

    // The session's strand: its operations' intermediate steps run there.
    executor_type get_executor() const noexcept { return checked("asio::session::get_executor").strand(); }

    // The thin session, for the calls given to async_call. Non-blocking: a call on it outside
    // the engine sees LIBSSH2_ERROR_EAGAIN like any non-blocking libssh2 caller.
    libssh2::session &ssh() noexcept { return checked("asio::session::ssh").ssh(); }
    // The socket it runs on (connected by async_connect, or by the caller before handshake).
    net::ip::tcp::socket &socket() noexcept { return checked("asio::session::socket").socket(); }

    // The time limit of each operation started from now on, its steps and waits together; 0
    // (the default) for none. An operation that runs out completes with libssh2::errc::timeout
    // and cuts the connection: a server that did not answer in time is taken as gone (libssh2
    // may be mid-packet), and the session's other operations fail at once.
    void set_operation_timeout(std::chrono::milliseconds timeout) noexcept {
        checked("asio::session::set_operation_timeout").set_timeout(timeout);
    }
    std::chrono::milliseconds operation_timeout() const noexcept {
        return checked("asio::session::operation_timeout").timeout();
    }

    // Completes every pending operation with net::error::operation_aborted; those libssh2 had
    // begun leave their objects (and, with a packet half sent, the session) unusable.
    void cancel() { checked("asio::session::cancel").stop_all(false); }

    // The engine, for the operations (an asynchronous operation started on it).
    const std::shared_ptr<detail::engine> &engine() const noexcept {
        checked("asio::session (an operation started on it)");
        return engine_;
    }

private:
    detail::engine &checked(const char *method) const noexcept {
        (void)method;
        LIBSSH2_HPP_ASSERT(engine_ != nullptr, method);
        return *engine_;
    }

    std::shared_ptr<detail::engine> engine_;
};

}  // namespace libssh2::asio

#endif  // LIBSSH2_HPP_ASIO_SESSION
