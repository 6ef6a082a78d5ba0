// Instantiates every operation of <libssh2/asio.hpp> with the completion tokens users pass:
// callbacks, use_future, deferred and, where the compiler has coroutines, use_awaitable.
// Compiled (never run) by tests/check-header-compiles, with standalone Asio and with
// Boost.Asio (-DLIBSSH2_HPP_ASIO_BOOST); the behaviour is tested in tests/test_asio_*.cpp.
#include <libssh2/asio.hpp>

#ifdef LIBSSH2_HPP_ASIO_BOOST
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#if BOOST_VERSION >= 107700
#include <boost/asio/experimental/deferred.hpp>
#endif
#ifdef BOOST_ASIO_HAS_CO_AWAIT
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#define USE_ASIO_AWAITABLE 1
#endif
#else
#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#ifdef ASIO_HAS_CO_AWAIT
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_awaitable.hpp>
#define USE_ASIO_AWAITABLE 1
#endif
#endif

#include <cstdint>
#include <future>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace la = libssh2::asio;
namespace net = libssh2::asio::net;

namespace {

void callbacks(la::session &s, libssh2::channel &ch, libssh2::sftp &sftp, libssh2::sftp_handle &file,
               libssh2::listener &listener, libssh2::agent &agent, libssh2::publickey &pkey,
               libssh2::knownhost &known) {
    la::async_call(s, [&] { return libssh2::channel::open_session(s.ssh()); },
                   [](la::error_code, libssh2::channel) {});
    la::async_call(s, [&] { return libssh2::userauth::list(s.ssh(), "me"); }, [](la::error_code, char *) {});
    la::async_call(s, ch, [&] { return ch.exec("true"); }, [](la::error_code, int) {});
    la::async_call(s, sftp, [&] { return sftp.open("f", LIBSSH2_FXF_READ, 0); },
                   [](la::error_code, libssh2::sftp_handle) {});
    la::async_call(s, file, [&] { return file.fsync(); }, [](la::error_code, int) {});
    la::async_call(s, listener, [&] { return listener.forward_accept(); }, [](la::error_code, libssh2::channel) {});
    la::async_call(s, agent, [&] { return agent.list_identities(); }, [](la::error_code, int) {});
    la::async_call(s, pkey, [&] { return pkey.remove(std::string_view("ssh-ed25519"), libssh2::span<const unsigned char>()); }, [](la::error_code, int) {});
    la::async_call(s, known, [&] { return known.readfile("known_hosts", LIBSSH2_KNOWNHOST_FILE_OPENSSH); },
                   [](la::error_code, int) {});

    std::vector<char> buffer(64);
    la::async_read_some(s, ch, buffer, [](la::error_code, ssize_t) {});
    la::async_read_stderr_some(s, ch, buffer, [](la::error_code, ssize_t) {});
    la::async_write_some(s, ch, std::string_view("data"), [](la::error_code, ssize_t) {});

    la::login_options options;
    options.user = "me";
    options.known_hosts = "known_hosts";
    la::async_connect(s, "localhost", 22, options, [](la::error_code, libssh2::host_key_verification) {});
    la::async_exec(s, "uname", [](la::error_code, la::exec_result) {});
    la::async_exec(
        s, "uname", [](int, std::string_view) {}, [](la::error_code, la::exec_result) {});
    la::async_sftp_get(s, "remote", "local", [](la::error_code, std::uint64_t) {});
    la::async_sftp_put(s, "local", "remote", 0644, [](la::error_code, std::uint64_t) {});
    la::async_sftp_get(s, sftp, "remote", "local", [](la::error_code, std::uint64_t) {});
    la::async_sftp_put(s, sftp, "local", "remote", 0644, [](la::error_code, std::uint64_t) {});
    la::async_disconnect(s, [](la::error_code, int) {});
    net::ip::tcp::acceptor acceptor(s.get_executor());
    la::async_forward_local(s, acceptor, "localhost", 80, [](la::error_code) {});
}

void other_tokens(la::session &s) {
#if defined(ASIO_HAS_STD_FUTURE_CLASS) || defined(BOOST_ASIO_HAS_STD_FUTURE_CLASS)  // not MinGW's win32 threads
    std::future<libssh2::channel> opened =
        la::async_call(s, [&] { return libssh2::channel::open_session(s.ssh()); }, net::use_future);
    std::future<la::exec_result> done = la::async_exec(s, "true", net::use_future);
    net::ip::tcp::acceptor acceptor(s.get_executor());
    std::future<void> forwarded = la::async_forward_local(s, acceptor, "localhost", 80, net::use_future);
    (void)forwarded;
    (void)opened;
    (void)done;
#endif
#if !defined(LIBSSH2_HPP_ASIO_BOOST) || BOOST_VERSION >= 107700
    auto deferred = la::async_exec(s, "true", net::experimental::deferred);
    std::move(deferred)([](la::error_code, la::exec_result) {});
#endif
}

#ifdef USE_ASIO_AWAITABLE
net::awaitable<void> coroutine(la::session &s) {
    la::login_options options;
    options.user = "me";
    options.known_hosts = "known_hosts";
    const libssh2::host_key_verification key = co_await la::async_connect(s, "host", 22, options, net::use_awaitable);
    const la::exec_result result = co_await la::async_exec(s, "uname -a", net::use_awaitable);
    const std::uint64_t bytes = co_await la::async_sftp_get(s, "remote", "local", net::use_awaitable);
    (void)key;
    (void)result;
    (void)bytes;
}
#endif

}  // namespace

int main() {
    net::io_context io;
    la::session s(io);
    la::session from_executor(io.get_executor());
    libssh2::channel ch;
    libssh2::sftp sftp;
    libssh2::sftp_handle file;
    libssh2::listener listener;
    libssh2::agent agent;
    libssh2::publickey pkey;
    libssh2::knownhost known;
    callbacks(s, ch, sftp, file, listener, agent, pkey, known);
    other_tokens(s);
    s.set_operation_timeout(std::chrono::seconds(10));
    s.cancel();
#ifdef USE_ASIO_AWAITABLE
    net::co_spawn(io, coroutine(s), net::detached);
#endif
    io.run();
}
