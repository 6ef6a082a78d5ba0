// pexec: runs one command on many SSH targets at once, from one thread, as parallel-ssh
// (Debian pssh) does with one OpenSSH process per target. Every target is a session of
// <libssh2/asio.hpp> on one io_context: connect, host key check, login, exec, disconnect.
//
//   pexec [options] TARGET... -- COMMAND [ARGS...]
//   pexec [options] -h HOSTS_FILE [TARGET...] [--] COMMAND [ARGS...]
//
//   TARGET is [USER@]HOST[:PORT] ([USER@][HOST]:PORT for an IPv6 address); a hosts file has one
//   a line (blank lines and # comments skipped; a second word, as pssh allows, is the user).
//     -h, --hosts FILE         read targets from FILE (repeatable)
//     -H, --host TARGET        one more target (repeatable)
//     -l, --user USER          user for targets without USER@ (default: the local user)
//     -i, --identity KEY       private key file (public key: KEY.pub if it exists, else derived);
//                              without -i the keys of the SSH agent (SSH_AUTH_SOCK)
//     -k, --known-hosts FILE   OpenSSH known_hosts file every host key must be in
//                              (default ~/.ssh/known_hosts); an unknown or different key
//                              is refused, with its fingerprint
//     -t, --timeout SECONDS    per target, connection to disconnection (default 60; 0: none)
//     -p, --par N              at most N targets at once (default 32; 0: all at once): more
//                              only adds connections waiting in the server's queues
//     -o, --outdir DIR         each target's stdout to DIR/TARGET instead of inline (a target
//                              named again: DIR/TARGET.1, DIR/TARGET.2, ... as pssh)
//     -e, --errdir DIR         each target's stderr to DIR/TARGET instead of inline
//     -q, --quiet              no line for a target that succeeded (failures still have one)
//     --help
//
// A connection the server drops before its SSH banner (an sshd past MaxStartups, which writes
// "Exceeded MaxStartups" and closes; a reset) is made again, at most 4 times, after a pause of
// 0.1-0.2 s, then 0.2-0.4 s, 0.4-0.8 s, 0.8-1.6 s; a refused connection, host key or login is
// an answer, never tried again. Each drop also halves how many targets run and connect at once
// (not below 4), and each login that succeeds adds one back, up to -p.
//
// Inline output (without -o/-e), line by line as it arrives: stdout on stdout and stderr on
// stderr, each line prefixed "TARGET: " (as pssh -P). On stderr, one status line per target
// when it is done, numbered in the order they finish (as pssh), then a summary:
//   [1] 12:00:01 [SUCCESS] alice@web1
//   [2] 12:00:01 [FAILURE] web2:2222: exited with status 3
//   pexec: 2 targets, 1 succeeded, 1 failed (1 exited non-zero), 0.84 s
// Exit status (pssh's): 0 all succeeded; 1 a local failure (an unreadable hosts file, an
// output directory that cannot be made); 2 a usage error; else the first that applies of
// 3 a target timed out, 4 a target could not connect, verify, log in or run the command (or
// the command was killed by a signal), 5 a command exited with a non-zero status.
#include <libssh2/asio.hpp>
#include <libssh2/io.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/io_context.hpp>

#include <fcntl.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = libssh2::asio::net;
using libssh2::asio::error_code;
using clock_type = std::chrono::steady_clock;

const char *const usage_text =
    "usage: pexec [options] TARGET... -- COMMAND [ARGS...]\n"
    "       pexec [options] -h HOSTS_FILE [TARGET...] [--] COMMAND [ARGS...]\n"
    "Runs COMMAND on every TARGET ([USER@]HOST[:PORT]) at once over SSH, from one thread, and\n"
    "reports each target's output, exit status or failure, then a summary.\n"
    "  -h, --hosts FILE         read targets from FILE, one [USER@]HOST[:PORT] a line\n"
    "  -H, --host TARGET        one more target\n"
    "  -l, --user USER          user for targets without USER@ (default: the local user)\n"
    "  -i, --identity KEY       private key file (default: the SSH agent's keys)\n"
    "  -k, --known-hosts FILE   known_hosts file (default ~/.ssh/known_hosts)\n"
    "  -t, --timeout SECONDS    per target, from connecting to disconnecting (default 60; 0: none)\n"
    "  -p, --par N              at most N targets at once (default 32; 0: all at once)\n"
    "  -o, --outdir DIR         write each target's stdout to DIR/TARGET instead of inline\n"
    "  -e, --errdir DIR         write each target's stderr to DIR/TARGET instead of inline\n"
    "  -q, --quiet              print no status line for a target that succeeded\n"
    "      --help               print this help and exit\n"
    "Inline output is prefixed \"TARGET: \", stdout on stdout, stderr on stderr. Status lines and\n"
    "the summary go to stderr. Exit status: 0 all succeeded, 1 local failure, 2 usage error,\n"
    "3 a target timed out, 4 a target failed to connect, log in or run COMMAND, 5 a COMMAND\n"
    "exited non-zero.\n";

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct local_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct help_requested {};

