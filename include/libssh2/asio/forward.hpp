// SPDX-License-Identifier: BSD-3-Clause
// libssh2::asio::async_forward_local: a local port forward, as `ssh -L`. Every connection the
// acceptor takes gets a direct-tcpip channel to remote_host:remote_port (the server connects
// there), and bytes are copied both ways at once: socket to channel, channel to socket. An end
// of stream goes across as one (the socket's end: the channel's EOF; the channel's EOF: a
// shutdown of the socket's sending side), so half-closed connections work; a connection is
// done, its channel closed and its socket closed, once both ways have ended or either failed.
//
// The operation runs until it is cancelled (any cancellation type, through the handler's
// cancellation slot: it stops accepting, closes its connections and completes with
// operation_aborted) or until the acceptor fails or the SSH session does (a channel that
// cannot be opened for another reason than the server's refusal, or a connection failing with
// a session error: that error). A server's refusal (LIBSSH2_ERROR_CHANNEL_FAILURE: nothing
// listens at the target, or forwarding is not allowed) closes that one connection. Completes
// with (error_code) once every connection is closed.
//
// Everything runs on the session's strand: io_context::run may run on several threads (emit
// the cancellation signal there too, as Asio wants it emitted where the operation runs). The
// session and the acceptor must outlive the operation, and the acceptor is used from the
// session's strand while it runs (close it from there too: net::post(s.get_executor(), ...)).
// The session's operation timeout, if set, bounds each read of a channel too: a connection
// idle for longer ends with errc::timeout, and the engine then cuts the session; leave it 0
// (the default) on a session that forwards.
#ifndef LIBSSH2_HPP_ASIO_FORWARD
#define LIBSSH2_HPP_ASIO_FORWARD

#include "call.hpp"

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#ifdef LIBSSH2_HPP_ASIO_BOOST
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/write.hpp>
#else
#include <asio/bind_executor.hpp>
#include <asio/write.hpp>
#endif

namespace libssh2::asio {
namespace detail {

// Starts an operation on the engine itself (the forward keeps the engine, not the session
// object, so that a session destroyed under it only ends its calls). Handler completes on its
// associated executor, the strand by default.
template <class Operation, class Handler>
void start_on(const std::shared_ptr<engine> &e, Operation operation, Handler handler) {
    e->start(std::make_unique<call<Operation, Handler>>(e, std::move(operation), std::move(handler)));
}

template <class Function>
thin_call<Function> thin_call_on(engine &e, lock_key key, Function function) {
    return thin_call<Function>(std::move(function), e.ssh().get(), key, nullptr);
}

// A channel's own failure (the server refused it, or it is closed): other channels of the
// session are fine. Anything else a channel call ends with (the socket, a timeout, the
// engine closed) is the whole session's.
inline bool channel_only_failure(const error_code &ec) noexcept {
    const std::error_code code = ec;  // Boost's error_code: back to the binding's category
    if (code.category() != libssh2::session_category()) return false;
    const int rc = code.value();
    return (rc <= LIBSSH2_ERROR_CHANNEL_OUTOFORDER && rc >= LIBSSH2_ERROR_CHANNEL_EOF_SENT) ||
           rc == LIBSSH2_ERROR_CHANNEL_WINDOW_FULL;
}

// A channel's EOF or close in the given lane: one thin call, completing with its result. (The
// engine's outbox sends their packets whole: libssh2 builds them on its own stack frame.)
template <class Function>
class channel_call {
public:
    using result_type = int;

    channel_call(engine &e, lock_key key, Function function)
        : session_(e.ssh().get()), key_(key), function_(std::move(function)) {}

    lock_key key() const noexcept { return key_; }
    step_result step(std::error_code &ec) {
        rc_ = function_();
        if (rc_ == LIBSSH2_ERROR_EAGAIN) return step_result::blocked;  // the CLOSE (in the channel) or its reply
        if (rc_ < 0) ec = libssh2::detail::session_failure(session_, rc_, std::string()).code;
        return step_result::done;
    }
    result_type take() { return rc_; }

private:
    LIBSSH2_SESSION *session_;
    lock_key key_;
    Function function_;
    int rc_ = 0;
};

// What the forward completes: type-erased, as its connections do not depend on the token.
class forward_completion {
public:
    virtual ~forward_completion() = default;
    virtual void complete(error_code ec) = 0;
};

template <class Handler>
class forward_handler final : public forward_completion {
public:
    forward_handler(Handler handler, const net::any_io_executor &strand)
        : handler_(std::move(handler)), work_(net::get_associated_executor(handler_, strand)) {}

