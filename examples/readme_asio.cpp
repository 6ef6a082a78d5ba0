// readme_asio: the README's coroutine ("Async: <libssh2/asio.hpp>"): log in (host key checked
// against known_hosts, key login), run `uname -a` and print its output, download a file over
// SFTP, all on Asio with C++20 coroutines. Exit status 0, or 1 with the reason on stderr.
//   readme_asio HOST PORT USER KNOWN_HOSTS KEY REMOTE_FILE LOCAL_FILE
#include <libssh2/asio.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

using asio::use_awaitable;

asio::awaitable<void> fetch(std::string host, unsigned short port, libssh2::asio::login_options login,
                            std::string remote, std::string local) {
    libssh2::asio::session ssh(co_await asio::this_coro::executor);
    ssh.set_operation_timeout(std::chrono::seconds(10));
    co_await libssh2::asio::async_connect(ssh, host, port, login, use_awaitable);
    libssh2::asio::exec_result uname = co_await libssh2::asio::async_exec(ssh, "uname -a", use_awaitable);
    std::fputs(uname.out.c_str(), stdout);
    co_await libssh2::asio::async_sftp_get(ssh, remote, local, use_awaitable);
    co_await libssh2::asio::async_disconnect(ssh, use_awaitable);
}

int main(int argc, char **argv) {
    if (argc != 8) {
        std::fprintf(stderr, "usage: readme_asio HOST PORT USER KNOWN_HOSTS KEY REMOTE_FILE LOCAL_FILE\n");
        return 2;
    }
    libssh2::asio::login_options login;
    login.user = argv[3];
    login.known_hosts = argv[4];
    login.private_key = argv[5];
    asio::io_context io;
    int status = 0;
    asio::co_spawn(io, fetch(argv[1], static_cast<unsigned short>(std::atoi(argv[2])), login, argv[6], argv[7]),
                   [&](std::exception_ptr failure) {
                       if (!failure) return;
                       status = 1;
                       try {
                           std::rethrow_exception(failure);
                       } catch (const std::exception &e) {
                           std::fprintf(stderr, "readme_asio: %s\n", e.what());
                       }
                   });
    io.run();
    return status;
}
