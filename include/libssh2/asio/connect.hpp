// SPDX-License-Identifier: BSD-3-Clause
// libssh2::asio::async_connect: resolve, connect the TCP socket, handshake, check the host key
// against an OpenSSH known_hosts file, and log in (a key file, a password, or the agent's
// keys), as one operation. Completes with (error_code, host_key_verification): the key's type
// and fingerprint also when it is refused, with host_key_errc::unknown_host or changed_key
// (the verification's refusal() says it naming the host and the key). A failure of the
// operating system keeps its errno (std::system_category()): out of file descriptors is
// std::errc::too_many_files_open, whether the socket, a key file or the agent's socket could
// not be opened.
#ifndef LIBSSH2_HPP_ASIO_CONNECT
#define LIBSSH2_HPP_ASIO_CONNECT

#include "../io/host_key.hpp"
#include "call.hpp"

#include <cerrno>
#include <memory>
#include <string>
#include <utility>

namespace libssh2::asio {

struct login_options {
    std::string user{};
    std::string known_hosts{};  // the OpenSSH known_hosts file that must list the host's key
    // How to log in: a private key file (public_key optional, as libssh2 derives it), else a
    // password, else each key of the SSH agent in turn, until the server takes one.
    std::string private_key{};
    std::string public_key{};
    std::string passphrase{};
    std::string password{};
    std::string agent_socket{};  // the agent's socket; empty: SSH_AUTH_SOCK's
};

namespace detail {

// Handshake, host key, login: the libssh2 part of async_connect, stepped by the engine.
class login_operation {
public:
    using result_type = host_key_verification;

    login_operation(session &s, std::string host, unsigned short port, login_options options)
        : ssh_(&s.ssh()), socket_(s.socket().native_handle()), host_(std::move(host)), port_(port),
          options_(std::move(options)) {}

    lock_key key() const noexcept { return {ssh_->get(), lane::whole}; }

    result_type take() { return std::move(verification_); }
    step_result step(std::error_code &ec) { return advance(ec) ? step_result::done : step_result::blocked; }

private:
    // One step of the stages; false: would block; true: finished, with ec set for a failure.
    bool advance(std::error_code &ec) {
        errno = 0;  // what failed() finds there is this step's
        switch (stage_) {
        case stage::handshake:
            if (const int rc = ssh_->handshake(socket_); rc != 0) return failed(rc, ec);
            if (!host_key_ok(ec)) return true;
            stage_ = first_login_stage();
            return advance(ec);
        case stage::key_file:
            return failed(userauth::publickey_fromfile(
                              *ssh_, options_.user, options_.public_key.empty() ? nullptr : options_.public_key.c_str(),
                              options_.private_key, options_.passphrase.empty() ? nullptr : options_.passphrase.c_str()),
                          ec);
        case stage::password: return failed(userauth::password(*ssh_, options_.user, options_.password), ec);
        case stage::agent_connect: {
            agent_ = agent::init(*ssh_);
            if (!agent_) return failed(ssh_->last_errno(), ec);
            if (!options_.agent_socket.empty()) agent_.set_identity_path(options_.agent_socket);
            if (const int rc = agent_.connect(); rc != 0) return failed(rc, ec);
            if (const int rc = agent_.list_identities(); rc != 0) return failed(rc, ec);
            stage_ = stage::agent_next;
            return advance(ec);
        }
        case stage::agent_next:
            if (agent_.get_identity(&identity_, identity_) != 0) {  // none left (1), or a failure
                ec = make_error_code(errc::authentication_failed);
                return true;
            }
            stage_ = stage::agent_login;
            return advance(ec);
        case stage::agent_login: {
            const int rc = agent_.userauth(options_.user.c_str(), identity_);
            if (rc == LIBSSH2_ERROR_EAGAIN) return false;
            if (rc == 0) return true;
            if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED && rc != LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
                return failed(rc, ec);
            stage_ = stage::agent_next;  // the server refused this key: the next one
            return advance(ec);
        }
        }
        return true;
    }

private:
    enum class stage { handshake, key_file, password, agent_connect, agent_next, agent_login };

    stage first_login_stage() const noexcept {
        if (!options_.private_key.empty()) return stage::key_file;
        if (!options_.password.empty()) return stage::password;
        return stage::agent_connect;
    }

