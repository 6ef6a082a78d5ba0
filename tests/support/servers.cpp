#include "servers.hpp"

#include "server_env.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

namespace test_support {
namespace {

struct launched_server {
    sshd_server description;
    bool running = false;
    pid_t owner_pid = 0;  // forked children's atexit must not stop it
};

std::mutex servers_mutex;
launched_server dropbear_server;  // guarded by servers_mutex
launched_server asyncssh_server;  // guarded by servers_mutex
bool atexit_registered = false;   // guarded by servers_mutex

std::string launcher_path()
{
#ifdef TEST_SERVERS_SCRIPT
    return TEST_SERVERS_SCRIPT;
#else
    if (const char* env = std::getenv("TEST_SERVERS_SCRIPT"); env != nullptr && *env != '\0') return env;
    throw std::runtime_error(
        "test_support::server: path of tests/support/test_servers.py unknown; define TEST_SERVERS_SCRIPT "
        "at build time or set the environment variable TEST_SERVERS_SCRIPT");
#endif
}

const char* launcher_kind(server_kind kind) { return kind == server_kind::dropbear ? "dropbear" : "asyncssh"; }

launched_server& launched(server_kind kind)
{
    return kind == server_kind::dropbear ? dropbear_server : asyncssh_server;
}

void stop_noexcept(launched_server& s) noexcept
{
    if (!s.running || s.owner_pid != getpid()) return;
    s.running = false;
    try {
        run_command(shell_quote(launcher_path()) + " stop " + shell_quote(s.description.dir) + " 2>&1");
    } catch (...) {
        // The watchdog stops it once this process is gone.
    }
    std::error_code ignored;
    std::filesystem::remove_all(s.description.dir, ignored);
}

void stop_at_exit()
{
    std::lock_guard<std::mutex> lock(servers_mutex);
    stop_noexcept(dropbear_server);
    stop_noexcept(asyncssh_server);
}

// Caller holds servers_mutex.
void start_locked(server_kind kind, launched_server& s)
{
    if (!atexit_registered) {
        std::atexit(stop_at_exit);
        atexit_registered = true;
    }
    const std::string dir = make_server_dir(std::string("libssh2-hpp-") + launcher_kind(kind));
    const std::string command = shell_quote(launcher_path()) + " start " + launcher_kind(kind) + " " +
                                shell_quote(dir) + " --parent " + std::to_string(getpid()) + " --cleanup 2>&1";
    auto [status, output] = run_command(command);
    if (status != 0) {
        run_command(shell_quote(launcher_path()) + " stop " + shell_quote(dir) + " >/dev/null 2>&1");
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
        throw std::runtime_error(std::string("test_support::server: cannot start ") + name_of(kind) + ": `" +
                                 command + "` failed with status " + std::to_string(status) + ":\n" + output);
    }
    s.owner_pid = getpid();
    s.running = true;
    s.description.dir = dir;  // so that a failure below still stops it
    try {
        sshd_server description;
        read_server_env(description, read_env(dir));
        s.description = std::move(description);
    } catch (...) {
        stop_noexcept(s);
        throw;
    }
}

}  // namespace

const char* name_of(server_kind kind)
{
    switch (kind) {
    case server_kind::openssh: return "OpenSSH";
    case server_kind::dropbear: return "Dropbear";
    case server_kind::asyncssh: return "asyncssh";
    }
    return "?";
}

const sshd_server& server(server_kind kind)
{
    if (kind == server_kind::openssh) return sshd();
    std::lock_guard<std::mutex> lock(servers_mutex);
    launched_server& s = launched(kind);
    if (!s.running) start_locked(kind, s);
    return s.description;
}

connection login(server_kind kind)
{
    const sshd_server& s = server(kind);
    connection c = handshake(s);
    if (libssh2::userauth::publickey_fromfile(c.session, s.user.c_str(), s.pubkey.c_str(), s.key.c_str(), nullptr) != 0)
        throw std::runtime_error(std::string("public key authentication to ") + name_of(kind) +
                                 " failed: " + last_error(c.session));
    return c;
}

}  // namespace test_support
