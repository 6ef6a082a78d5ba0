#include "sshd_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
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

std::vector<unsigned char> base64_decode(const std::string& in)
{
    const auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::vector<unsigned char> out;
    unsigned int acc = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') {
            break;
        }
        const int v = value(c);
        if (v < 0) {
            throw std::runtime_error("test_support::sshd: invalid base64 in host key");
        }
        acc = (acc << 6) | static_cast<unsigned int>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<unsigned char>((acc >> bits) & 0xFFu));
        }
    }
    return out;
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

// Reads what every server directory has into s (dir set already).
void read_server_files(sshd_server& s)
{
    const std::string& dir = s.dir;
    s.host = "127.0.0.1";
    s.user = trim(read_text_file(dir + "/user"));
    s.port = std::stoi(trim(read_text_file(dir + "/port")));
    s.key = dir + "/id_ed25519";
    s.pubkey = dir + "/id_ed25519.pub";
    s.rsa_key = dir + "/id_rsa";
    s.rsa_pubkey = dir + "/id_rsa.pub";
    s.pass_key = dir + "/id_ed25519_pass";
    s.pass_pubkey = dir + "/id_ed25519_pass.pub";
    s.known_hosts = dir + "/known_hosts";
    s.host_key_pub = dir + "/ssh_host_ed25519_key.pub";
    s.publickey_store = dir + "/publickey-store";

    // "ssh-ed25519 AAAA... comment"
    std::istringstream line(read_text_file(s.host_key_pub));
    std::string type;
    line >> type >> s.host_key_base64;
    if (s.host_key_base64.empty()) {
        throw std::runtime_error("test_support::sshd: malformed " + s.host_key_pub);
    }
    s.host_key_blob = base64_decode(s.host_key_base64);
}

// Creates a temporary directory and starts a server in it (after `setup DIR
// setup_option` if setup_option is not empty). Returns the directory; with setup_option,
// returns "" and sets *unavailable to setup's message if setup exits with status 77.
// Caller holds server_mutex.
std::string launch_locked(const std::string& setup_option, std::string* unavailable)
{
    const std::string script = script_path();

    const char* tmpdir = std::getenv("TMPDIR");
    std::string base = (tmpdir != nullptr && *tmpdir != '\0') ? tmpdir : "/tmp";
    std::string templ = base + "/libssh2-hpp-sshd.XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
        throw std::runtime_error("test_support::sshd: mkdtemp(" + templ + "): " + std::strerror(errno));
    }
    const std::string dir = buf.data();

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
        s.dir = dir;
        read_server_files(s);
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
        s.dir = dir;
        read_server_files(s);
        // Names as in test-sshd's password-user mode.
        s.password_user = "libssh2-hpp-test";
        s.password = trim(read_text_file(dir + "/password"));
        s.client_hostname = "libssh2-client.test";
        s.client_host_key = dir + "/client_host_ecdsa_key";
        s.client_host_pubkey = dir + "/client_host_ecdsa_key.pub";
        s.client_host_ed25519_key = dir + "/client_host_ed25519_key";
        s.client_host_ed25519_pubkey = dir + "/client_host_ed25519_key.pub";
        s.other_local_user = "libssh2-hpp-other-client";
        s.log = dir + "/sshd.log";
        // The script's names, checked against the passwd copy the server uses.
        if (read_text_file(dir + "/passwd").find("\n" + s.password_user + ":") == std::string::npos) {
            throw std::runtime_error("test_support::sshd_password: " + s.password_user + " missing from " + dir +
                                     "/passwd");
        }
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
