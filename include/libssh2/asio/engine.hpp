// SPDX-License-Identifier: BSD-3-Clause
// The engine behind libssh2::asio::session: a non-blocking libssh2 session on an Asio TCP
// socket, and the calls waiting on it.
//
// One way to write an operation: the step model. An operation is a pending_call: key() names
// the libssh2 state it needs (its lock key), step() calls libssh2 until it would block and
// says what happened (blocked, done, or moved to a stage with another key). Every operation
// of the layer is written so (async_call's thin calls, exec, SFTP transfers, login, the
// forward's channel calls), not with Asio's async_compose, because libssh2's
// LIBSSH2_ERROR_EAGAIN is session-wide: one call's read takes in packets for every channel,
// a packet half read or sent belongs to the session, and which call may run depends on the
// others' states. Operations composed apart, each waiting on the socket for itself, would
// each see another's bytes vanish or wake for bytes that are not theirs; one scheduler per
// session sees every call and decides who steps. (Asio's composition still wraps what is not
// libssh2: resolving and connecting the TCP socket.)
//
// The scheduler, on the session's strand, steps every pending call so that:
// - calls on different objects (ten channels of one session, say) progress together;
// - calls with one lock_key run one after the other: libssh2 keeps a call's state in its
//   object (a channel's exec, an sftp's open, a session's channel open), and a second call of
//   the same kind would continue the first one's state machine;
// - no call waits for bytes another call already read: one call's read can take in packets for
//   another channel, so while any call read bytes after another call blocked, the round of
//   calls runs again before the engine waits on the socket (the session's recv callback counts
//   the bytes, outbox.hpp);
// - no step keeps the thread for long (step_budget_us, step_receive_limit): a call that did its
//   share yields, a call that received its limit ends the pass (the next resumes after it),
//   and a round that ran past the budget posts the next one, so that the io_context's other
//   handlers (a timer, another session) run between.
// Sends never block a call (outbox.hpp); the engine waits for the socket to be readable while
// calls wait, and writable while the outbox holds bytes. Its end (teardown.hpp) is off the
// io_context: pending calls complete at once, and the libssh2 session is freed within its
// teardown bound without blocking the loop.
#ifndef LIBSSH2_HPP_ASIO_ENGINE
#define LIBSSH2_HPP_ASIO_ENGINE

#include "config.hpp"
#include "../io/socket.hpp"
#include "outbox.hpp"
#include "teardown.hpp"
#include "workarounds.hpp"

#ifdef _WIN32
#include <winsock2.h>
#else
#include <poll.h>
#include <sys/socket.h>
#include <cerrno>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

namespace libssh2::asio::detail {

using clock = std::chrono::steady_clock;

// What a pending call locks while it is in progress: libssh2's state for one kind of call on
// one object. Channels have two lanes more, for their reads and their writes, whose states
// libssh2 keeps apart from each other and from the channel's other calls.
//
// A call that may send a channel request (exec, subsystem, setenv, pty, ...) also takes its
// session's requests lock while it waits for the reply (workarounds.hpp:
// one_request_at_a_time); only that exchange: the stages before and after it do not.
enum class lane { whole, reading, writing, requests };

struct lock_key {
    const void *object = nullptr;
    lane part = lane::whole;
    const void *requests_of = nullptr;  // the session whose requests lock it also takes, or null
};

// The locks the calls hold (those blocked in a stage: libssh2 keeps their state) and want
// (those waiting, first come, first stepped), each with its call.
class taken_locks {
public:
    // Whether another call holds or wants a lock that key needs.
    bool blocks(const lock_key &key, const void *call) const noexcept {
        for (const entry &e : entries_)
            if (e.call != call && ((e.object == key.object && e.part == key.part) ||
                                   (requests(key) && e.object == key.requests_of && e.part == lane::requests)))
                return true;
        return false;
    }
    void take(const lock_key &key, const void *call) {
        entries_.push_back({key.object, key.part, call});
        if (requests(key)) entries_.push_back({key.requests_of, lane::requests, call});
    }
    // Lets go of what call held or wanted (it blocked in a stage with other locks).
    void drop(const void *call) {
        entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [call](const entry &e) { return e.call == call; }),
                       entries_.end());
    }

