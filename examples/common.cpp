#include "common.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace example {

namespace {

const char *program = "example";

std::string home_directory() {
    if (const char *home = std::getenv("HOME"); home && *home) return home;
    const passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_dir : ".";
}

std::string login_name() {
    if (const char *user = std::getenv("USER"); user && *user) return user;
    const passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "root";
}

bool file_exists(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

void print_usage(FILE *out, const usage &u) {
    std::fprintf(out, "usage: %s [options] [USER@]HOST[:PORT] %s\n\n%s\n\noptions:\n", program, u.operands, u.summary);
    if (u.key_option)
        std::fprintf(out, "  %-22s %s\n  %-22s %s\n", "-i KEY", "private key; public key: KEY.pub if it exists",
                     "", "(default: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa)");
    std::fprintf(out, "  %-22s %s\n", "-o KNOWN_HOSTS", "known_hosts file listing the host key (default: ~/.ssh/known_hosts)");
    std::fprintf(out, "  %-22s %s\n", "-p PORT", "port when HOST has no :PORT (default: 22)");
    std::fprintf(out, "  %-22s %s\n", "--timeout SECONDS", "give up on connecting, the handshake or any stall (default: 30)");
    for (const option &o : u.options) {
        const std::string spec = o.value_name ? std::string(o.name) + " " + o.value_name : o.name;
        std::fprintf(out, "  %-22s %s\n", spec.c_str(), o.help);
    }
    std::fprintf(out, "  %-22s %s\n", "-h, --help", "show this help");
}

int parse_port(const std::string &text) {
    char *end = nullptr;
    const long port = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end || port < 1 || port > 65535) throw error("invalid port: '" + text + "'");
    return static_cast<int>(port);
}

// [USER@]HOST[:PORT], HOST may be [IPv6].
void parse_destination(const std::string &text, target &t) {
    std::string rest = text;
    if (const auto at = rest.rfind('@'); at != std::string::npos) {
        t.user = rest.substr(0, at);
        rest = rest.substr(at + 1);
    }
    std::string port;
    if (!rest.empty() && rest[0] == '[') {
        const auto close = rest.find(']');
        if (close == std::string::npos) throw error("missing ']' in '" + text + "'");
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') throw error("invalid destination: '" + text + "'");
            port = rest.substr(close + 2);
        }
        rest = rest.substr(1, close - 1);
    } else if (const auto colon = rest.find(':'); colon != std::string::npos && rest.find(':', colon + 1) == std::string::npos) {
        port = rest.substr(colon + 1);
        rest = rest.substr(0, colon);
    }
    if (rest.empty() || (t.user.empty() && text.find('@') != std::string::npos))
        throw error("invalid destination: '" + text + "' (expected [USER@]HOST[:PORT])");
    t.host = rest;
    if (!port.empty()) t.port = parse_port(port);
    if (t.user.empty()) t.user = login_name();
}

// libssh2's last error, in words a user acts on: a dead or silent connection is said so.
std::string session_error(libssh2::session &session) {
    if (!session) return "unknown error";
    switch (session.last_errno()) {
    case LIBSSH2_ERROR_SOCKET_RECV:
    case LIBSSH2_ERROR_SOCKET_SEND:
    case LIBSSH2_ERROR_SOCKET_DISCONNECT:
    case LIBSSH2_ERROR_BANNER_RECV: return "connection lost";
    case LIBSSH2_ERROR_TIMEOUT:
    case LIBSSH2_ERROR_SOCKET_TIMEOUT: return "no answer from the server in time (--timeout)";
    default: break;
    }
    char *message = nullptr;
    int length = 0;
    session.last_error(&message, &length, 0);
    return message && length > 0 ? std::string(message, static_cast<size_t>(length)) : "unknown error";
}

