// The asio engine's teardown and concurrency, measured (bench/README.md, "Async teardown and
// concurrency"): prints two markdown tables.
//   1. N sessions stuck on a stopped server (SIGSTOP on each session's sshd process, a
//      `sleep 30` running on each) destroyed at once: how long io_context::run() stays busy,
//      and when all N are freed (no teardown under way, sockets closed), against the teardown
//      bound of the same run (N = 1, 4, 16, 64).
//   2. N silent commands (`sleep 2; echo x`) on one session: the spread of their start times
//      (each writes its start to a file of its own: the server is on this machine), against
//      the command's 2 s (N = 4, 16).
//
//   asio_teardown HOST PORT USER PUBLIC_KEY PRIVATE_KEY KNOWN_HOSTS [BOUND_MS]
// against a throwaway sshd (bench/README.md has the command line):
//   scripts/test-sshd run sh -c 'exec "$0" "$SSHD_HOST" "$SSHD_PORT" "$SSHD_USER"
//       "$SSHD_PUBKEY" "$SSHD_KEY" "$SSHD_KNOWN_HOSTS"' build/bench/asio_teardown
#include <libssh2/asio.hpp>

#include <asio/io_context.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace la = libssh2::asio;
using clock_type = std::chrono::steady_clock;

namespace {

struct target {
    std::string host;
    unsigned short port;
    la::login_options login;
};

long ms_since(clock_type::time_point start) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start).count());
}

[[noreturn]] void fail(const std::string &what, const std::error_code &ec) {
    std::fprintf(stderr, "asio_teardown: %s: %s\n", what.c_str(), ec.message().c_str());
    std::exit(1);
}

// Connects count sessions at once.
std::vector<std::unique_ptr<la::session>> connect_all(asio::io_context &io, const target &t, int count) {
    std::vector<std::unique_ptr<la::session>> sessions;
    std::error_code failure;
    for (int i = 0; i < count; ++i) {
        sessions.push_back(std::make_unique<la::session>(io));
        la::async_connect(*sessions.back(), t.host, t.port, t.login,
                          [&](std::error_code ec, libssh2::host_key_verification) {
                              if (ec) failure = ec;
                          });
    }
    io.restart();
    io.run();
    if (failure) fail("connect", failure);
    return sessions;
}

// Runs command on each session at once; their outputs.
std::vector<std::string> exec_all(asio::io_context &io, std::vector<std::unique_ptr<la::session>> &sessions,
                                  const std::string &command) {
    std::vector<std::string> outputs(sessions.size());
    std::error_code failure;
    for (std::size_t i = 0; i < sessions.size(); ++i)
        la::async_exec(*sessions[i], command, [&, i](std::error_code ec, la::exec_result r) {
            if (ec) failure = ec;
            outputs[i] = r.out;
        });
    io.restart();
    io.run();
    if (failure) fail("exec " + command, failure);
    return outputs;
}

void stuck_sessions(const target &t, int count, long bound_ms) {
    asio::io_context io;
    auto sessions = connect_all(io, t, count);
    std::vector<pid_t> servers;
    for (const std::string &pid : exec_all(io, sessions, "echo $PPID")) servers.push_back(std::stoi(pid));
    for (auto &s : sessions) {
        s->ssh().set_teardown_timeout(bound_ms);
        la::async_exec(*s, "sleep 30", [](std::error_code, la::exec_result) {});
    }
    io.restart();
    io.run_for(std::chrono::milliseconds(300));  // the commands run
    for (pid_t pid : servers) ::kill(pid, SIGSTOP);

    const auto start = clock_type::now();
    sessions.clear();
    io.restart();
    io.run();
    const long busy = ms_since(start);
    while (la::detail::teardowns_in_progress() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const long freed = ms_since(start);
    for (pid_t pid : servers) ::kill(pid, SIGCONT);
    std::printf("| %d | %ld | %ld | %.3f | %ld | %.2f |\n", count, bound_ms, busy, static_cast<double>(busy) / bound_ms,
                freed, static_cast<double>(freed) / bound_ms);
    std::fflush(stdout);
}

void silent_commands(const target &t, int count) {
    asio::io_context io;
    auto sessions = connect_all(io, t, 1);
    la::session &s = *sessions.front();
    std::vector<std::string> stamps;
    for (int i = 0; i < count; ++i)
        stamps.push_back("/tmp/asio_teardown-" + std::to_string(::getpid()) + "-" + std::to_string(i));
    int done = 0;
    std::error_code failure;
    const auto start = clock_type::now();
    for (int i = 0; i < count; ++i)
        la::async_exec(s, "date +%s%N >" + stamps[static_cast<std::size_t>(i)] + "; sleep 2; echo x",
                       [&](std::error_code ec, la::exec_result) {
                           if (ec) failure = ec;
                           ++done;
                       });
    io.restart();
    io.run();
    const long all = ms_since(start);
    if (failure) fail("silent command", failure);
    std::vector<long long> started;
    for (const std::string &stamp : stamps) {
        long long ns = 0;
        std::ifstream(stamp) >> ns;
        started.push_back(ns);
        ::unlink(stamp.c_str());
    }
    const double spread = static_cast<double>(*std::max_element(started.begin(), started.end()) -
                                              *std::min_element(started.begin(), started.end())) /
                          1e6;
    std::printf("| %d | %.1f | %.4f | %ld | %.2f |\n", count, spread, spread / 2000.0, all, all / 2000.0);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 7) {
        std::fprintf(stderr, "usage: asio_teardown HOST PORT USER PUBLIC_KEY PRIVATE_KEY KNOWN_HOSTS [BOUND_MS]\n");
        return 2;
    }
    target t{argv[1], static_cast<unsigned short>(std::stoi(argv[2])), {}};
    t.login.user = argv[3];
    t.login.public_key = argv[4];
    t.login.private_key = argv[5];
    t.login.known_hosts = argv[6];
    const long bound_ms = argc > 7 ? std::stol(argv[7]) : 1000;

    std::printf("#### N sessions stuck on a stopped server, destroyed at once\n\n");
    std::printf("| N | teardown bound ms | run() busy ms | busy / bound | all freed ms | freed / bound |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|\n");
    for (int n : {1, 4, 16, 64}) stuck_sessions(t, n, bound_ms);

    std::printf("\n#### N silent commands (`sleep 2; echo x`) on one session\n\n");
    std::printf("| N | start spread ms | spread / 2 s | all done ms | done / 2 s |\n");
    std::printf("|---:|---:|---:|---:|---:|\n");
    for (int n : {4, 16}) silent_commands(t, n);
    return 0;
}