struct target {
    std::string spelling;  // as given: the label of its output and of its files
    std::string user, host;
    unsigned short port = 22;
};

struct options {
    std::vector<target> targets;
    std::string command;
    std::string user, identity, known_hosts, outdir, errdir;
    double timeout_s = 60;
    std::size_t parallel = 32;
    bool quiet = false;
};

std::string local_user() {
    if (const passwd *pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
    if (const char *user = std::getenv("USER"); user && *user) return user;
    throw local_error("cannot tell the local user name: use -l USER");
}

std::string home_directory() {
    if (const char *home = std::getenv("HOME"); home && *home) return home;
    if (const passwd *pw = getpwuid(geteuid()); pw && pw->pw_dir) return pw->pw_dir;
    return ".";
}

// [USER@]HOST[:PORT], [USER@][V6ADDR]:PORT; user empty when not given.
target parse_target(const std::string &spelling) {
    target t;
    t.spelling = spelling;
    std::string rest = spelling;
    if (const auto at = rest.rfind('@'); at != std::string::npos) {
        t.user = rest.substr(0, at);
        rest = rest.substr(at + 1);
    }
    std::string port;
    if (!rest.empty() && rest[0] == '[') {
        const auto close = rest.find(']');
        if (close == std::string::npos) throw usage_error("invalid target '" + spelling + "': no ']'");
        t.host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') throw usage_error("invalid target '" + spelling + "'");
            port = rest.substr(close + 2);
        }
    } else if (const auto colon = rest.find(':'); colon != std::string::npos && rest.find(':', colon + 1) == std::string::npos) {
        t.host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    } else {
        t.host = rest;  // a bare IPv6 address has several colons and no port
    }
    if (t.host.empty() || (t.user.empty() && spelling.find('@') != std::string::npos))
        throw usage_error("invalid target '" + spelling + "'");
    if (!port.empty() || rest.back() == ':') {
        char *end = nullptr;
        errno = 0;
        const long number = std::strtol(port.c_str(), &end, 10);
        if (port.empty() || *end != '\0' || errno != 0 || number < 1 || number > 65535)
            throw usage_error("invalid port in target '" + spelling + "'");
        t.port = static_cast<unsigned short>(number);
    }
    return t;
}

// pssh's hosts file: "[USER@]HOST[:PORT] [USER]" a line; # starts a comment.
void read_hosts_file(const std::string &path, std::vector<target> &targets) {
    std::ifstream in(path);
    if (!in) throw local_error("cannot read hosts file " + path + ": " + std::strerror(errno));
    std::string line;
    while (std::getline(in, line)) {
        if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::istringstream words(line);
        std::string spelling, user, extra;
        if (!(words >> spelling)) continue;
        words >> user;
        if (words >> extra) throw local_error("hosts file " + path + ": cannot read line '" + line + "'");
        target t = parse_target(spelling);
        if (!user.empty() && t.user.empty()) t.user = user;
        targets.push_back(std::move(t));
    }
}

double parse_number(const std::string &option, const std::string &value) {
    char *end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(number) || number < 0)
        throw usage_error("invalid " + option + ": '" + value + "'");
    return number;
}