// Whether a private key file is encrypted: OpenSSH's own format names its cipher ("none"
// when not); PEM files say "ENCRYPTED" in their header.
bool key_needs_passphrase(const std::string &path) {
    FILE *f = std::fopen(path.c_str(), "r");
    if (!f) return false;
    std::string text;
    char chunk[4096];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) text.append(chunk, n);
    std::fclose(f);
    if (text.find("ENCRYPTED") != std::string::npos) return true;
    const std::string begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
    const auto start = text.find(begin);
    if (start == std::string::npos) return false;
    std::string base64;
    for (size_t i = start + begin.size(); i < text.size() && text[i] != '-'; ++i)
        if (!std::isspace(static_cast<unsigned char>(text[i]))) base64 += text[i];
    // "openssh-key-v1\0", then the cipher name as a length-prefixed string: decode the start.
    static const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string raw;
    unsigned bits = 0;
    int count = 0;
    for (size_t i = 0; i < base64.size() && raw.size() < 40; ++i) {
        const auto v = digits.find(base64[i]);
        if (v == std::string::npos) break;
        bits = (bits << 6) | static_cast<unsigned>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            raw += static_cast<char>((bits >> count) & 0xff);
        }
    }
    const size_t at = std::string("openssh-key-v1").size() + 1 + 4;
    return raw.size() >= at + 4 && raw.compare(at, 4, "none") != 0;
}

// A key's passphrase: from SSH_ASKPASS (OpenSSH's rules: when set and there is no terminal,
// or SSH_ASKPASS_REQUIRE=force), else asked on the terminal without echo.
std::string ask_passphrase(const std::string &key) {
    const std::string prompt = "Enter passphrase for key '" + key + "': ";
    const char *askpass = std::getenv("SSH_ASKPASS");
    const char *require = std::getenv("SSH_ASKPASS_REQUIRE");
    const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    const bool use_askpass = askpass && *askpass && !(require && std::strcmp(require, "never") == 0) &&
                             (tty < 0 || (require && std::strcmp(require, "force") == 0));
    if (use_askpass) {
        if (tty >= 0) ::close(tty);
        int fds[2];
        if (pipe(fds) != 0) throw error("cannot run SSH_ASKPASS: " + std::string(std::strerror(errno)));
        const pid_t pid = fork();
        if (pid == 0) {
            dup2(fds[1], STDOUT_FILENO);
            ::close(fds[0]);
            ::close(fds[1]);
            execlp(askpass, askpass, prompt.c_str(), static_cast<char *>(nullptr));
            _exit(127);
        }
        ::close(fds[1]);
        std::string answer;
        char buffer[256];
        ssize_t n;
        while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) answer.append(buffer, static_cast<size_t>(n));
        ::close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            throw error("key " + key + " needs a passphrase, and SSH_ASKPASS (" + askpass + ") gave none");
        while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
        return answer;
    }
    if (tty < 0)
        throw error("key " + key + " needs a passphrase: run from a terminal, or set SSH_ASKPASS to a program that prints it");
    termios saved{};
    const bool terminal = tcgetattr(tty, &saved) == 0;
    if (terminal) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    if (::write(tty, prompt.data(), prompt.size()) < 0) {
    }
    std::string answer;
    char c;
    while (::read(tty, &c, 1) == 1 && c != '\n') answer += c;
    if (terminal) tcsetattr(tty, TCSAFLUSH, &saved);
    if (::write(tty, "\n", 1) < 0) {
    }
    ::close(tty);
    return answer;
}

double now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int run(int argc, char **argv, const usage &u, const std::function<int(target &)> &body, int failure_status) {
    if (argc > 0) {
        const char *slash = std::strrchr(argv[0], '/');
        program = slash ? slash + 1 : argv[0];
    }
    target t;
    try {
        std::string port, timeout;
        int i = 1;
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; ++i) {
            std::string arg = argv[i], inline_value;
            bool has_inline_value = false;
            if (arg == "--") {
                ++i;
                break;
            }
            if (arg == "-h" || arg == "--help") {
                print_usage(stdout, u);
                return 0;
            }
            if (const auto eq = arg.find('='); arg.compare(0, 2, "--") == 0 && eq != std::string::npos) {
                inline_value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_inline_value = true;
            }
            std::string *value = nullptr;
            bool takes_value = true;
            if (arg == "-i" && u.key_option) value = &t.key;
            else if (arg == "-o") value = &t.known_hosts;
            else if (arg == "-p") value = &port;
            else if (arg == "--timeout") value = &timeout;
            for (const option &o : u.options) {
                if (arg == o.name) {
                    value = o.value;
                    takes_value = o.value_name != nullptr;
                }
            }
            if (!value) throw error("unknown option " + arg);
            if (!takes_value) {
                if (has_inline_value) throw error("option " + arg + " takes no value");
                *value = "1";
            } else if (has_inline_value) {
                *value = inline_value;
            } else if (i + 1 < argc) {
                *value = argv[++i];
            } else {
                throw error("option " + arg + " needs a value");
            }
        }
        if (!port.empty()) t.port = parse_port(port);
        if (!timeout.empty()) {
            char *end = nullptr;
            const long seconds = std::strtol(timeout.c_str(), &end, 10);
            if (*end || seconds < 1 || seconds > 86400) throw error("invalid timeout: '" + timeout + "' (seconds, 1 to 86400)");
            t.timeout_s = static_cast<int>(seconds);
        }
        if (i >= argc) throw error("missing [USER@]HOST[:PORT]");
        parse_destination(argv[i++], t);
        t.operands.assign(argv + i, argv + argc);
        const int n = static_cast<int>(t.operands.size());
        if (n < u.min_operands || (u.max_operands >= 0 && n > u.max_operands))
            throw error(std::string("expected ") + u.operands + " after the destination");
        if (t.known_hosts.empty()) t.known_hosts = home_directory() + "/.ssh/known_hosts";
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        std::fprintf(stderr, "usage: %s [options] [USER@]HOST[:PORT] %s  (--help for more)\n", program, u.operands);
        return 2;
    }
    try {
        return body(t);
    } catch (const std::exception &e) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        return failure_status;
    }
}