private:
    static bool requests(const lock_key &key) noexcept {
        return workarounds::one_request_at_a_time && key.requests_of != nullptr;
    }

    struct entry {
        const void *object;
        lane part;
        const void *call;
    };
    std::vector<entry> entries_;
};

inline bool operator==(const lock_key &a, const lock_key &b) noexcept {
    return a.object == b.object && a.part == b.part && a.requests_of == b.requests_of;
}
inline bool operator!=(const lock_key &a, const lock_key &b) noexcept { return !(a == b); }

// What a step did: blocked (libssh2 would block: wait on the socket), done (a result, or a
// failure, to deliver), moved (went on to a stage with another lock key: step again once the
// locks allow), yielded (did its share of work between two libssh2 calls, more is ready: step
// again in a round of its own, posted, so that the io_context's other handlers run between).
enum class step_result { blocked, done, moved, yielded };

// How long a step may work before it yields, and a round of steps before the engine posts the
// next one instead of looping; and how much a step may receive (below). A timer on the same
// io_context is late by about that much times the calls that work at once. 0: no bound (a step
// works until libssh2 would block, as before 0.1.0; bench/fairness compares the two).
inline std::atomic<long> step_budget_us{1000};

// What a step may receive while step_budget_us bounds steps. libssh2 reads every packet the
// socket holds before it returns (the loop in _libssh2_channel_read), which on a fast link has
// no end: one SFTP read took in 100 MB and more. Past this, recv says "would block", as a
// drained socket would, the pass ends after that call, and the engine finds the socket
// readable for the next round. Not less: cut every 512 KiB, four transfers on one connection
// ran at 0.76 of their throughput (bench/fairness; decrypting 1 MiB takes about 5 ms here).
inline constexpr std::uint64_t step_receive_limit = 1024 * 1024;

inline bool over_budget(clock::time_point start) noexcept {
    const long budget = step_budget_us.load(std::memory_order_relaxed);
    return budget > 0 && clock::now() - start >= std::chrono::microseconds(budget);
}

// One call waiting in the engine, type-erased. step() calls libssh2 once or more; key() may
// change after a step that moved (a composed operation goes from the session to the channel it
// opened).
class pending_call {
public:
    virtual ~pending_call() = default;
    virtual lock_key key() const noexcept = 0;
    virtual step_result step() = 0;
    // Hands the result to the completion handler (through its executor); stopped: the
    // cancellation or timeout that ended the call instead.
    virtual void deliver(error_code stopped) = 0;
    // After a stop: whether the call opened objects that must be closed (a channel whose
    // server side may take long to close: sshd closes an exec's channel once the command has
    // ended). Then step() closes them without blocking, within the session's teardown bound,
    // and give_up() leaves what is still open after it to the session's teardown (off the
    // io_context, teardown.hpp), at once if the session's owner is gone.
    virtual bool start_closing() { return false; }
    virtual void give_up() noexcept {}

    std::uint64_t id = 0;
    bool started = false;  // stepped once and not done: libssh2 may hold its state
    bool closing = false;  // delivered (stopped), closing what it opened
    bool holds = false;    // blocked in a stage: holds held, the lock key of that stage
    lock_key held;
    error_code stop_reason;  // set by a cancellation or the deadline
    clock::time_point deadline = clock::time_point::max();
};

// Whether the socket is ready now (a level check: Asio's reactor reports edges, and an edge
// taken in before the engine waited would not come again).
inline bool ready_now(libssh2_socket_t sock, bool for_writing) noexcept {
#ifdef _WIN32
    WSAPOLLFD p{};
    p.fd = sock;
    p.events = for_writing ? POLLOUT : POLLIN;
    return ::WSAPoll(&p, 1, 0) > 0;
#else
    pollfd p{};
    p.fd = sock;
    p.events = for_writing ? POLLOUT : POLLIN;
    return ::poll(&p, 1, 0) > 0;
#endif
}

class engine : public std::enable_shared_from_this<engine> {
public:
    explicit engine(const net::any_io_executor &executor)
        : strand_(net::make_strand(executor)), socket_(strand_), timer_(strand_),
          wire_(std::make_unique<transport>()), ssh_(libssh2::session::init()) {
        if (!ssh_) throw std::bad_alloc();
        ssh_.set_blocking(0);
        *libssh2_session_abstract(ssh_.get()) = wire_.get();  // what the callbacks reach
        set_callback(LIBSSH2_CALLBACK_RECV, reinterpret_cast<void *>(&transport_recv));
        set_callback(LIBSSH2_CALLBACK_SEND, reinterpret_cast<void *>(&transport_send));
    }
    engine(const engine &) = delete;
    engine &operator=(const engine &) = delete;
    // Normally ended on the strand by close(); here if the io_context went first.
    ~engine() { end(); }

