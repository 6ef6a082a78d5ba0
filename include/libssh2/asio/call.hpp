// SPDX-License-Identifier: BSD-3-Clause
// libssh2::asio::async_call: any call of the binding, asynchronous. The call is a callable
// (a lambda calling one method, factories included); the engine calls it until it no longer
// would block and completes with (error_code, its result unchanged):
//     auto [ec, channel] = co_await libssh2::asio::async_call(
//         s, [&] { return libssh2::channel::open_session(s.ssh()); }, as_tuple(use_awaitable));
// The error_code says why a call failed: a negative result (LIBSSH2_ERROR_*), or an empty
// object or null pointer with the session's last error, in libssh2::session_category(); an
// SFTP server's status in sftp_category(); errc::timeout for the operation timeout;
// operation_aborted for a cancellation.
//
// Any completion token: callbacks, use_awaitable, use_future, deferred. Per-operation
// cancellation through the handler's cancellation slot: a call not yet begun is cancelled
// without effect (any cancellation type); one libssh2 has begun stops only on terminal
// cancellation, and leaves its object unusable.
#ifndef LIBSSH2_HPP_ASIO_CALL
#define LIBSSH2_HPP_ASIO_CALL

#include "../io/wait.hpp"
#include "session.hpp"

#include <atomic>
#include <memory>
#include <type_traits>
#include <utility>

namespace libssh2::asio {
namespace detail {

inline std::atomic<std::uint64_t> last_call_id{0};

// The lock key (engine.hpp) of a call on an object: the state libssh2 keeps for it. Calls on
// an sftp_handle use their sftp's (libssh2 keeps one read, write, ... state per SFTP session);
// agent calls the session's (its userauth state). The session's calls and a channel's (other
// than its reads and writes) may send channel requests (sftp::init and scp send "subsystem" and
// "exec"): they take the session's requests lock too.
inline lock_key key_of(libssh2::session &s) noexcept { return {s.get(), lane::whole, s.get()}; }
inline lock_key key_of(channel &c) noexcept {
    return {c.get(), lane::whole, libssh2::detail::io_session_of(c)};
}
inline lock_key key_of(listener &l) noexcept { return {l.get(), lane::whole}; }
inline lock_key key_of(sftp &s) noexcept { return {s.get(), lane::whole}; }
inline lock_key key_of(sftp_handle &h) noexcept { return {libssh2::detail::io_sftp_of(h), lane::whole}; }
inline lock_key key_of(agent &a) noexcept {
    LIBSSH2_SESSION *session = libssh2::detail::io_session_of(a);
    return {session, lane::whole, session};
}
inline lock_key key_of(publickey &p) noexcept { return {p.get(), lane::whole}; }
inline lock_key key_of(knownhost &k) noexcept { return {k.get(), lane::whole}; }

// The SFTP session whose server status explains LIBSSH2_ERROR_SFTP_PROTOCOL, if any.
template <class Object>
LIBSSH2_SFTP *sftp_of(Object &) noexcept {
    return nullptr;
}
inline LIBSSH2_SFTP *sftp_of(sftp &s) noexcept { return s.get(); }
inline LIBSSH2_SFTP *sftp_of(sftp_handle &h) noexcept { return libssh2::detail::io_sftp_of(h); }

// Why a finished call failed, from its result: nothing when it did not.
template <class Result>
std::error_code failure_of(const Result &result, LIBSSH2_SESSION *session, LIBSSH2_SFTP *sftp) {
    int rc = 0;
    if constexpr (std::is_integral_v<Result>) {
        if constexpr (std::is_signed_v<Result>) {
            if (result < 0) rc = static_cast<int>(result);
        }
    } else if (!result) {
        rc = libssh2_session_last_errno(session);  // 0: a null that is an answer (userauth_list)
    }
    return rc ? libssh2::detail::sftp_failure(session, sftp, rc, std::string()).code : std::error_code();
}

// The operation async_call runs: one thin call, again until it no longer would block.
template <class Function>
class thin_call {
public:
    using result_type = std::decay_t<std::invoke_result_t<Function &>>;
    static_assert(!std::is_void_v<result_type>, "libssh2::asio::async_call: a call that returns nothing cannot block");

    thin_call(Function function, LIBSSH2_SESSION *session, lock_key key, LIBSSH2_SFTP *sftp)
        : function_(std::move(function)), session_(session), key_(key), sftp_(sftp) {}

    lock_key key() const noexcept { return key_; }
    step_result step(std::error_code &ec) {
        // A stale LIBSSH2_ERROR_EAGAIN would make a null answer look like "would block".
        if constexpr (!std::is_integral_v<result_type>) libssh2_session_set_last_error(session_, 0, "");
        result_ = function_();
        if (libssh2::detail::would_block(result_, session_)) return step_result::blocked;
        ec = failure_of(result_, session_, sftp_);
        return step_result::done;
    }
    result_type take() { return std::move(result_); }

private:
    Function function_;
    LIBSSH2_SESSION *session_;
    lock_key key_;
    LIBSSH2_SFTP *sftp_;
    result_type result_{};
};

// Whether Operation opens objects of its own (a composed operation): then it has opened(),
// close(std::error_code &) -> step_result and give_up(), for a stop (engine.hpp).
template <class Operation, class = void>
struct closes : std::false_type {};
template <class Operation>
struct closes<Operation, std::void_t<decltype(std::declval<Operation &>().give_up())>> : std::true_type {};

// A pending call (engine.hpp) running Operation: key(), step(std::error_code &) -> step_result,
// take() -> result_type. Completes Handler with (error_code, result_type) through the
// handler's executor, and keeps that executor's work until then.
template <class Operation, class Handler>
class call final : public pending_call {
public:
    using result_type = typename Operation::result_type;