    // false: would block; true: finished, with ec set for a failure. Out of file descriptors,
    // libssh2 says only that it could not read the key file or reach the agent: errno says why.
    bool failed(int rc, std::error_code &ec) {
        if (rc == LIBSSH2_ERROR_EAGAIN) return false;
        if (rc == 0) return true;
        if (const int os_error = errno; os_error == EMFILE || os_error == ENFILE)
            ec = std::error_code(os_error, std::system_category());
        else
            ec = libssh2::detail::session_failure(ssh_->get(), rc, std::string()).code;
        return true;
    }

    bool host_key_ok(std::error_code &ec) {
        verification_ = libssh2::detail::check_host_key(*ssh_, options_.known_hosts, host_, port_, &ec);
        return !ec;
    }

    libssh2::session *ssh_;
    libssh2_socket_t socket_;
    std::string host_;
    unsigned short port_;
    login_options options_;
    stage stage_ = stage::handshake;
    host_key_verification verification_;
    agent agent_;
    libssh2_agent_publickey *identity_ = nullptr;
};

// Resolve, connect, then the login_operation, as an async_compose state machine: resolving and
// connecting are not libssh2 calls (the engine's step model is for those), so Asio composes
// them and hands the connected socket to the engine for the login. Each address in turn, the
// socket opened here, not by Asio's range connect, which reports a socket it could not open
// (out of file descriptors) as operation_aborted.
struct connect_composition {
    session *s;
    std::string host;
    unsigned short port;
    login_options options;
    std::unique_ptr<net::ip::tcp::resolver> resolver{};
    net::ip::tcp::resolver::results_type endpoints{};
    net::ip::tcp::resolver::results_type::const_iterator next{};
    error_code last_failure{};

    template <class Self>
    void operator()(Self &self) {
        resolver = std::make_unique<net::ip::tcp::resolver>(s->get_executor());
        resolver->async_resolve(host, std::to_string(port), std::move(self));
    }
    template <class Self>
    void operator()(Self &self, error_code ec, net::ip::tcp::resolver::results_type resolved) {
        if (ec) return self.complete(ec, host_key_verification{});
        endpoints = std::move(resolved);
        next = endpoints.begin();
        connect_next(self);
    }
    template <class Self>
    void connect_next(Self &self) {
        net::ip::tcp::socket &socket = s->socket();
        while (next != endpoints.end()) {
            const net::ip::tcp::endpoint endpoint = (next++)->endpoint();
            error_code ec;
            if (socket.is_open()) socket.close(ec);
            if (socket.open(endpoint.protocol(), ec); ec) {
                // In std::system_category(), so that it compares equal to its std::errc
                // (too_many_files_open): Asio's own system category does not.
                last_failure = ec.category() == net::error::get_system_category()
                                   ? to_asio(std::error_code(ec.value(), std::system_category()))
                                   : ec;
                continue;
            }
            return socket.async_connect(endpoint, std::move(self));
        }
        self.complete(last_failure ? last_failure : error_code(net::error::host_not_found), host_key_verification{});
    }
    template <class Self>
    void operator()(Self &self, error_code ec) {
        if (ec == net::error::operation_aborted) return self.complete(ec, host_key_verification{});
        if (ec) {
            last_failure = ec;
            return connect_next(self);
        }
        error_code ignored;
        s->socket().set_option(net::ip::tcp::no_delay(true), ignored);  // SSH's small packets: no Nagle delay
        start_operation(*s, login_operation(*s, host, port, std::move(options)), std::move(self));
    }
    template <class Self>
    void operator()(Self &self, error_code ec, host_key_verification verification) {
        self.complete(ec, std::move(verification));
    }
};

}  // namespace detail

template <class Token>
auto async_connect(session &s, std::string host, unsigned short port, const login_options &options, Token &&token) {
    return net::async_compose<Token, void(error_code, host_key_verification)>(
        detail::connect_composition{&s, std::move(host), port, options, nullptr}, token, s.get_executor());
}

// Says goodbye (SSH_DISCONNECT_BY_APPLICATION): the session can then be destroyed at once.
template <class Token>
auto async_disconnect(session &s, Token &&token) {
    return async_call(
        s, [&s] { return s.ssh().disconnect("libssh2::asio::async_disconnect"); }, std::forward<Token>(token));
}

}  // namespace libssh2::asio

#endif  // LIBSSH2_HPP_ASIO_CONNECT