    net::strand<net::any_io_executor> &strand() noexcept { return strand_; }
    net::ip::tcp::socket &socket() noexcept { return socket_; }
    // Empty once the engine has ended: the session is being freed (teardown.hpp).
    libssh2::session &ssh() noexcept { return ssh_; }
    void set_timeout(std::chrono::milliseconds timeout) noexcept { timeout_ms_ = timeout.count(); }
    std::chrono::milliseconds timeout() const noexcept { return std::chrono::milliseconds(timeout_ms_.load()); }

    // Takes a call in (from any thread): it is first stepped on the strand, never inside the
    // initiating function. Its time starts now.
    void start(std::unique_ptr<pending_call> call) {
        if (const auto timeout = timeout_ms_.load(); timeout > 0)
            call->deadline = clock::now() + std::chrono::milliseconds(timeout);
        net::post(strand_, [self = shared_from_this(), call = std::move(call)]() mutable {
            if (self->closed_) {
                call->deliver(net::error::operation_aborted);
                return;
            }
            self->calls_.push_back(std::move(call));
            self->run_round();
        });
    }

    // Stops the call id, from a cancellation slot (any thread). A call libssh2 holds state for
    // (started) stops only for terminal cancellation: its object is then left unusable.
    void stop(std::uint64_t id, bool terminal) {
        net::post(strand_, [self = shared_from_this(), id, terminal] {
            for (auto &call : self->calls_)
                if (call->id == id && !call->closing && (!call->started || terminal)) {
                    call->stop_reason = net::error::operation_aborted;
                    self->run_round();
                    return;
                }
        });
    }

    // Stops every call (operation_aborted); closing, refuses new ones too (the owner is gone),
    // gives up what the calls opened (libssh2 closes it with the session) and ends the engine.
    void stop_all(bool closing) {
        net::post(strand_, [self = shared_from_this(), closing] {
            self->closed_ = self->closed_ || closing;
            for (auto &call : self->calls_)
                if (!call->closing) call->stop_reason = net::error::operation_aborted;
            self->run_round();  // once no call is left, no wait is left: the engine can go
        });
    }
    void close() { stop_all(true); }

private:
    void set_callback(int type, void *callback) noexcept {
#if LIBSSH2_VERSION_NUM >= 0x010b01
        libssh2_session_callback_set2(ssh_.get(), type, reinterpret_cast<libssh2_cb_generic *>(callback));
#else
        libssh2_session_callback_set(ssh_.get(), type, callback);
#endif
    }

    // Steps every call that may run, again while that can change what another would find.
    void run_round() {
        if (ended_) return;
        const auto start = clock::now();
        yielded_ = false;
        bool cut_short = false;
        for (int pass = 0; pass < 64; ++pass) {
            const bool again = round();
            if (yielded_ || !again) break;
            if ((cut_short = over_budget(start))) break;
        }
        if (closed_ && calls_.empty()) {
            end();
            return;
        }
        settle();
        if ((yielded_ || cut_short) && !round_posted_) {  // more is ready: after the others
            round_posted_ = true;
            net::post(strand_, [self = shared_from_this()] {
                self->round_posted_ = false;
                self->run_round();
            });
        }
    }

    // The owner is gone and no call is left: the libssh2 session, its transport and its socket
    // go to their teardown (teardown.hpp), off the io_context; the asio objects stay here.
    void end() {
        if (ended_) return;
        ended_ = true;
        error_code ignored;
        timer_.cancel();
        libssh2_socket_t sock = LIBSSH2_INVALID_SOCKET;
        bool owned = true;
        if (socket_.is_open()) {
            socket_.cancel(ignored);
            sock = socket_.native_handle();
            error_code ec;
            socket_.release(ec);  // the teardown closes it
            owned = !ec;          // where Asio cannot release (Windows before 8.1): freed here, blocking
        }
        const long bound = ssh_.teardown_timeout();
        LIBSSH2_SESSION *session = ssh_.release();  // wrappers opened from it are given up: freed with it
        if (!session) return;
        auto dying = std::make_unique<dying_session>(session, std::move(wire_), sock, bound, cut_, owned);
        if (owned)
            end_session(std::move(dying));
        else
            dying->finish();
    }

