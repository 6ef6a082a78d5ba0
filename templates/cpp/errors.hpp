// SPDX-License-Identifier: BSD-3-Clause
// The hand-written part of <libssh2/errors.hpp>: the categories' accessors, make_error_code,
// libssh2::error, check() and rethrow_pending(). Copied verbatim (the part between the two
// marker lines; generator/render.py's cpp_snippet) after what templates/errors.hpp.j2
// generates: the enums errc and sftp_errc and their categories, whose stand-ins below let
// tests/compile/errors_standalone.cpp compile this file on its own.
#ifndef LIBSSH2_HPP_ERRORS_SNIPPET
#define LIBSSH2_HPP_ERRORS_SNIPPET

#include <libssh2.hpp>  // the header under test: the compile matrix gives its include directory

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

// Stand-ins for the generated part (one enumerator each, where the generator writes all).
namespace libssh2 {
enum class errc : int { eagain = LIBSSH2_ERROR_EAGAIN };
enum class sftp_errc : unsigned long { no_such_file = LIBSSH2_FX_NO_SUCH_FILE };
namespace detail {
class session_error_category final : public std::error_category {
public:
    const char *name() const noexcept override { return "libssh2"; }
    std::string message(int) const override { return "libssh2 error"; }
};
class sftp_error_category final : public std::error_category {
public:
    const char *name() const noexcept override { return "libssh2-sftp"; }
    std::string message(int) const override { return "libssh2-sftp error"; }
};
}  // namespace detail
// (namespace libssh2 stays open: the generated header has it open here too)

// copied into the generated header from here
inline const std::error_category &session_category() noexcept {
    static const detail::session_error_category category;
    return category;
}

inline const std::error_category &sftp_category() noexcept {
    static const detail::sftp_error_category category;
    return category;
}

inline std::error_code make_error_code(errc code) noexcept { return {static_cast<int>(code), session_category()}; }
inline std::error_code make_error_code(sftp_errc code) noexcept { return {static_cast<int>(code), sftp_category()}; }

// What libssh2::check throws: the error code and the session's message at the time.
class error : public std::system_error {
public:
    using std::system_error::system_error;
};

namespace detail {

// How every layer above the thin one reports a failure: with ec, into *ec (the caller goes
// on); without, as a thrown libssh2::error. Built with -fno-exceptions there is nothing to
// throw: the message goes to stderr and the program aborts, as std::filesystem's throwing
// calls do there; the std::error_code & twins are the calls to use in such builds.
inline void fail(std::error_code code, const std::string &message, std::error_code *ec) {
    if (ec) {
        *ec = code;
        return;
    }
#if defined(__cpp_exceptions) || defined(_CPPUNWIND)
    throw error(code, message);
#else
    std::fprintf(stderr, "libssh2-hpp: %s: %s\n", message.c_str(), code.message().c_str());
    std::abort();
#endif
}

#if defined(__cpp_exceptions) || defined(_CPPUNWIND)
// What a callable's exception becomes in a std::error_code & twin: a std::system_error's
// (libssh2::error's) own code, not_enough_memory for std::bad_alloc, else operation_canceled:
// the callable failed, and with it the libssh2 call it was called from.
inline std::error_code code_of(std::exception_ptr exception) noexcept {
    try {
        std::rethrow_exception(exception);
    } catch (const std::system_error &thrown) {
        return thrown.code();
    } catch (const std::bad_alloc &) {
        return std::make_error_code(std::errc::not_enough_memory);
    } catch (...) {
        return std::make_error_code(std::errc::operation_canceled);
    }
}
#endif

// The part of a session's callables state (<libssh2/callbacks.hpp>) the checked layer needs:
// an exception a callable threw, kept until a binding call can rethrow it. Built without
// exceptions a callable cannot throw, so nothing is ever kept.
struct callback_state_base {
    callback_state_base() = default;
    callback_state_base(const callback_state_base &) = delete;
    callback_state_base &operator=(const callback_state_base &) = delete;
    virtual ~callback_state_base() = default;

#if defined(__cpp_exceptions) || defined(_CPPUNWIND)
    void keep(std::exception_ptr exception) noexcept {
        if (!pending) pending = std::move(exception);
    }
    // Rethrows the kept exception, if any; with ec, stores its code there instead.
    void rethrow_pending(std::error_code *ec = nullptr) {
        if (!pending) return;
        std::exception_ptr exception = std::exchange(pending, nullptr);
        if (!ec) std::rethrow_exception(exception);
        *ec = code_of(exception);
    }