options parse_command_line(int argc, char **argv) {
    options o;
    std::vector<std::string> operands;
    std::vector<std::string> command;
    bool have_separator = false, have_hosts = false;
    o.known_hosts = home_directory() + "/.ssh/known_hosts";
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--") {
            command.assign(argv + i + 1, argv + argc);
            have_separator = true;
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            operands.push_back(arg);
            continue;
        }
        if (arg == "--help") throw help_requested{};
        if (arg == "-q" || arg == "--quiet") {
            o.quiet = true;
            continue;
        }
        // An option with a value: "-t 5", "-t5", "--timeout 5", "--timeout=5".
        static const std::map<std::string, char> long_names = {
            {"--hosts", 'h'},    {"--host", 'H'},     {"--user", 'l'},  {"--identity", 'i'}, {"--known-hosts", 'k'},
            {"--timeout", 't'}, {"--par", 'p'},      {"--outdir", 'o'}, {"--errdir", 'e'}};
        char name = 0;
        std::string value;
        bool have_value = false;
        if (arg[1] == '-') {
            const auto equals = arg.find('=');
            const auto found = long_names.find(arg.substr(0, equals));
            if (found == long_names.end()) throw usage_error("unknown option " + arg.substr(0, equals));
            name = found->second;
            if (equals != std::string::npos) {
                value = arg.substr(equals + 1);
                have_value = true;
            }
        } else {
            name = arg[1];
            if (std::string("hHlikttpoe").find(name) == std::string::npos) throw usage_error("unknown option " + arg);
            if (arg.size() > 2) {
                value = arg.substr(2);
                have_value = true;
            }
        }
        if (!have_value) {
            if (i + 1 >= argc) throw usage_error("option " + arg + " needs a value");
            value = argv[++i];
        }
        switch (name) {
        case 'h':
            read_hosts_file(value, o.targets);
            have_hosts = true;
            break;
        case 'H':
            o.targets.push_back(parse_target(value));
            have_hosts = true;
            break;
        case 'l': o.user = value; break;
        case 'i': o.identity = value; break;
        case 'k': o.known_hosts = value; break;
        case 't': o.timeout_s = parse_number("timeout", value); break;
        case 'p': {
            const double n = parse_number("parallelism", value);
            if (n != std::floor(n)) throw usage_error("invalid parallelism: '" + value + "'");
            o.parallel = static_cast<std::size_t>(n);
            break;
        }
        case 'o': o.outdir = value; break;
        case 'e': o.errdir = value; break;
        }
    }
    // Without "--", the operands are the command when -h or -H named the targets (as pssh).
    if (!have_separator) {
        if (!have_hosts) throw usage_error("no command: put it after --, as in pexec HOST... -- COMMAND");
        command = std::move(operands);
        operands.clear();
    }
    for (const std::string &spelling : operands) o.targets.push_back(parse_target(spelling));
    for (const std::string &word : command) o.command += (o.command.empty() ? "" : " ") + word;
    if (o.targets.empty()) throw usage_error("no target");
    if (o.command.empty()) throw usage_error("no command");
    if (o.user.empty()) o.user = local_user();
    for (target &t : o.targets)
        if (t.user.empty()) t.user = o.user;
    return o;
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw local_error(std::string("cannot write output: ") + std::strerror(errno));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string seconds(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f s", s);
    return text;
}

// One target's run: its session, its deadline, where its output goes, how it ended.
struct job {
    enum class outcome { succeeded, exited_non_zero, signalled, timed_out, failed };

    target t;
    std::string file_name;  // in the -o/-e directories
    std::unique_ptr<libssh2::asio::session> s;
    std::unique_ptr<net::steady_timer> timer;
    // Terminal cancellation of the operation in progress, when the target's time is up: it
    // reaches the TCP connect too, which the session's operation timeout does not cover.
    net::cancellation_signal cancel;
    clock_type::time_point deadline = clock_type::time_point::max();
    bool timed_out = false;
    int connect_retries = 0;  // connections the server dropped before the handshake, tried again
    std::unique_ptr<net::steady_timer> backoff;
    int fd[2] = {-1, -1};   // -o/-e files, stdout and stderr
    std::string partial[2];  // inline: the line not yet ended, per stream
    outcome result = outcome::failed;
    std::string reason;
};

class runner {
public:
    runner(net::io_context &context, const options &o) : context_(context), o_(o) {
        std::map<std::string, int> seen;  // a target named again gets NAME.1, NAME.2, ... (as pssh)
        for (const target &t : o.targets) {
            jobs_.push_back(std::make_unique<job>());
            jobs_.back()->t = t;
            std::string name = t.spelling;
            for (char &c : name)
                if (c == '/') c = '_';
            if (const int count = seen[name]++) name += "." + std::to_string(count);
            jobs_.back()->file_name = name;
        }
        make_directory(o.outdir);
        make_directory(o.errdir);
        parallel_ = o.parallel == 0 ? jobs_.size() : o.parallel;
        window_ = parallel_;
        if (o.identity.empty() && !std::getenv("SSH_AUTH_SOCK"))
            throw local_error("no key given (-i KEY) and no SSH agent (SSH_AUTH_SOCK is not set)");
        login_.known_hosts = o.known_hosts;
        if (!o.identity.empty()) {
            login_.private_key = o.identity;
            if (::access((o.identity + ".pub").c_str(), R_OK) == 0) login_.public_key = o.identity + ".pub";
        }
    }

