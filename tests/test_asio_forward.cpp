// <libssh2/asio.hpp>: async_forward_local (ssh -L) against the fixture's sshd, which connects
// to small servers this test runs on 127.0.0.1. Several MiB each way through four concurrent
// forwarded connections to an echo server, bytes compared, on one thread and with
// io_context::run on two; an end of stream going across each way while the other way goes on
// (half-close); cancellation with connections open and a transfer running (operation_aborted,
// the connections closed, the session still usable); a target nothing listens at (that
// connection closes, the forward goes on). Every run is bounded by run_within / run_for.
// Run by `meson test -C build asio_forward` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/asio.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/asio_session.hpp"
#include "support/elapsed.hpp"

using namespace std::chrono_literals;
using test_support::asio_login;
using test_support::clock_type;
using test_support::elapsed_ms;
using test_support::run_within;
using test_support::sshd;
using test_support::sshd_port;
namespace net = ::asio;
namespace la = libssh2::asio;
using tcp = net::ip::tcp;

namespace {

const tcp::endpoint loopback{net::ip::address_v4::loopback(), 0};

// Connects and logs in s, running io until done.
void connect(net::io_context &io, la::session &s) { REQUIRE_FALSE(test_support::asio_connect(io, s)); }

// size bytes from seed: a random MiB (or less), repeated with a counter so no two MiB match.
std::string random_bytes(std::size_t size, unsigned seed) {
    std::mt19937 generator(seed);
    std::string block(std::min<std::size_t>(size, 1024 * 1024), '\0');
    for (char &c : block) c = static_cast<char>(generator() & 0xff);
    std::string bytes;
    bytes.reserve(size);
    for (unsigned n = 0; bytes.size() < size; ++n) {
        bytes.append(block, 0, std::min(block.size(), size - bytes.size()));
        if (bytes.size() < size) bytes.append(reinterpret_cast<const char *>(&n), sizeof n);
    }
    bytes.resize(size);
    return bytes;
}

// A forward's target: a TCP server on 127.0.0.1 whose connections serve() takes, each socket
// on a strand of its own.
class target_server {
public:
    using serve_function = std::function<void(std::shared_ptr<tcp::socket>)>;

    target_server(net::io_context &io, serve_function serve)
        : io_(io), acceptor_(net::make_strand(io), loopback), serve_(std::move(serve)) {
        accept();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    // From any thread: the accept loop ends.
    void close() {
        net::post(acceptor_.get_executor(), [this] { acceptor_.close(); });
    }

private:
    void accept() {
        acceptor_.async_accept(net::make_strand(io_), [this](std::error_code ec, tcp::socket socket) {
            if (ec) return;
            serve_(std::make_shared<tcp::socket>(std::move(socket)));
            accept();
        });
    }

    net::io_context &io_;
    tcp::acceptor acceptor_;
    serve_function serve_;
};

// Sends back what it reads; its end of stream when the client's came, after the last byte.
void echo(std::shared_ptr<tcp::socket> socket) {
    struct echoing : std::enable_shared_from_this<echoing> {
        std::shared_ptr<tcp::socket> socket;
        std::array<char, 65536> buffer{};
        void read() {
            socket->async_read_some(net::buffer(buffer), [self = shared_from_this()](std::error_code ec, std::size_t n) {
                if (ec == net::error::eof) {
                    std::error_code ignored;
                    self->socket->shutdown(tcp::socket::shutdown_send, ignored);
                    return;
                }
                if (ec) return;
                net::async_write(*self->socket, net::buffer(self->buffer.data(), n),
                                 [self](std::error_code ec, std::size_t) {
                                     if (!ec) self->read();
                                 });
            });
        }
    };
    auto e = std::make_shared<echoing>();
    e->socket = std::move(socket);
    e->read();
}

// Reads everything into *received until the end of stream, then calls done().
void read_to_end(std::shared_ptr<tcp::socket> socket, std::shared_ptr<std::string> received,
                 std::function<void(std::error_code)> done) {
    auto buffer = std::make_shared<std::array<char, 65536>>();
    socket->async_read_some(net::buffer(*buffer), [socket, received, done, buffer](std::error_code ec, std::size_t n) {
        received->append(buffer->data(), n);
        if (ec) return done(ec == net::error::eof ? std::error_code() : ec);
        read_to_end(socket, received, done);
    });
}

// A client of the forward: connects to port, writes what it sends (then, if it says so, its
// end of stream) while reading to the end; done() once both are over. The results are read
// once the io_context has stopped.
struct client : std::enable_shared_from_this<client> {
    tcp::socket socket;
    std::string to_send;
    bool end_after_send = true;
    std::shared_ptr<std::string> received = std::make_shared<std::string>();
    std::error_code connect_error, write_error, read_error;
    bool wrote = false, read_all = false;
    std::function<void()> done;