    std::exception_ptr pending;
#else
    void rethrow_pending(std::error_code * = nullptr) noexcept {}
#endif
    void *user_abstract = nullptr;
};

// Rethrows what a C++ callable of the session (root: its node) threw since, if anything;
// with ec, stores its code there instead.
inline void rethrow_pending(node *root, std::error_code *ec) {
    if (root && root->extension) static_cast<callback_state_base *>(root->extension)->rethrow_pending(ec);
}

inline std::string last_error_message(LIBSSH2_SESSION *session) {
    char *message = nullptr;
    int length = 0;
    if (session) libssh2_session_last_error(session, &message, &length, 0);
    return message ? std::string(message, static_cast<std::size_t>(length)) : std::string();
}

// check() and its twin: ec null throws (through fail), ec set reports there.
template <class T>
std::optional<T> checked(T result, node *root, LIBSSH2_SFTP *sftp, std::error_code *ec) {
    if (ec) ec->clear();
    rethrow_pending(root, ec);
    if (ec && *ec) return std::nullopt;
    bool failed;
    if constexpr (std::is_integral_v<T>) {
        static_assert(std::is_signed_v<T>, "check() takes results where a negative value is an error");
        failed = result < 0;
    } else {
        failed = !result;  // a null pointer or an empty owning handle
    }
    if (!failed) return std::optional<T>(std::move(result));
    LIBSSH2_SESSION *session = root ? root->session : nullptr;
    int code = LIBSSH2_ERROR_NONE;
    if constexpr (std::is_integral_v<T>) {
        code = static_cast<int>(result);
    } else {
        code = session ? libssh2_session_last_errno(session) : LIBSSH2_ERROR_NONE;
    }
    if (code == LIBSSH2_ERROR_EAGAIN) {
        if (ec) *ec = make_error_code(errc::eagain);
        return std::nullopt;
    }
    const std::error_code failure = sftp && code == LIBSSH2_ERROR_SFTP_PROTOCOL
                                        ? std::error_code(static_cast<int>(libssh2_sftp_last_error(sftp)), sftp_category())
                                        : std::error_code(code, session_category());
    // The twin has no use for the message: it allocates nothing.
    fail(failure, ec ? std::string() : last_error_message(session), ec);
    return std::nullopt;
}

}  // namespace detail

// Rethrows what a C++ callable of the session threw since, if anything.
inline void rethrow_pending(const session &s) { detail::rethrow_pending(detail::access::node_of(s), nullptr); }

// Twin: never throws; ec is the callable's exception's code (a std::system_error's own,
// std::errc::not_enough_memory for std::bad_alloc, else std::errc::operation_canceled) and
// the exception is dropped, or clear if none.
inline void rethrow_pending(const session &s, std::error_code &ec) noexcept {
    ec.clear();
    detail::rethrow_pending(detail::access::node_of(s), &ec);
}

struct errors_layer {
    static std::error_code last_error_code(const session &s) noexcept {
        return {s ? libssh2_session_last_errno(s.get()) : 0, session_category()};
    }
    static std::string last_error_message(const session &s) { return detail::last_error_message(s.get()); }
};

// The SFTP server's last status as a std::error_code.
inline std::error_code last_error_code(sftp &s) noexcept {
    return {static_cast<int>(s.last_error()), sftp_category()};
}

// The result of a libssh2 call: the value when it succeeded, std::nullopt when it would block
// (LIBSSH2_ERROR_EAGAIN), else throws libssh2::error with the session's message. First
// rethrows what a C++ callable of the session threw, if anything.
template <class T>
std::optional<T> check(T result, const session &s) {
    return detail::checked(std::move(result), detail::access::node_of(s), nullptr, nullptr);
}

// Twin: never throws. The value with ec clear; or std::nullopt with ec set: errc::eagain
// (== std::errc::operation_would_block) when the call would block, the callable's exception's
// code (see rethrow_pending), or the call's error.
template <class T>
std::optional<T> check(T result, const session &s, std::error_code &ec) noexcept(std::is_nothrow_move_constructible_v<T>) {
    return detail::checked(std::move(result), detail::access::node_of(s), nullptr, &ec);
}

// As above, for SFTP calls: a LIBSSH2_ERROR_SFTP_PROTOCOL failure throws the server's status
// (an sftp_errc) instead.
template <class T>
std::optional<T> check(T result, sftp &s) {
    return detail::checked(std::move(result), detail::root(detail::access::node_of(s)), s.get(), nullptr);
}

// Twin: as check(result, session, ec), with the server's status (an sftp_errc) in ec for a
// LIBSSH2_ERROR_SFTP_PROTOCOL failure.
template <class T>
std::optional<T> check(T result, sftp &s, std::error_code &ec) noexcept(std::is_nothrow_move_constructible_v<T>) {
    return detail::checked(std::move(result), detail::root(detail::access::node_of(s)), s.get(), &ec);
}

}  // namespace libssh2

namespace std {
template <>
struct is_error_code_enum<libssh2::errc> : true_type {};
template <>
struct is_error_code_enum<libssh2::sftp_errc> : true_type {};
}  // namespace std
// copied up to here

#endif  // LIBSSH2_HPP_ERRORS_SNIPPET
