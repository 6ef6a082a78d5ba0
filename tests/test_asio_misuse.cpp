// <libssh2/asio.hpp>: a moved-from libssh2::asio::session is diagnosed like the thin classes'
// empty objects (LIBSSH2_HPP_ASSERT: a message naming the method, then abort(), in a debug
// build), not a crash on a null engine. Run by `meson test -C build asio_misuse`.
#include <catch2/catch_test_macros.hpp>

#include <libssh2/asio.hpp>

#include <asio/io_context.hpp>

#include <utility>

#include "support/misuse.hpp"

namespace la = libssh2::asio;
using test_support::expect_diagnosed;

TEST_CASE("a moved-from asio::session is diagnosed with the method, not a crash") {
#ifdef NDEBUG
    // Not even compiled: with the check off, g++ -O3 sees the null engine the misuse reaches
    // and rejects it (-Wnonnull).
    SKIP("NDEBUG build: LIBSSH2_HPP_ASSERT is off, as assert() is");
#else
    const auto moved_from = [](auto use) {
        return [use] {
            ::asio::io_context io;
            la::session s(io);
            la::session other = std::move(s);
            use(s);  // NOLINT(bugprone-use-after-move): the misuse under test
        };
    };
    expect_diagnosed(moved_from([](la::session &s) { (void)s.ssh(); }), "asio::session::ssh");
    expect_diagnosed(moved_from([](la::session &s) { (void)s.get_executor(); }), "asio::session::get_executor");
    expect_diagnosed(moved_from([](la::session &s) { s.cancel(); }), "asio::session::cancel");
    expect_diagnosed(moved_from([](la::session &s) { la::async_exec(s, "true", [](std::error_code, la::exec_result) {}); }),
                     "asio::session::ssh");  // the operation's first use of it
#endif
}