    net::associated_cancellation_slot_t<Handler> slot() const noexcept {
        return net::get_associated_cancellation_slot(handler_);
    }

    // Called on the strand, inside an intermediate handler: posted, never run in place.
    void complete(error_code ec) override {
        auto s = slot();
        if (s.is_connected()) s.clear();
        auto executor = work_.get_executor();
        net::post(executor, [handler = std::move(handler_), ec]() mutable { std::move(handler)(ec); });
        work_.reset();
    }

private:
    Handler handler_;
    net::executor_work_guard<net::associated_executor_t<Handler, net::any_io_executor>> work_;
};

class forward_connection;

// The forward: its accept loop and its connections, on the session's strand.
class forward_state : public std::enable_shared_from_this<forward_state> {
public:
    forward_state(const std::shared_ptr<engine> &e, net::ip::tcp::acceptor &acceptor, std::string host,
                  unsigned short port)
        : engine_(e), strand_(e->strand()), acceptor_(&acceptor), host_(std::move(host)), port_(port) {}

    void set_completion(std::unique_ptr<forward_completion> completion) { completion_ = std::move(completion); }

    // On the strand: the first accept.
    void begin() {
        if (stopping_) return maybe_complete();
        accept();
    }

    // On the strand: stop accepting, close every connection, complete with ec once they are
    // closed. The first reason stays.
    inline void stop(error_code ec);

    const std::shared_ptr<engine> &engine_ptr() const noexcept { return engine_; }
    const net::any_io_executor &strand() const noexcept { return strand_; }
    const std::string &host() const noexcept { return host_; }
    unsigned short port() const noexcept { return port_; }
    bool stopping() const noexcept { return stopping_; }

    // A connection is in the forward from its accept to its destruction, which comes after its
    // last operation (every handler holds it): then its channel is freed, its socket closed.
    std::list<forward_connection *>::iterator add(forward_connection *c) {
        return connections_.insert(connections_.end(), c);
    }
    void remove(std::list<forward_connection *>::iterator it) {
        connections_.erase(it);
        maybe_complete();
    }

private:
    inline void accept();
    inline void accepted(error_code ec, net::ip::tcp::socket socket);

    void maybe_complete() {
        if (!stopping_ || accepting_ || !connections_.empty() || !completion_) return;
        std::unique_ptr<forward_completion> completion = std::move(completion_);
        completion->complete(result_);
    }

    std::shared_ptr<engine> engine_;
    net::any_io_executor strand_;
    net::ip::tcp::acceptor *acceptor_;
    std::string host_;
    unsigned short port_;
    std::unique_ptr<forward_completion> completion_;
    std::list<forward_connection *> connections_;
    error_code result_;
    bool accepting_ = false;
    bool stopping_ = false;
};

// One forwarded connection: the local socket, its channel, a buffer each way.
class forward_connection : public std::enable_shared_from_this<forward_connection> {
public:
    static constexpr std::size_t buffer_size = 64 * 1024;

    forward_connection(std::shared_ptr<forward_state> forward, net::ip::tcp::socket socket)
        : forward_(std::move(forward)), socket_(std::move(socket)), up_(new char[buffer_size]),
          down_(new char[buffer_size]), position_(forward_->add(this)) {}
    forward_connection(const forward_connection &) = delete;
    forward_connection &operator=(const forward_connection &) = delete;
    // On the strand, in the handler that held it last. The channel is closed by then (or the
    // session gone): freeing it waits for nothing.
    ~forward_connection() {
        channel_ = channel();
        forward_->remove(position_);
    }