connection::connection(const target &t) : timeout_ms_(t.timeout_s * 1000) {
    std::error_code ec;
    socket_ = libssh2::tcp_connect(t.host, t.port, timeout(), ec);
    if (ec)
        throw error("cannot connect to " + t.host + " port " + std::to_string(t.port) + ": " +
                    (ec == libssh2::errc::timeout ? "no answer in time (--timeout)" : ec.message()));
    session = libssh2::session::init();
    if (!session) throw error("cannot create an SSH session");
    session.set_timeout(timeout_ms_);  // every blocking call, the handshake first
    if (timeout_ms_ < session.teardown_timeout()) session.set_teardown_timeout(timeout_ms_);
    if (session.handshake(socket_.get()) != 0)
        fail("SSH handshake with " + t.host + " port " + std::to_string(t.port) + " failed");

    // The host key must be the one known_hosts lists for HOST (port 22) or [HOST]:PORT.
    const libssh2::host_key_verification key = libssh2::verify_host_key(session, t.known_hosts, t.host, t.port, ec);
    if (ec) throw error("cannot read known_hosts file " + t.known_hosts + " (choose one with -o)");
    const std::string offered = key.key_type + " key " + key.fingerprint;
    switch (key.status) {
    case libssh2::host_key_status::match: return;
    case libssh2::host_key_status::mismatch:
        throw error("host key verification failed: the " + offered + " of " + key.host_entry + " differs from the one in " +
                    t.known_hosts + ": someone may be intercepting the connection, or the host key has changed");
    case libssh2::host_key_status::unknown:
        throw error("host key verification failed: " + key.host_entry + " is not in " + t.known_hosts + " (it offers the " +
                    offered + "); if that is the right key, add it, e.g. with: ssh-keyscan -p " +
                    std::to_string(t.port) + " " + t.host + " >> " + t.known_hosts);
    }
}

connection::~connection() {
    if (!session) return;
    session.set_blocking(1);
    session.disconnect("bye");
}

void connection::authenticate_with_key(const target &t) {
    std::vector<std::string> keys;
    if (!t.key.empty()) {
        keys.push_back(t.key);
    } else {
        for (const char *name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
            const std::string path = home_directory() + "/.ssh/" + name;
            if (file_exists(path)) keys.push_back(path);
        }
        if (keys.empty()) throw error("no key in ~/.ssh (id_ed25519, id_ecdsa, id_rsa): choose one with -i KEY");
    }
    std::string failures;
    for (const std::string &key : keys) {
        if (!file_exists(key)) throw error("cannot read key " + key + ": " + std::strerror(errno));
        const std::string pub = key + ".pub";
        const std::string passphrase = key_needs_passphrase(key) ? ask_passphrase(key) : std::string();
        // Without a .pub file, libssh2 derives the public key from the private one.
        if (libssh2::userauth::publickey_fromfile(session, t.user.c_str(), file_exists(pub) ? pub.c_str() : nullptr,
                                                  key.c_str(), passphrase.empty() ? nullptr : passphrase.c_str()) == 0)
            return;
        // The private key could not be used here (libssh2: "Callback returned error").
        const int rc = session.last_errno();
        if (rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
            failures += (failures.empty() ? "" : "; ") + key +
                        (passphrase.empty() ? ": cannot read the private key (does it need a passphrase?)" : ": wrong passphrase");
            continue;
        }
        failures += (failures.empty() ? "" : "; ") + key + ": " + session_error(session);
    }
    throw error("public key authentication as " + t.user + " failed (" + failures + ")");
}