    // Sends what waits in the outbox; whether calls may be stepped (not too much waits).
    bool flush() {
        if (!socket_.is_open()) return true;
        wire_->out.flush(socket_.native_handle());
        return wire_->out.waiting() <= outbox::high_water;
    }

    // One pass over the calls, in the order they came (from where a pass cut short stopped).
    // Returns whether to pass again.
    bool round() {
        if (!flush()) return false;  // the socket first: the calls wait until it took enough
        bool again = false;
        bool blocked_one = false, waiting_one = false;
        std::uint64_t received_after_block = wire_->received;
        const auto now = clock::now();
        struct reset_limit {
            transport *wire;
            ~reset_limit() { wire->receive_until = 0; }
        } reset{wire_.get()};
        taken_locks taken;
        for (const auto &call : calls_)
            if (call->holds) taken.take(call->held, call.get());
        // A step that took in its receive limit (up to 1 MiB to decrypt: milliseconds) ends the
        // pass, so that the io_context's other handlers run before the rest of it (a pass over
        // four transfers held a timer 48 ms). The next pass resumes after that call; the calls
        // before it only keep their place in the order of those who want a lock.
        const std::size_t resume_at = std::exchange(resume_at_, 0);
        std::size_t index = 0;
        bool received_enough = false;
        for (auto it = calls_.begin(); it != calls_.end(); ++index) {
            if (received_enough) {
                resume_at_ = index;
                yielded_ = true;
                break;
            }
            pending_call &call = **it;
            if (index < resume_at) {
                if (!call.holds && !call.stop_reason) taken.take(call.key(), &call);
                again = true;  // stepped in the next pass
                ++it;
                continue;
            }
            if (!call.stop_reason && !call.closing && now >= call.deadline) {
                call.stop_reason = to_asio(make_error_code(errc::timeout));
                cut();
            }
            if (call.stop_reason && !call.closing) {
                again = true;
                if (!call.started || closed_ || !call.start_closing()) {
                    if (closed_ && call.started) call.give_up();  // libssh2 closes it with the session
                    finish(it, call.stop_reason);
                    continue;
                }
                call.deliver(call.stop_reason);  // the handler runs now; the closing goes on
                call.closing = true;
                call.holds = false;
                taken.drop(&call);
                call.deadline = now + std::chrono::milliseconds(std::max(ssh_.teardown_timeout(), 0L));
            }
            // The teardown bound, or the owner gone: left to libssh2, which closes it with the
            // session (off the io_context, teardown.hpp).
            if (call.closing && (closed_ || now >= call.deadline)) {
                call.give_up();
                taken.drop(&call);
                it = calls_.erase(it);
                continue;
            }
            const lock_key key = call.key();
            // A call in a stage holds its locks; one that wants them waits for those before it.
            if (!call.holds && taken.blocks(key, &call)) {
                taken.take(key, &call);  // wanted: the calls after it wait
                waiting_one = true;
                ++it;
                continue;
            }
            if (!call.holds) taken.take(key, &call);
            errno = 0;  // a failure's errno (failure.hpp) is then this step's, not an older one
            if (step_budget_us.load(std::memory_order_relaxed) > 0)
                wire_->receive_until = wire_->received + step_receive_limit;
            const step_result result = call.step();
            received_enough = wire_->receive_until != 0 && wire_->received >= wire_->receive_until;
            wire_->receive_until = 0;  // frees outside a step may block: no limit there
            call.started = true;
            if (result == step_result::done) {
                taken.drop(&call);
                if (call.closing)
                    it = calls_.erase(it);  // closed: its handler ran when it stopped
                else
                    finish(it, {});
                again = true;
                continue;
            }
            if (result == step_result::moved || result == step_result::yielded) {
                call.holds = false;  // between two libssh2 calls: libssh2 keeps no state of it
                if (result == step_result::yielded)
                    yielded_ = true;
                else
                    again = true;  // left its stage: takes the next one's lock when free
                ++it;
                continue;
            }
            // Blocked in a stage: it holds that stage's locks, and only those (a call that
            // went on from its request's reply lets the requests lock go). A call that waited
            // for what it let go runs in the next pass; those after it, in this one.
            const lock_key held = call.key();
            if (waiting_one && (!call.holds || held != call.held)) again = true;
            call.holds = true;
            call.held = held;
            taken.drop(&call);
            taken.take(held, &call);
            if (!blocked_one) {
                blocked_one = true;
                received_after_block = wire_->received;
            }
            ++it;
        }
        flush();
        // Bytes read after a call blocked may be that call's: step it again before waiting.
        return again || (blocked_one && wire_->received != received_after_block);
    }