    // Opens the channel (a session call: one channel open at a time), naming the local peer
    // as the originator, as ssh does.
    void open() {
        error_code ignored;
        const net::ip::tcp::endpoint peer = socket_.remote_endpoint(ignored);
        origin_host_ = peer.address().to_string(ignored);
        origin_port_ = peer.port();
        engine &e = *forward_->engine_ptr();
        auto open_channel = [this, &e] {
            return channel::direct_tcpip_ex(e.ssh(), forward_->host().c_str(), forward_->port(),
                                            origin_host_.c_str(), origin_port_);
        };
        start_on(forward_->engine_ptr(), thin_call_on(e, key_of(e.ssh()), open_channel),
                 [self = shared_from_this()](error_code ec, channel opened) { self->opened(ec, std::move(opened)); });
    }

    // Stops both ways at once: the forward is stopping.
    void abort() { close(); }

private:
    void opened(error_code ec, channel opened) {
        opening_ = false;
        channel_ = std::move(opened);
        if (closing_) return close_channel();  // aborted meanwhile
        if (ec) return failed(ec);
        read_local();
        read_channel();
    }

    // Socket to channel: read some, write it all to the channel, again; the socket's end is
    // the channel's EOF.
    void read_local() {
        socket_.async_read_some(net::buffer(up_.get(), buffer_size),
                                [self = shared_from_this()](error_code ec, std::size_t n) {
                                    if (self->closing_) return;
                                    if (ec == net::error::eof) return self->send_eof();
                                    if (ec) return self->failed(ec);
                                    self->up_length_ = n;
                                    self->up_written_ = 0;
                                    self->write_channel();
                                });
    }

    void write_channel() {
        engine &e = *forward_->engine_ptr();
        const channel_write io{&channel_, libssh2::text_view(up_.get() + up_written_, up_length_ - up_written_)};
        start_on(forward_->engine_ptr(), thin_call_on(e, {channel_.get(), lane::writing}, io),
                 [self = shared_from_this()](error_code ec, ssize_t n) {
                     if (self->closing_) return;
                     if (ec) return self->failed(ec);
                     self->up_written_ += static_cast<std::size_t>(n);
                     if (self->up_written_ < self->up_length_) return self->write_channel();
                     self->read_local();
                 });
    }

    // The writing lane: the EOF is the last thing this way sends, after the last write.
    void send_eof() {
        start_channel_call({channel_.get(), lane::writing}, [this] { return channel_.send_eof(); },
                           [](forward_connection &c, error_code ec) {
                               if (c.closing_) return;
                               if (ec) return c.failed(ec);
                               c.up_done_ = true;
                               c.maybe_done();
                           });
    }

    // Starts function (a channel_call) with key; done(*this, ec) once it ran.
    template <class Function, class Done>
    void start_channel_call(lock_key key, Function function, Done done) {
        engine &e = *forward_->engine_ptr();
        start_on(forward_->engine_ptr(), channel_call<Function>(e, key, function),
                 [self = shared_from_this(), done](error_code ec, int) { done(*self, ec); });
    }

    // Channel to socket: read some, write it all to the socket, again; the channel's EOF (a
    // read of 0) shuts the socket's sending side down.
    void read_channel() {
        engine &e = *forward_->engine_ptr();
        const channel_read io{&channel_, libssh2::span<char>(down_.get(), buffer_size), 0};
        start_on(forward_->engine_ptr(), thin_call_on(e, {channel_.get(), lane::reading}, io),
                 [self = shared_from_this()](error_code ec, ssize_t n) {
                     if (self->closing_) return;
                     if (ec) return self->failed(ec);
                     if (n == 0) {
                         error_code ignored;
                         self->socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
                         self->down_done_ = true;
                         return self->maybe_done();
                     }
                     self->write_local(static_cast<std::size_t>(n));
                 });
    }

    void write_local(std::size_t n) {
        net::async_write(socket_, net::buffer(down_.get(), n), [self = shared_from_this()](error_code ec, std::size_t) {
            if (self->closing_) return;
            if (ec) return self->failed(ec);
            self->read_channel();
        });
    }

    void maybe_done() {
        if (up_done_ && down_done_) close();
    }