    call(const std::shared_ptr<engine> &e, Operation operation, Handler handler)
        : operation_(std::move(operation)),
          handler_(std::move(handler)),
          work_(net::get_associated_executor(handler_, net::any_io_executor(e->strand()))) {
        id = ++last_call_id;
        auto slot = net::get_associated_cancellation_slot(handler_);
        if (slot.is_connected()) {
            slot.assign([weak = std::weak_ptr<engine>(e), call_id = id](net::cancellation_type type) {
                if (auto owner = weak.lock())
                    owner->stop(call_id, (type & net::cancellation_type::terminal) != net::cancellation_type::none);
            });
        }
    }

    lock_key key() const noexcept override { return operation_.key(); }
    step_result step() override {
        if constexpr (closes<Operation>::value) {
            if (closing) {
                std::error_code ignored;
                return operation_.close(ignored);
            }
        }
        return operation_.step(error_);
    }
    bool start_closing() override {
        if constexpr (closes<Operation>::value) return operation_.opened();
        return false;
    }
    void give_up() noexcept override {
        if constexpr (closes<Operation>::value) operation_.give_up();
    }
    void deliver(error_code stopped) override {
        auto slot = net::get_associated_cancellation_slot(handler_);
        if (slot.is_connected()) slot.clear();
        const error_code ec = stopped ? stopped : to_asio(error_);
        auto executor = work_.get_executor();
        net::post(executor, [handler = std::move(handler_), ec, result = operation_.take()]() mutable {
            std::move(handler)(ec, std::move(result));
        });
        work_.reset();
    }

private:
    Operation operation_;
    Handler handler_;
    std::error_code error_;
    net::executor_work_guard<net::associated_executor_t<Handler, net::any_io_executor>> work_;
};

// Starts operation on s, completing token with (error_code, result).
template <class Operation, class Token>
auto start_operation(session &s, Operation operation, Token &&token) {
    using result_type = typename Operation::result_type;
    return net::async_initiate<Token, void(error_code, result_type)>(
        [](auto handler, const std::shared_ptr<engine> &e, Operation op) {
            using handler_type = std::decay_t<decltype(handler)>;
            e->start(std::make_unique<call<Operation, handler_type>>(e, std::move(op), std::move(handler)));
        },
        token, s.engine(), std::move(operation));
}

struct channel_read {
    channel *ch;
    libssh2::span<char> buffer;
    int stream_id;
    ssize_t operator()() const { return ch->read_ex(stream_id, buffer.data(), buffer.size()); }
    static constexpr lane part = lane::reading;
};
struct channel_write {
    channel *ch;
    libssh2::text_view data;
    ssize_t operator()() const { return ch->write_ex(0, data.data(), data.size()); }
    static constexpr lane part = lane::writing;
};

// A channel read or write as a thin call in its lane.
template <class Io>
struct channel_io : thin_call<Io> {
    channel_io(session &s, channel &ch, Io io) : thin_call<Io>(io, s.ssh().get(), {ch.get(), Io::part}, nullptr) {}
};

}  // namespace detail

// Runs function() (a call of the binding) on s until it no longer would block; completes with
// (error_code, its result). Serialized with s's other session-level calls (userauth, channel
// and sftp factories, ...), which libssh2 keeps one state for.
template <class Function, class Token>
auto async_call(session &s, Function &&function, Token &&token) {
    using operation = detail::thin_call<std::decay_t<Function>>;
    return detail::start_operation(
        s, operation(std::forward<Function>(function), s.ssh().get(), detail::key_of(s.ssh()), nullptr),
        std::forward<Token>(token));
}

// The same for a call on object (a channel, sftp, sftp_handle, listener, agent, publickey or
// knownhost of s): serialized with the other calls on that object only, so that calls on
// different channels progress together.
template <class Object, class Function, class Token>
auto async_call(session &s, Object &object, Function &&function, Token &&token) {
    using operation = detail::thin_call<std::decay_t<Function>>;
    return detail::start_operation(s,
                                   operation(std::forward<Function>(function), s.ssh().get(),
                                             detail::key_of(object), detail::sftp_of(object)),
                                   std::forward<Token>(token));
}

// A channel's reads and writes: each lane apart from the other and from the channel's other
// calls, so that one channel can be read and written at once (a forwarded connection).
// Complete with the byte count; 0 from a read at the end of the stream.
template <class Token>
auto async_read_some(session &s, channel &ch, libssh2::span<char> buffer, Token &&token) {
    return detail::start_operation(s, detail::channel_io<detail::channel_read>{s, ch, {&ch, buffer, 0}},
                                   std::forward<Token>(token));
}
template <class Token>
auto async_read_stderr_some(session &s, channel &ch, libssh2::span<char> buffer, Token &&token) {
    return detail::start_operation(
        s, detail::channel_io<detail::channel_read>{s, ch, {&ch, buffer, SSH_EXTENDED_DATA_STDERR}},
        std::forward<Token>(token));
}
template <class Token>
auto async_write_some(session &s, channel &ch, libssh2::text_view data, Token &&token) {
    return detail::start_operation(s, detail::channel_io<detail::channel_write>{s, ch, {&ch, data}},
                                   std::forward<Token>(token));
}

}  // namespace libssh2::asio

#endif  // LIBSSH2_HPP_ASIO_CALL
