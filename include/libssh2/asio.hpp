// SPDX-License-Identifier: BSD-3-Clause
// libssh2/asio.hpp: every libssh2 call asynchronous with Asio. Hand-written (not generated),
// opt-in, header-only, on top of <libssh2/io.hpp>'s pieces. Standalone Asio by default; define
// LIBSSH2_HPP_ASIO_BOOST first for Boost.Asio. C++17; the completion tokens of C++20
// coroutines (use_awaitable) work where the compiler has them.
//
// - libssh2::asio::session: a non-blocking libssh2 session on an Asio TCP socket, on a strand;
// - async_call(s, [object,] callable, token): any call of the binding, factories included,
//   completing with (error_code, result); async_read_some/async_write_some for channels;
// - the composed operations: async_connect (TCP, handshake, host key check, login),
//   async_exec (stdout, stderr, exit status), async_sftp_get/async_sftp_put, async_forward_local
//   (ssh -L), async_disconnect.
#ifndef LIBSSH2_HPP_ASIO
#define LIBSSH2_HPP_ASIO

#include "asio/config.hpp"
#include "asio/workarounds.hpp"
#include "asio/outbox.hpp"
#include "asio/teardown.hpp"
#include "asio/engine.hpp"
#include "asio/session.hpp"
#include "asio/call.hpp"
#include "asio/connect.hpp"
#include "asio/exec.hpp"
#include "asio/sftp.hpp"
#include "asio/forward.hpp"

#endif  // LIBSSH2_HPP_ASIO