    // A failure ends this connection; one of the session's ends the forward too.
    void failed(const error_code &ec) {
        const std::error_code code = ec;  // Boost's error_code: back to the binding's category
        const bool from_socket = code.category() != libssh2::session_category() &&
                                 code.category() != libssh2::sftp_category() && ec != net::error::operation_aborted;
        // An operation_aborted here came from the engine (the socket's own are ours, after
        // closing_): the session was cancelled or destroyed.
        if (!from_socket && !channel_only_failure(ec) && !forward_->stopping()) forward_->stop(ec);
        close();
    }

    // Closes the socket at once (its pending operations end), and the channel through the
    // engine: libssh2_channel_close sends EOF (if not yet) and CLOSE and waits for the server's
    // CLOSE, after which the channel's pending read finds the end and its pending write the
    // channel closed. The last handler frees the channel, without waiting then.
    void close() {
        if (closing_) return;
        closing_ = true;
        error_code ignored;
        socket_.close(ignored);
        if (!opening_) close_channel();  // else once the open is done, with what it opened
    }

    // The channel's lock alone: a close sends no channel request.
    void close_channel() {
        if (!channel_) return;
        start_channel_call({channel_.get(), lane::whole}, [this] { return channel_.close(); },
                           [](forward_connection &, error_code) {});
    }

    std::shared_ptr<forward_state> forward_;
    net::ip::tcp::socket socket_;
    channel channel_;
    std::unique_ptr<char[]> up_;    // socket to channel
    std::unique_ptr<char[]> down_;  // channel to socket
    std::size_t up_length_ = 0;
    std::size_t up_written_ = 0;
    std::string origin_host_;
    int origin_port_ = 0;
    std::list<forward_connection *>::iterator position_;
    bool opening_ = true;
    bool up_done_ = false;
    bool down_done_ = false;
    bool closing_ = false;
};

void forward_state::stop(error_code ec) {
    if (stopping_) return;
    stopping_ = true;
    result_ = ec;
    error_code ignored;
    acceptor_->cancel(ignored);
    std::vector<std::shared_ptr<forward_connection>> connections;
    for (forward_connection *c : connections_) connections.push_back(c->shared_from_this());
    for (const auto &c : connections) c->abort();
    maybe_complete();
}

void forward_state::accept() {
    accepting_ = true;
    acceptor_->async_accept(strand_, net::bind_executor(strand_, [self = shared_from_this()](
                                                                     error_code ec, net::ip::tcp::socket socket) {
                                self->accepted(ec, std::move(socket));
                            }));
}

void forward_state::accepted(error_code ec, net::ip::tcp::socket socket) {
    accepting_ = false;
    if (stopping_) return maybe_complete();  // a socket accepted meanwhile closes here
    if (ec) return stop(ec);
    std::make_shared<forward_connection>(shared_from_this(), std::move(socket))->open();
    accept();
}

}  // namespace detail

// Forwards every connection acceptor takes to remote_host:remote_port through s (ssh -L),
// until cancelled (operation_aborted) or until the acceptor or the session fails (its error);
// completes with (error_code) once every connection is closed.
template <class Token>
auto async_forward_local(session &s, net::ip::tcp::acceptor &acceptor, std::string remote_host,
                         unsigned short remote_port, Token &&token) {
    return net::async_initiate<Token, void(error_code)>(
        [](auto handler, const std::shared_ptr<detail::engine> &e, net::ip::tcp::acceptor *listening,
           std::string host, unsigned short port) {
            using handler_type = std::decay_t<decltype(handler)>;
            auto state = std::make_shared<detail::forward_state>(e, *listening, std::move(host), port);
            auto completion = std::make_unique<detail::forward_handler<handler_type>>(std::move(handler),
                                                                                      state->strand());
            auto slot = completion->slot();
            if (slot.is_connected()) {
                slot.assign([weak = std::weak_ptr<detail::forward_state>(state)](net::cancellation_type) {
                    auto strong = weak.lock();
                    if (!strong) return;
                    net::post(strong->strand(), [strong] { strong->stop(net::error::operation_aborted); });
                });
            }
            state->set_completion(std::move(completion));
            net::post(state->strand(), [state] { state->begin(); });
        },
        token, s.engine(), &acceptor, std::move(remote_host), remote_port);
}

}  // namespace libssh2::asio

#endif  // LIBSSH2_HPP_ASIO_FORWARD