    explicit client(net::io_context &io) : socket(net::make_strand(io)) {}

    void start(unsigned short port) {
        socket.async_connect({net::ip::address_v4::loopback(), port}, [self = shared_from_this()](std::error_code ec) {
            if (ec) {
                self->connect_error = ec;
                self->wrote = self->read_all = true;
                return self->done();
            }
            self->write();
            read_to_end(std::shared_ptr<tcp::socket>(self, &self->socket), self->received, [self](std::error_code ec) {
                self->read_error = ec;
                self->read_all = true;
                if (self->wrote) self->done();
            });
        });
    }

private:
    void write() {
        net::async_write(socket, net::buffer(to_send), [self = shared_from_this()](std::error_code ec, std::size_t) {
            self->write_error = ec;
            if (!ec && self->end_after_send) self->socket.shutdown(tcp::socket::shutdown_send, ec);
            self->wrote = true;
            if (self->read_all) self->done();
        });
    }
};

// A forward on s from a fresh acceptor on 127.0.0.1 to 127.0.0.1:target_port, cancelled by
// cancel() (from any thread: the signal is emitted on the session's strand, where the forward
// runs).
struct forward {
    la::session &s;
    tcp::acceptor acceptor;
    net::cancellation_signal signal;
    std::error_code result = make_error_code(std::errc::interrupted);
    std::atomic<bool> completed{false};

