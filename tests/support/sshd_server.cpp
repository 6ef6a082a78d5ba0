#include "sshd_server.hpp"

#include "bytes.hpp"
#include "server_env.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace test_support {
namespace {

std::mutex server_mutex;
sshd_server server;          // guarded by server_mutex
bool running = false;        // guarded by server_mutex
pid_t owner_pid = 0;         // process that started the server (atexit in forked children must not stop it)
bool atexit_registered = false;

// The password-user server (sshd_password()), guarded by server_mutex like the first.
sshd_password_server password_server;
bool password_running = false;
bool password_unavailable = false;  // setup said the machine cannot run it (reason in skip_reason)
pid_t password_owner_pid = 0;

std::string script_path()
{
#ifdef TEST_SSHD_SCRIPT
    return TEST_SSHD_SCRIPT;
#else
    if (const char* env = std::getenv("TEST_SSHD_SCRIPT"); env != nullptr && *env != '\0') {
        return env;
    }
    throw std::runtime_error(
        "test_support::sshd: path of scripts/test-sshd unknown; define TEST_SSHD_SCRIPT "
        "at build time or set the environment variable TEST_SSHD_SCRIPT");
#endif
}

}  // namespace

std::string shell_quote(const std::string& s)
{
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

namespace {

std::string read_text_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("test_support::sshd: cannot read " + path);
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string trim(std::string s)
{
    const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    while (!s.empty() && is_space(s.back())) {
        s.pop_back();
    }
    std::size_t i = 0;
    while (i < s.size() && is_space(s[i])) {
        ++i;
    }
    return s.substr(i);
}

void remove_dir_noexcept(const std::string& dir)
{
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

void stop_dir_noexcept(const std::string& dir) noexcept
{
    try {
        run_command(shell_quote(script_path()) + " stop " + shell_quote(dir) + " 2>&1");
    } catch (...) {
        // Nothing sensible to do during shutdown; the watchdog still stops the server.
    }
    remove_dir_noexcept(dir);
}

// Caller holds server_mutex.
void stop_locked() noexcept
{
    if (!running) {
        return;
    }
    running = false;
    stop_dir_noexcept(server.dir);
}

// Caller holds server_mutex.
void stop_password_locked() noexcept
{
    if (!password_running) {
        return;
    }
    password_running = false;
    stop_dir_noexcept(password_server.dir);
}

void stop_at_exit()
{
    std::lock_guard<std::mutex> lock(server_mutex);
    if (getpid() == owner_pid) {
        stop_locked();
    }
    if (getpid() == password_owner_pid) {
        stop_password_locked();
    }
}

// Exit status of `test-sshd setup DIR --password-user` when the machine cannot run it.
constexpr int setup_unavailable_status = 77;

}  // namespace

server_env read_env(const std::string& dir)
{
    const std::string file = dir + "/env";
    auto [status, output] =
        run_command("env -i /bin/bash -c 'set -a && . \"$1\" && env -0' _ " + shell_quote(file));
    if (status != 0) {
        throw std::runtime_error("test_support::sshd: cannot read " + file);
    }
    server_env env;
    for (std::size_t start = 0; start < output.size();) {
        const std::size_t end = std::min(output.find('\0', start), output.size());
        const std::string entry = output.substr(start, end - start);
        const std::size_t equals = entry.find('=');
        if (entry.rfind("SSHD_", 0) == 0 && equals != std::string::npos) {
            env[entry.substr(0, equals)] = entry.substr(equals + 1);
        }
        start = end + 1;
    }
    return env;
}

const std::string& required(const server_env& env, const std::string& name)
{
    const auto found = env.find(name);
    if (found == env.end()) {
        throw std::runtime_error("test_support::sshd: test-sshd's env file has no " + name);
    }
    return found->second;
}

void read_server_env(sshd_server& s, const server_env& env)
{
    s.dir = required(env, "SSHD_DIR");
    s.host = required(env, "SSHD_HOST");
    s.user = required(env, "SSHD_USER");
    s.port = std::stoi(required(env, "SSHD_PORT"));
    s.key = required(env, "SSHD_KEY");
    s.pubkey = required(env, "SSHD_PUBKEY");
    s.known_hosts = required(env, "SSHD_KNOWN_HOSTS");
    s.host_key_pub = required(env, "SSHD_HOST_KEY_PUB");

    // "ssh-ed25519 AAAA... comment"
    std::istringstream line(read_text_file(s.host_key_pub));
    line >> s.host_key_type >> s.host_key_base64;
    if (s.host_key_base64.empty()) {
        throw std::runtime_error("test_support::sshd: malformed " + s.host_key_pub);
    }
    s.host_key_blob = base64_decode(s.host_key_base64);
}

std::string make_server_dir(const std::string& prefix)
{
    const char* tmpdir = std::getenv("TMPDIR");
    std::string base = (tmpdir != nullptr && *tmpdir != '\0') ? tmpdir : "/tmp";
    std::string templ = base + "/" + prefix + ".XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
        throw std::runtime_error("test_support::sshd: mkdtemp(" + templ + "): " + std::strerror(errno));
    }
    return buf.data();
}

namespace {

// What only test-sshd's OpenSSH servers have, besides what read_server_env reads.
void read_openssh_env(sshd_server& s, const server_env& env)
{
    read_server_env(s, env);
    s.rsa_key = required(env, "SSHD_RSA_KEY");
    s.rsa_pubkey = required(env, "SSHD_RSA_PUBKEY");
    s.pass_key = required(env, "SSHD_PASS_KEY");
    s.pass_pubkey = required(env, "SSHD_PASS_PUBKEY");
    s.publickey_store = required(env, "SSHD_PUBLICKEY_STORE");
}

// Creates a temporary directory and starts a server in it (after `setup DIR
// setup_option` if setup_option is not empty). Returns the directory; with setup_option,
// returns "" and sets *unavailable to setup's message if setup exits with status 77.
// Caller holds server_mutex.
std::string launch_locked(const std::string& setup_option, std::string* unavailable)
{
    const std::string script = script_path();

    const std::string dir = make_server_dir("libssh2-hpp-sshd");

    if (!atexit_registered) {
        std::atexit(stop_at_exit);
        atexit_registered = true;
    }

    if (!setup_option.empty()) {
        const std::string setup = shell_quote(script) + " setup " + shell_quote(dir) + " " + setup_option + " 2>&1";
        auto [status, output] = run_command(setup);
        if (status == setup_unavailable_status && unavailable != nullptr) {
            remove_dir_noexcept(dir);
            *unavailable = trim(output);
            return "";
        }
        if (status != 0) {
            remove_dir_noexcept(dir);
            throw std::runtime_error("test_support::sshd: `" + setup + "` failed with status " +
                                     std::to_string(status) + ":\n" + output);
        }
    }

    const std::string command = shell_quote(script) + " start " + shell_quote(dir) + " --parent " +
                                std::to_string(getpid()) + " --cleanup 2>&1";
    auto [status, output] = run_command(command);
    if (status != 0) {
        // A half-started server is stopped by the script itself; clean up what is left.
        run_command(shell_quote(script) + " stop " + shell_quote(dir) + " >/dev/null 2>&1");
        remove_dir_noexcept(dir);
        throw std::runtime_error("test_support::sshd: `" + command + "` failed with status " +
                                 std::to_string(status) + ":\n" + output);
    }
    return dir;
}

// Caller holds server_mutex.
void start_locked()
{
    const std::string dir = launch_locked("", nullptr);
    owner_pid = getpid();
    running = true;

    try {
        sshd_server s;
        read_openssh_env(s, read_env(dir));
        server = std::move(s);
    } catch (...) {
        stop_locked();
        throw;
    }
}

// Caller holds server_mutex.
void start_password_locked()
{
    std::string reason;
    const std::string dir = launch_locked("--password-user", &reason);
    if (dir.empty()) {
        password_server = sshd_password_server{};
        password_server.skip_reason = reason.empty() ? "password-user mode unavailable" : reason;
        password_unavailable = true;
        return;
    }
    password_owner_pid = getpid();
    password_running = true;

    try {
        sshd_password_server s;
        const server_env env = read_env(dir);
        read_openssh_env(s, env);
        s.password_user = required(env, "SSHD_PASSWORD_USER");
        s.password = required(env, "SSHD_PASSWORD");
        s.client_hostname = required(env, "SSHD_CLIENT_HOSTNAME");
        s.client_host_key = required(env, "SSHD_CLIENT_HOST_KEY");
        s.client_host_pubkey = required(env, "SSHD_CLIENT_HOST_PUBKEY");
        s.client_host_ed25519_key = required(env, "SSHD_CLIENT_HOST_ED25519_KEY");
        s.client_host_ed25519_pubkey = required(env, "SSHD_CLIENT_HOST_ED25519_PUBKEY");
        s.other_local_user = required(env, "SSHD_OTHER_LOCAL_USER");
        s.log = required(env, "SSHD_LOG");
        password_server = std::move(s);
    } catch (...) {
        stop_password_locked();
        throw;
    }
}

}  // namespace

const sshd_server& sshd()
{
    std::lock_guard<std::mutex> lock(server_mutex);
    if (!running) {
        start_locked();
    }
    return server;
}

void stop_sshd()
{
    std::lock_guard<std::mutex> lock(server_mutex);
    stop_locked();
}

const sshd_password_server& sshd_password()
{
    std::lock_guard<std::mutex> lock(server_mutex);
    if (!password_running && !password_unavailable) {
        start_password_locked();
    }
    return password_server;
}

void stop_sshd_password()
{
    std::lock_guard<std::mutex> lock(server_mutex);
    stop_password_locked();
}

int connect_tcp(int port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error(std::string("test_support::connect_tcp: socket: ") + std::strerror(errno));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc;
    do {
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int err = errno;
        ::close(fd);
        throw std::runtime_error("test_support::connect_tcp: connect to 127.0.0.1:" + std::to_string(port) +
                                 ": " + std::strerror(err));
    }
    return fd;
}

std::pair<int, std::string> run_command(const std::string& command)
{
    std::fflush(nullptr);  // so buffered output is not interleaved with the child's
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        throw std::runtime_error("test_support::run_command: popen: " + std::string(std::strerror(errno)));
    }
    std::string output;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
        output.append(buf, n);
    }
    const int status = ::pclose(pipe);
    if (status == -1) {
        throw std::runtime_error("test_support::run_command: pclose: " + std::string(std::strerror(errno)));
    }
    int code = -1;
    if (WIFEXITED(status)) {
        code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        code = 128 + WTERMSIG(status);
    }
    return {code, std::move(output)};
}

}  // namespace test_support
