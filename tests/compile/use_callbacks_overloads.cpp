// SPDX-License-Identifier: BSD-3-Clause
// Compiled (never run) by tests/check-header-compiles: which overload a call takes once
// <libssh2/callbacks.hpp> is included.
// - A capture-free lambda with the C callback's exact signature (ending in void **abstract)
//   converts to the C function pointer: it takes the plain overload of <libssh2.hpp>, as it
//   did without this header (the plain overloads are noexcept, the callable ones are not).
// - A callable of the binding's signature (no abstract) takes the callable overload, also with
//   views (std::string, std::string_view, std::vector) for the C pointers and lengths.
#include <libssh2/callbacks.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

int main() {
    libssh2::session s;
    std::error_code ec;
    void *abstract = nullptr;
    const std::string user = "user";
    const std::string password = "password";
    const std::vector<unsigned char> blob(4);
    int captured = 0;
    int rc = 0;

    // keyboard_interactive(_ex): the C signature, then the binding's.
    auto kbd_c = [](const char *, int, const char *, int, int, const LIBSSH2_USERAUTH_KBDINT_PROMPT *,
                    LIBSSH2_USERAUTH_KBDINT_RESPONSE *, void **) {};
    auto kbd = [&captured](const char *, int, const char *, int, int, const LIBSSH2_USERAUTH_KBDINT_PROMPT *,
                           LIBSSH2_USERAUTH_KBDINT_RESPONSE *) { ++captured; };
    static_assert(noexcept(libssh2::userauth::keyboard_interactive(s, "user", kbd_c)));
    static_assert(noexcept(libssh2::userauth::keyboard_interactive(s, user, kbd_c)));
    static_assert(noexcept(libssh2::userauth::keyboard_interactive_ex(s, "user", 4u, kbd_c)));
    static_assert(!noexcept(libssh2::userauth::keyboard_interactive(s, "user", kbd)));
    static_assert(!noexcept(libssh2::userauth::keyboard_interactive(s, user, kbd)));
    static_assert(!noexcept(libssh2::userauth::keyboard_interactive_ex(s, std::string_view(user), kbd)));
    rc += libssh2::userauth::keyboard_interactive(s, "user", kbd_c);
    rc += libssh2::userauth::keyboard_interactive_ex(s, "user", 4u, kbd_c);
    rc += libssh2::userauth::keyboard_interactive(s, user, kbd);
    rc += libssh2::userauth::keyboard_interactive(s, user, kbd, ec);
    rc += libssh2::userauth::keyboard_interactive_ex(s, std::string_view(user), kbd, ec);

    // password_ex's password-change callback.
    auto change_c = [](LIBSSH2_SESSION *, char **, int *, void **) {};
    auto change = [&captured](LIBSSH2_SESSION *, char **, int *) { ++captured; };
    static_assert(noexcept(libssh2::userauth::password_ex(s, "user", 4u, "password", 8u, change_c)));
    static_assert(noexcept(libssh2::userauth::password_ex(s, user, password, change_c)));
    static_assert(!noexcept(libssh2::userauth::password_ex(s, user, password, change)));
    rc += libssh2::userauth::password_ex(s, "user", 4u, "password", 8u, change_c);
    rc += libssh2::userauth::password_ex(s, user, password, change);
    rc += libssh2::userauth::password_ex(s, user, password, change, ec);

    // publickey's sign callback: the C form passes its own abstract.
    auto sign_c = [](LIBSSH2_SESSION *, unsigned char **, size_t *, const unsigned char *, size_t, void **) { return 0; };
    auto sign = [&captured](LIBSSH2_SESSION *, unsigned char **, size_t *, const unsigned char *, size_t) {
        return captured;
    };
    static_assert(noexcept(libssh2::userauth::publickey(s, "user", blob.data(), blob.size(), sign_c, &abstract)));
    static_assert(noexcept(libssh2::userauth::publickey(s, user, blob, sign_c, &abstract)));
    static_assert(!noexcept(libssh2::userauth::publickey(s, user, blob, sign)));
    rc += libssh2::userauth::publickey(s, "user", blob.data(), blob.size(), sign_c, &abstract);
    rc += libssh2::userauth::publickey(s, user, blob, sign);
    rc += libssh2::userauth::publickey(s, user, blob, sign, ec);

#if LIBSSH2_VERSION_NUM >= 0x010b01
    // publickey_sk's sign callback (libssh2 1.11.1 and later).
    auto sk_c = [](LIBSSH2_SESSION *, LIBSSH2_SK_SIG_INFO *, const unsigned char *, size_t, int, uint8_t,
                   const char *, const unsigned char *, size_t, void **) { return 0; };
    auto sk = [&captured](LIBSSH2_SESSION *, LIBSSH2_SK_SIG_INFO *, const unsigned char *, size_t, int, uint8_t,
                          const char *, const unsigned char *, size_t) { return captured; };
    static_assert(noexcept(libssh2::userauth::publickey_sk(s, user, blob, "key", "", sk_c, &abstract)));
    static_assert(!noexcept(libssh2::userauth::publickey_sk(s, user, blob, "key", "", sk)));
    rc += libssh2::userauth::publickey_sk(s, user, blob, "key", "", sk_c, &abstract);
    rc += libssh2::userauth::publickey_sk(s, user, blob, "key", "", sk);
    rc += libssh2::userauth::publickey_sk(s, user, blob, "key", "", sk, ec);
#endif

    // trace::sethandler: the C form passes its own context.
    auto trace_c = [](LIBSSH2_SESSION *, void *, const char *, size_t) {};
    auto trace = [&captured](LIBSSH2_SESSION *, const char *, size_t) { ++captured; };
    static_assert(noexcept(libssh2::trace::sethandler(s, nullptr, trace_c)));
    static_assert(!noexcept(libssh2::trace::sethandler(s, trace)));
    rc += libssh2::trace::sethandler(s, nullptr, trace_c);
    rc += libssh2::trace::sethandler(s, trace);

    return rc + captured;
}