void connection::wait_socket(int timeout_ms) {
    std::error_code ec;
    libssh2::wait(session, socket_.get(), std::chrono::milliseconds(timeout_ms >= 0 ? timeout_ms : timeout_ms_), ec);
    if (ec == libssh2::errc::timeout && timeout_ms < 0)
        throw error("no answer from the server for " + std::to_string(timeout_ms_ / 1000) + " s (--timeout)");
}

void connection::fail(const std::string &what) {
    throw error(what + ": " + session_error(session));
}

void connection::fail(const std::string &what, libssh2::sftp &sftp) {
    if (!sftp || session.last_errno() != LIBSSH2_ERROR_SFTP_PROTOCOL) fail(what);
    // The server's status, as <libssh2/errors.hpp> words it ("no such file or directory").
    throw error(what + ": " + libssh2::make_error_code(static_cast<libssh2::sftp_errc>(sftp.last_error())).message());
}

progress::progress(std::string name, std::uint64_t total)
    : name_(std::move(name)), total_(total), enabled_(isatty(STDOUT_FILENO) == 1), start_(now()) {}

void progress::update(std::uint64_t done) {
    done_ = done;
    if (enabled_ && now() - last_draw_ >= 0.1) draw(false);
}

void progress::finish() {
    if (enabled_) draw(true);
}

void progress::draw(bool final) {
    last_draw_ = now();
    const double elapsed = last_draw_ - start_;
    const int percent = total_ ? static_cast<int>(100.0 * static_cast<double>(done_) / static_cast<double>(total_)) : 100;
    const int filled = percent * 20 / 100;
    std::printf("\r%-24.24s [%.*s%*s] %3d%% %10s %10s/s%s", name_.c_str(), filled, "####################", 20 - filled, "",
                percent, human_size(static_cast<double>(done_)).c_str(),
                human_size(elapsed > 0 ? static_cast<double>(done_) / elapsed : 0).c_str(), final ? "\n" : "");
    std::fflush(stdout);
}

std::string human_size(double bytes) {
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit ? "%.1f %s" : "%.0f %s", bytes, units[unit]);
    return text;
}

std::string base_name(const std::string &path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

[[noreturn]] static void fail_errno(const std::string &what) {
    throw error(what + ": " + std::strerror(errno));
}

local_source::local_source(const std::string &path) : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) fail_errno("cannot open " + path_);
    if (::fstat(fd_, &status_) != 0 || !S_ISREG(status_.st_mode)) {
        ::close(fd_);
        throw error(path_ + " is not a regular file");
    }
}

local_source::~local_source() { ::close(fd_); }

std::size_t local_source::read(char *buffer, std::size_t size) {
    const ssize_t n = ::read(fd_, buffer, size);
    if (n < 0) fail_errno("cannot read " + path_);
    return static_cast<std::size_t>(n);
}

local_destination::local_destination(std::string path, mode_t mode)
    : path_(std::move(path)), part_(path_ + ".part"),
      fd_(::open(part_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) {
    if (fd_ < 0) fail_errno("cannot create " + part_);
}

local_destination::~local_destination() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(part_.c_str());
}

void local_destination::write(const char *data, std::size_t size) {
    for (std::size_t written = 0; written < size;) {
        const ssize_t n = ::write(fd_, data + written, size - written);
        if (n < 0) fail_errno("cannot write " + part_);
        written += static_cast<std::size_t>(n);
    }
}

void local_destination::commit() {
    if (::fsync(fd_) != 0) fail_errno("cannot write " + part_);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail_errno("cannot write " + part_);
    if (::rename(part_.c_str(), path_.c_str()) != 0) fail_errno("cannot rename " + part_ + " to " + path_);
    committed_ = true;
}

}  // namespace example
