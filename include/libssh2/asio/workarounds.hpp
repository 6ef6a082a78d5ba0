// SPDX-License-Identifier: BSD-3-Clause
// Every libssh2 behaviour <libssh2/asio.hpp> works around, in one place: each with the libssh2
// releases it applies to (a LIBSSH2_VERSION_NUM condition, up to the newest checked), the
// reason, and the test that fails once libssh2 behaves (tests/test_asio_workarounds.cpp), so
// that the workaround can then be dropped for the releases that no longer need it. A new
// workaround goes here, with its test.
#ifndef LIBSSH2_HPP_ASIO_WORKAROUNDS
#define LIBSSH2_HPP_ASIO_WORKAROUNDS

#include <libssh2.h>

namespace libssh2::asio::workarounds {

// One channel request at a time per session (the engine's requests lock, engine.hpp): a call
// that sends a channel request (exec, subsystem, setenv, pty, ...) waits for its reply by
// type, SSH_MSG_CHANNEL_SUCCESS or FAILURE, and when the reply to another channel's request
// comes first, _libssh2_packet_requirev returns -1 (LIBSSH2_ERROR_SOCKET_NONE) instead of
// waiting on: the type matched, the channel did not. So the engine lets one request wait for
// its reply at a time, and only that exchange: the channel's other stages run together.
// Releases: 1.9.0 to 1.11.1, and the head (1.11.2_DEV, 0x010b02) as of December 2026.
// Test: "workaround one_request_at_a_time: a request whose reply comes after another
// channel's" fails once libssh2 waits for the reply of its own channel.
#define LIBSSH2_HPP_ASIO_ONE_REQUEST_AT_A_TIME (LIBSSH2_VERSION_NUM <= 0x010b02)
inline constexpr bool one_request_at_a_time = LIBSSH2_HPP_ASIO_ONE_REQUEST_AT_A_TIME;

// Every packet taken whole by the send callback (outbox.hpp): libssh2 resumes a half-sent
// packet only when the call that began it is made again with the same buffer, and some calls
// build their packet on their own stack frame (channel send_eof and close): called again from
// another frame, they fail (1.10: LIBSSH2_ERROR_SOCKET_SEND) or never finish (1.11:
// LIBSSH2_ERROR_EAGAIN forever). So the send callback never reports a short send: what the
// socket does not take waits in the session's outbox, flushed when the socket is writable.
// The engine then never sees a call blocked outbound (it waits for writable only to flush).
// Releases: 1.9.0 to 1.11.1, and the head (1.11.2_DEV) as of December 2026: every release, so
// no condition yet; a release that copies its half-sent packet could let the outbox go, with
// the engine waiting on LIBSSH2_SESSION_BLOCK_OUTBOUND again.
// Test: "workaround whole_packets: an EOF half sent, resumed from another stack frame" fails
// once libssh2 finishes such a packet.
inline constexpr bool whole_packets = true;

}  // namespace libssh2::asio::workarounds

#endif  // LIBSSH2_HPP_ASIO_WORKAROUNDS