    // Starts the first targets; the io_context's run() does the rest.
    void start() {
        start_ = clock_type::now();
        start_more();
    }

    // The summary line and the exit status (see the top).
    int finish() {
        const double elapsed = std::chrono::duration<double>(clock_type::now() - start_).count();
        std::size_t count[5] = {};
        for (const auto &j : jobs_) ++count[static_cast<int>(j->result)];
        const std::size_t succeeded = count[static_cast<int>(job::outcome::succeeded)];
        std::string line = "pexec: " + std::to_string(jobs_.size()) + (jobs_.size() == 1 ? " target, " : " targets, ") +
                           std::to_string(succeeded) + " succeeded, " + std::to_string(jobs_.size() - succeeded) +
                           " failed";
        std::string details;
        const auto detail = [&](job::outcome which, const char *what) {
            if (const std::size_t n = count[static_cast<int>(which)])
                details += (details.empty() ? "" : ", ") + std::to_string(n) + " " + what;
        };
        detail(job::outcome::timed_out, "timed out");
        detail(job::outcome::failed, "could not connect, log in or run the command");
        detail(job::outcome::signalled, "killed by a signal");
        detail(job::outcome::exited_non_zero, "exited non-zero");
        if (!details.empty()) line += " (" + details + ")";
        line += ", " + seconds(elapsed) + "\n";
        write_all(STDERR_FILENO, line);
        if (count[static_cast<int>(job::outcome::timed_out)]) return 3;
        if (count[static_cast<int>(job::outcome::failed)] || count[static_cast<int>(job::outcome::signalled)]) return 4;
        if (count[static_cast<int>(job::outcome::exited_non_zero)]) return 5;
        return 0;
    }

private:
    static void make_directory(const std::string &path) {
        if (!path.empty() && ::mkdir(path.c_str(), 0777) != 0 && errno != EEXIST)
            throw local_error("cannot create directory " + path + ": " + std::strerror(errno));
    }

    void start_more() {
        while (running_ < window_ && next_ < jobs_.size()) {
            ++running_;
            start(*jobs_[next_++]);
        }
    }

    // The operation timeout of the next step: what is left of the target's time, and a margin
    // so that the target's timer (which cuts the connection first) normally ends it.
    bool set_remaining_time(job &j) {
        if (j.deadline == clock_type::time_point::max()) return true;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(j.deadline - clock_type::now());
        if (left.count() <= 0) return false;
        j.s->set_operation_timeout(left + std::chrono::milliseconds(200));
        return true;
    }