    forward(net::io_context &io, la::session &session, unsigned short target_port)
        : s(session), acceptor(io, loopback) {
        la::async_forward_local(s, acceptor, "127.0.0.1", target_port,
                                net::bind_cancellation_slot(signal.slot(), [this](std::error_code ec) {
                                    result = ec;
                                    completed = true;
                                }));
    }
    unsigned short port() const { return acceptor.local_endpoint().port(); }
    void cancel() {
        net::post(s.get_executor(), [this] { signal.emit(net::cancellation_type::terminal); });
    }
};

// Clients each send different bytes through the forward to an echo server and read them
// back, client i size * (i + 1) bytes; once all are done the forward is cancelled. threads: how
// many run io. send_buffer: the SSH socket's SO_SNDBUF, if not 0.
void transfer_through_forward(int threads, int clients, std::size_t size, int send_buffer = 0) {
    net::io_context io;
    la::session s(io);
    connect(io, s);
    if (send_buffer) s.socket().set_option(net::socket_base::send_buffer_size(send_buffer));
    target_server server(io, echo);
    forward f(io, s, server.port());

    std::vector<std::shared_ptr<client>> all;
    std::atomic<int> finished{0};
    for (int i = 0; i < clients; ++i) {
        auto c = std::make_shared<client>(io);
        c->to_send = random_bytes(size * static_cast<std::size_t>(i + 1), static_cast<unsigned>(i + 1));
        c->done = [&] {
            if (++finished == clients) {
                f.cancel();
                server.close();
            }
        };
        all.push_back(c);
    }
    for (auto &c : all) c->start(f.port());

    const auto start = clock_type::now();
    io.restart();
    std::vector<std::thread> others;
    for (int t = 1; t < threads; ++t) others.emplace_back([&] { io.run_for(60s); });
    io.run_for(60s);
    for (auto &t : others) t.join();
    INFO("took " << elapsed_ms(start) << " ms");
    CHECK(finished == clients);
    REQUIRE(f.completed);
    CHECK(f.result == net::error::operation_aborted);
    for (auto &c : all) {
        CHECK_FALSE(c->connect_error);
        CHECK_FALSE(c->write_error);
        CHECK_FALSE(c->read_error);  // the end of stream came back: EOF went across both ways
        CHECK(c->received->size() == c->to_send.size());
        CHECK((*c->received == c->to_send));
    }
}

// The session still works: a command runs on it.
void check_session_usable(net::io_context &io, la::session &s) {
    la::exec_result result;
    std::error_code error = make_error_code(std::errc::interrupted);
    la::async_exec(s, "echo usable", [&](std::error_code ec, la::exec_result r) {
        error = ec;
        result = std::move(r);
    });
    REQUIRE(run_within(io, 10s));
    CHECK_FALSE(error);
    CHECK(result.out == "usable\n");
}

}  // namespace

TEST_CASE("async_forward_local: 10 MiB each way through four concurrent connections, bytes intact") {
    transfer_through_forward(1, 4, 1024 * 1024);  // 1, 2, 3 and 4 MiB
}

TEST_CASE("async_forward_local: io_context::run on two threads") {
    transfer_through_forward(2, 4, 512 * 1024);
}

// The session's socket full most of the time: channel EOFs and closes come while it is (they
// must not be sent in part: see when_writable in forward.hpp).
TEST_CASE("async_forward_local: eight connections on a small socket send buffer") {
    for (int round = 0; round < 3; ++round) {
        INFO("round " << round);
        transfer_through_forward(1, 8, 128 * 1024, 2048);
    }
}

TEST_CASE("async_forward_local: an end of stream goes across each way while the other way goes on") {
    net::io_context io;
    la::session s(io);
    connect(io, s);

    // The client ends first: the target reads to the end, then answers.
    auto request_seen = std::make_shared<std::string>();
    target_server answers_after_end(io, [request_seen](std::shared_ptr<tcp::socket> socket) {
        read_to_end(socket, request_seen, [socket, request_seen](std::error_code ec) {
            if (ec) return;
            auto reply = std::make_shared<std::string>("got " + std::to_string(request_seen->size()) + " bytes");
            net::async_write(*socket, net::buffer(*reply), [socket, reply](std::error_code, std::size_t) {});
        });
    });
    // The target ends first: it greets, ends its side, then reads what the client sends after.
    auto after_end = std::make_shared<std::string>();
    target_server speaks_first(io, [after_end](std::shared_ptr<tcp::socket> socket) {
        auto greeting = std::make_shared<std::string>("hello, then EOF");
        net::async_write(*socket, net::buffer(*greeting), [socket, greeting, after_end](std::error_code ec, std::size_t) {
            if (ec) return;
            socket->shutdown(tcp::socket::shutdown_send, ec);
            read_to_end(socket, after_end, [socket](std::error_code) {});
        });
    });
    // Two forwards on one session, at once.
    forward first(io, s, answers_after_end.port());
    forward second(io, s, speaks_first.port());

    auto asks = std::make_shared<client>(io);
    asks->to_send = std::string(100000, 'q');
    // The greeted client sends only once the greeting and its end came: the write starts
    // from the read's completion.
    auto greeted = std::make_shared<tcp::socket>(net::make_strand(io));
    auto greeting = std::make_shared<std::string>();
    std::error_code greeted_read_error = make_error_code(std::errc::interrupted);
    std::error_code answer_write_error = make_error_code(std::errc::interrupted);
    int done = 0;
    const auto finish_one = [&] {
        if (++done < 2) return;
        first.cancel();
        second.cancel();
        answers_after_end.close();
        speaks_first.close();
    };
    asks->done = finish_one;
    asks->start(first.port());
    greeted->async_connect({net::ip::address_v4::loopback(), second.port()}, [&](std::error_code ec) {
        if (ec) return finish_one();
        read_to_end(greeted, greeting, [&](std::error_code ec) {
            greeted_read_error = ec;
            auto late = std::make_shared<std::string>("sent after the server's end");
            net::async_write(*greeted, net::buffer(*late), [&, late](std::error_code ec, std::size_t) {
                answer_write_error = ec;
                greeted->shutdown(tcp::socket::shutdown_send, ec);
                // The forward closes the connection once both ways ended: the socket reads its end.
                auto rest = std::make_shared<std::string>();
                read_to_end(greeted, rest, [&, rest](std::error_code) { finish_one(); });
            });
        });
    });

    REQUIRE(run_within(io, 20s));
    CHECK(*request_seen == asks->to_send);
    CHECK_FALSE(asks->read_error);
    CHECK(*asks->received == "got 100000 bytes");
    CHECK_FALSE(greeted_read_error);
    CHECK(*greeting == "hello, then EOF");
    CHECK_FALSE(answer_write_error);
    CHECK(*after_end == "sent after the server's end");
    CHECK(first.result == net::error::operation_aborted);
    CHECK(second.result == net::error::operation_aborted);
    check_session_usable(io, s);
}

TEST_CASE("async_forward_local: cancelled with connections open and a transfer running") {
    net::io_context io;
    la::session s(io);
    connect(io, s);
    target_server server(io, echo);
    forward f(io, s, server.port());

    // Three connections that said something and wait; one that streams 64 MiB (it is cut).
    std::vector<std::shared_ptr<client>> all;
    int answered = 0, ended = 0;
    for (int i = 0; i < 4; ++i) {
        auto c = std::make_shared<client>(io);
        c->to_send = i < 3 ? "ping" : random_bytes(64 * 1024 * 1024, 7);
        c->end_after_send = false;
        c->done = [&] { ++ended; };
        all.push_back(c);
        c->start(f.port());
    }
    // Cancel once the waiting three had their echo and the stream is under way.
    net::steady_timer poll(io);
    std::function<void()> wait_for_echoes = [&] {
        answered = 0;
        for (int i = 0; i < 3; ++i) answered += *all[static_cast<std::size_t>(i)]->received == "ping";
        if (answered == 3 && all[3]->received->size() > 1024 * 1024) {
            f.cancel();
            server.close();
            return;
        }
        poll.expires_after(10ms);
        poll.async_wait([&](std::error_code) { wait_for_echoes(); });
    };
    wait_for_echoes();
    const auto start = clock_type::now();
    REQUIRE(run_within(io, 20s));
    INFO("took " << elapsed_ms(start) << " ms");
    CHECK(answered == 3);
    CHECK(f.completed);
    CHECK(f.result == net::error::operation_aborted);
    // Every connection was closed by the forward: the clients read their end (or a reset).
    CHECK(ended == 4);
    for (auto &c : all) CHECK(c->wrote);
    CHECK(all[3]->received->size() < 64 * 1024 * 1024);
    // The channels were closed in order: the session goes on.
    check_session_usable(io, s);
}

TEST_CASE("async_forward_local: a target nothing listens at closes that connection, the forward goes on") {
    net::io_context io;
    la::session s(io);
    connect(io, s);
    unsigned short closed_port = 0;
    {
        tcp::acceptor probe(io, loopback);
        closed_port = probe.local_endpoint().port();
    }
    target_server server(io, echo);
    forward refused(io, s, closed_port);
    forward served(io, s, server.port());

    auto first = std::make_shared<client>(io);
    first->to_send = "nobody there";
    auto again = std::make_shared<client>(io);
    again->to_send = "still nobody";
    auto second = std::make_shared<client>(io);
    second->to_send = "echo me";
    // One after the other: a refused connection is closed, the refused forward still takes
    // the next one (refused too), and the session serves another forward's.
    first->done = [&] { again->start(refused.port()); };
    again->done = [&] { second->start(served.port()); };
    second->done = [&] {
        refused.cancel();
        served.cancel();
        server.close();
    };
    first->start(refused.port());
    REQUIRE(run_within(io, 20s));
    CHECK_FALSE(first->connect_error);
    CHECK(first->received->empty());  // closed without an answer
    CHECK_FALSE(again->connect_error);
    CHECK(again->received->empty());
    CHECK(second->received->size() == 7);
    CHECK(*second->received == "echo me");
    CHECK(refused.result == net::error::operation_aborted);
    CHECK(served.result == net::error::operation_aborted);
    check_session_usable(io, s);
}
