// SPDX-License-Identifier: BSD-3-Clause
// Which Asio <libssh2/asio.hpp> runs on: standalone Asio (Debian libasio-dev) by default, or
// Boost.Asio when LIBSSH2_HPP_ASIO_BOOST is defined before the first include. Either is
// libssh2::asio::net inside the binding, and completion handlers take that Asio's error_code.
#ifndef LIBSSH2_HPP_ASIO_CONFIG
#define LIBSSH2_HPP_ASIO_CONFIG

#include "../io/failure.hpp"

#ifdef LIBSSH2_HPP_ASIO_BOOST
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#else
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/compose.hpp>
#include <asio/connect.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#endif

#include <system_error>

namespace libssh2::asio {

#ifdef LIBSSH2_HPP_ASIO_BOOST
namespace net = ::boost::asio;
using error_code = ::boost::system::error_code;
#else
namespace net = ::asio;
using error_code = ::asio::error_code;
#endif

namespace detail {

// The binding's codes keep their category (libssh2::session_category(), sftp_category()): a
// Boost error_code wraps a std::error_code and compares equal to it.
inline error_code to_asio(const std::error_code &code) noexcept { return error_code(code); }

}  // namespace detail
}  // namespace libssh2::asio

#endif  // LIBSSH2_HPP_ASIO_CONFIG