    void start(job &j) {
        for (int stream = 0; stream < 2; ++stream) {
            const std::string &dir = stream == 0 ? o_.outdir : o_.errdir;
            if (dir.empty()) continue;
            const std::string path = dir + "/" + j.file_name;
            j.fd[stream] = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
            if (j.fd[stream] < 0) return done(j, job::outcome::failed, "cannot create " + path + ": " + std::strerror(errno));
        }
        if (o_.timeout_s > 0) {
            j.deadline = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                 std::chrono::duration<double>(o_.timeout_s));
            j.timer = std::make_unique<net::steady_timer>(context_, j.deadline);
            j.timer->async_wait([&j](const error_code &ec) {
                if (ec) return;
                j.timed_out = true;
                if (j.backoff && j.backoff->cancel() > 0) return;  // waiting to connect again: ends now
                if (!j.s) return;
                // A target out of time is dropped: its connection cut, so that nothing waits
                // for a command that still runs (sshd closes its channel when it ends).
                j.s->ssh().set_teardown_timeout(0);
                j.cancel.emit(net::cancellation_type::terminal);  // the connect or the exec
            });
        }
        connect(j);
    }

    void connect(job &j) {
        j.s = std::make_unique<libssh2::asio::session>(context_);
        // Backstop only: the operation timeout (set_remaining_time) runs out after the timer
        // above; then a channel still open is given up after this long.
        j.s->ssh().set_teardown_timeout(250);
        if (!set_remaining_time(j)) return done(j, job::outcome::timed_out, timeout_reason());
        libssh2::asio::login_options login = login_;
        login.user = j.t.user;
        ++connecting_;
        libssh2::asio::async_connect(
            *j.s, j.t.host, j.t.port, login,
            net::bind_cancellation_slot(j.cancel.slot(), [this, &j](const error_code &ec,
                                                                     const libssh2::host_key_verification &key) {
                connected(j, ec, key);
            }));
    }

    // A connection the server closed or reset before its SSH banner ("SSH-2.0-..."): an sshd
    // past its MaxStartups (it writes "Exceeded MaxStartups" and closes), or a listen queue
    // that overflowed. A refused connection, a host key or a login that failed are answers,
    // and never tried again.
    static bool dropped_before_banner(job &j, const error_code &ec, const libssh2::host_key_verification &key) {
        if (!key.key_type.empty() || !j.s) return false;
        const bool dropped = ec == libssh2::errc::socket_disconnect || ec == libssh2::errc::socket_recv ||
                             ec == libssh2::errc::socket_send || ec == libssh2::errc::banner_recv ||
                             ec == std::errc::connection_reset || ec == std::errc::broken_pipe;
        const char *banner = j.s->ssh().banner_get();  // libssh2 keeps the first line it read
        return dropped && (!banner || std::strncmp(banner, "SSH-", 4) != 0);
    }

    // Connects again after a short, growing, randomized pause (the targets dropped together
    // come back spread out), at most max_connect_retries times.
    bool retry_connect(job &j) {
        window_ = std::max(std::min(window_, parallel_) / 2, std::min(min_window, parallel_));
        if (j.connect_retries >= max_connect_retries) return false;
        const int step = j.connect_retries++;
        j.s.reset();
        std::uniform_int_distribution<int> jitter(0, 100 << step);
        connect_after(j, std::chrono::milliseconds((100 << step) + jitter(random_)));
        return true;
    }

    // Connects after pause, or after another while as many as the window allows are connecting.
    void connect_after(job &j, std::chrono::milliseconds pause) {
        if (!j.backoff) j.backoff = std::make_unique<net::steady_timer>(context_);
        j.backoff->expires_after(pause);
        j.backoff->async_wait([this, &j, pause](const error_code &ec) {
            if (ec || j.timed_out) return done(j, job::outcome::timed_out, timeout_reason());
            if (connecting_ >= window_) return connect_after(j, pause);
            connect(j);
        });
    }

    bool time_is_up(job &j, const error_code &ec) {
        return j.timed_out || ec == libssh2::errc::timeout || ec == net::error::timed_out;
    }

    void connected(job &j, const error_code &ec, const libssh2::host_key_verification &key) {
        --connecting_;
        if (ec && time_is_up(j, ec)) return done(j, job::outcome::timed_out, timeout_reason());
        const bool dropped = ec && dropped_before_banner(j, ec, key);
        if (dropped && retry_connect(j)) return;
        if (ec) return done(j, job::outcome::failed, connect_failure(j, ec, key, dropped));
        if (window_ < parallel_) {
            ++window_;
            start_more();
        }
        if (!set_remaining_time(j)) return done(j, job::outcome::timed_out, timeout_reason());
        libssh2::asio::async_exec(
            *j.s, o_.command, [this, &j](int stream, std::string_view data) { output(j, stream, data); },
            net::bind_cancellation_slot(j.cancel.slot(), [this, &j](const error_code &ec2, libssh2::asio::exec_result r) {
                executed(j, ec2, r);
            }));
    }

    void executed(job &j, const error_code &ec, const libssh2::asio::exec_result &r) {
        if (ec && time_is_up(j, ec)) return done(j, job::outcome::timed_out, timeout_reason());
        if (ec) return done(j, job::outcome::failed, "running the command failed: " + ec.message());
        if (!r.exit_signal.empty()) {
            j.result = job::outcome::signalled;
            j.reason = "killed by signal " + r.exit_signal;
        } else if (r.exit_status != 0) {
            j.result = job::outcome::exited_non_zero;
            j.reason = "exited with status " + std::to_string(r.exit_status);
        } else {
            j.result = job::outcome::succeeded;
        }
        // The goodbye is courtesy: bounded, and its failure changes nothing.
        j.s->set_operation_timeout(std::chrono::milliseconds(1000));
        libssh2::asio::async_disconnect(*j.s, [this, &j](const error_code &, int) { done(j, j.result, j.reason); });
    }

    std::string timeout_reason() const {
        char text[64];
        std::snprintf(text, sizeof text, "timed out after %g s", o_.timeout_s);
        return text;
    }

    // dropped: the server closed or reset the connection before its banner (after the TCP
    // connect: the handshake failed, whatever errno it failed with).
    std::string connect_failure(const job &j, const error_code &ec, const libssh2::host_key_verification &key,
                                bool dropped) const {
        if (ec == libssh2::host_key_errc::unknown_host || ec == libssh2::host_key_errc::changed_key)
            return "host key verification failed: " + key.refusal();
        if (key.status == libssh2::host_key_status::match)
            return (o_.identity.empty() ? "login as " + j.t.user + " with the agent's keys failed: "
                                        : "public key authentication as " + j.t.user + " failed: ") +
                   ec.message();
        if (!key.key_type.empty()) return "cannot read known_hosts file " + o_.known_hosts + ": " + ec.message();
        const std::string tries =
            j.connect_retries > 0 ? " (" + std::to_string(j.connect_retries + 1) + " connections, each dropped)" : "";
        if (dropped || ec.category() == libssh2::session_category())
            return "SSH handshake with " + j.t.host + " port " + std::to_string(j.t.port) + " failed: " + ec.message() +
                   tries;
        return "cannot connect to " + j.t.host + " port " + std::to_string(j.t.port) + ": " + ec.message() + tries;
    }

    // Inline: whole lines, each prefixed with the target; the files of -o/-e: as it comes.
    void output(job &j, int stream, std::string_view data) {
        if (j.fd[stream] >= 0) return write_all(j.fd[stream], data);
        std::string &partial = j.partial[stream];
        std::string text;
        std::size_t begin = 0;
        for (auto end = data.find('\n'); end != std::string_view::npos; end = data.find('\n', begin)) {
            text += j.t.spelling + ": " + partial;
            text.append(data.substr(begin, end + 1 - begin));
            partial.clear();
            begin = end + 1;
        }
        partial.append(data.substr(begin));
        write_all(stream == 0 ? STDOUT_FILENO : STDERR_FILENO, text);
    }

    void done(job &j, job::outcome result, std::string reason) {
        for (int stream = 0; stream < 2; ++stream) {
            if (!j.partial[stream].empty())
                write_all(stream == 0 ? STDOUT_FILENO : STDERR_FILENO, j.t.spelling + ": " + j.partial[stream] + "\n");
            j.partial[stream].clear();
            if (j.fd[stream] >= 0) ::close(j.fd[stream]);
            j.fd[stream] = -1;
        }
        j.result = result;
        j.reason = std::move(reason);
        if (j.timer) j.timer->cancel();
        j.s.reset();  // pending steps end with operation_aborted; the session goes with the last
        ++finished_;
        if (!o_.quiet || result != job::outcome::succeeded) {
            char clock_text[16] = "";
            const time_t now = ::time(nullptr);
            struct tm local {};
            if (localtime_r(&now, &local)) std::strftime(clock_text, sizeof clock_text, "%H:%M:%S", &local);
            write_all(STDERR_FILENO, "[" + std::to_string(finished_) + "] " + clock_text +
                                         (result == job::outcome::succeeded ? " [SUCCESS] " : " [FAILURE] ") +
                                         j.t.spelling + (j.reason.empty() ? "" : ": " + j.reason) + "\n");
        }
        --running_;
        start_more();
    }

    net::io_context &context_;
    const options &o_;
    libssh2::asio::login_options login_;
    std::vector<std::unique_ptr<job>> jobs_;
    std::size_t parallel_ = 0, next_ = 0, running_ = 0, finished_ = 0;
    // How many targets may run at once now: parallel_, halved (down to min_window) when the
    // server drops a connection before its banner, one more per login that succeeds, as TCP
    // finds a link's capacity. An sshd drops new connections at random once more than its
    // MaxStartups (10 by default) are in their handshake: fewer at once, fewer dropped.
    std::size_t window_ = 0;
    std::size_t connecting_ = 0;  // targets between their TCP connect and their login's end
    static constexpr std::size_t min_window = 4;
    static constexpr int max_connect_retries = 4;
    std::minstd_rand random_{std::random_device{}()};
    clock_type::time_point start_;
};

// Each session holds a socket: let as many targets run at once as the hard limit allows.
void raise_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

int main(int argc, char **argv) {
    try {
        const options o = parse_command_line(argc, argv);
        raise_file_limit();
        const libssh2::library library;
        net::io_context context;  // run() on this thread alone
        runner r(context, o);
        r.start();
        context.run();
        return r.finish();
    } catch (const help_requested &) {
        std::fputs(usage_text, stdout);
        return 0;
    } catch (const usage_error &e) {
        std::fprintf(stderr, "pexec: %s\n%s", e.what(), usage_text);
        return 2;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "pexec: %s\n", e.what());
        return 1;
    }
}