    // The server did not answer within an operation's time: the connection is cut, as a free
    // cuts it after the teardown bound, so that the session's other operations fail at once and
    // its frees do not wait (libssh2 may be mid-packet: the session is unusable anyway).
    void cut() {
        ssh_.set_teardown_timeout(0);
        cut_ = true;
        error_code ignored;
        socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    }

    void finish(std::list<std::unique_ptr<pending_call>>::iterator &it, error_code stopped) {
        std::unique_ptr<pending_call> call = std::move(*it);
        it = calls_.erase(it);
        call->deliver(stopped);
    }

    // Waits for what the calls and the outbox wait for: the socket readable (writable while a
    // packet is half sent, which the outbox should leave libssh2 no reason to do) and writable
    // while the outbox holds bytes; and the earliest deadline.
    void settle() {
        arm_timer();
        const bool sending = socket_.is_open() && wire_->out.waiting() > 0;
        if (calls_.empty() && !sending) {
            // Nothing left to wait for: a wait left pending would keep io_context::run() busy.
            if (waiting_read_ || waiting_write_) {
                error_code ignored;
                socket_.cancel(ignored);
            }
            return;
        }
        if (!socket_.is_open()) return;
        if (sending) wait_for(true);
        if (!calls_.empty()) wait_for(false);
    }

    void wait_for(bool writing) {
        bool &waiting = writing ? waiting_write_ : waiting_read_;
        if (!waiting) {
            waiting = true;
            socket_.async_wait(writing ? net::ip::tcp::socket::wait_write : net::ip::tcp::socket::wait_read,
                               [self = shared_from_this(), writing](const error_code &) {
                                   (writing ? self->waiting_write_ : self->waiting_read_) = false;
                                   // A round already posted runs the calls: one heavy round
                                   // per turn of the io_context, not two back to back.
                                   if (!self->round_posted_) self->run_round();
                               });
        }
        if (!round_posted_ && ready_now(socket_.native_handle(), writing)) {
            round_posted_ = true;
            net::post(strand_, [self = shared_from_this()] {
                self->round_posted_ = false;
                self->run_round();
            });
        }
    }

    void arm_timer() {
        clock::time_point earliest = clock::time_point::max();
        for (const auto &call : calls_)
            if (call->deadline < earliest) earliest = call->deadline;
        if (earliest == armed_) return;
        armed_ = earliest;
        if (earliest == clock::time_point::max()) {
            timer_.cancel();
            return;
        }
        timer_.expires_at(earliest);
        timer_.async_wait([self = shared_from_this()](const error_code &ec) {
            if (ec == net::error::operation_aborted) return;
            self->armed_ = clock::time_point::max();
            self->run_round();
        });
    }

    net::strand<net::any_io_executor> strand_;
    net::ip::tcp::socket socket_;
    net::steady_timer timer_;
    std::unique_ptr<transport> wire_;  // the session's abstract pointer: given to the teardown with it
    libssh2::session ssh_;
    std::list<std::unique_ptr<pending_call>> calls_;
    std::atomic<long long> timeout_ms_{0};  // set from any thread, read where calls start
    clock::time_point armed_ = clock::time_point::max();
    bool waiting_read_ = false;
    bool waiting_write_ = false;
    bool round_posted_ = false;
    bool yielded_ = false;  // a call yielded in this round: the next one is posted
    std::size_t resume_at_ = 0;  // where the next pass starts stepping (a pass cut short)
    bool closed_ = false;
    bool cut_ = false;    // the connection was cut (an operation timed out)
    bool ended_ = false;  // the session went to its teardown
};

}  // namespace libssh2::asio::detail

#endif  // LIBSSH2_HPP_ASIO_ENGINE
