// SPDX-License-Identifier: BSD-3-Clause
// Compiled (never run) by tests/check-header-compiles: the hand-written views of the
// convenience overloads (templates/cpp/views.hpp, copied into <libssh2.hpp>) on their own,
// and what each accepts and refuses, as the overloads rely on it.
#include "../../templates/cpp/views.hpp"

#include <array>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>
#if __cplusplus >= 202002L
#include <span>
#endif

using libssh2::c_string;
using libssh2::span;
using libssh2::text_view;

// Text with a length: any contiguous char text, and a NUL-terminated pointer.
static_assert(std::is_convertible_v<const std::string &, text_view>);
static_assert(std::is_convertible_v<std::string_view, text_view>);
static_assert(std::is_convertible_v<const char *, text_view>);
static_assert(std::is_convertible_v<const std::vector<char> &, text_view>);
static_assert(!std::is_convertible_v<const std::vector<unsigned char> &, text_view>);
static_assert(!std::is_convertible_v<int, text_view>);

// A NUL-terminated string: only what guarantees the terminator (a string_view does not).
static_assert(std::is_convertible_v<const std::string &, c_string>);
static_assert(std::is_convertible_v<const char *, c_string>);
static_assert(!std::is_convertible_v<std::string_view, c_string>);

// A buffer to fill takes only mutable storage; bytes to send take any contiguous bytes.
static_assert(std::is_convertible_v<std::vector<char> &, span<char>>);
static_assert(std::is_convertible_v<std::string &, span<char>>);
static_assert(std::is_convertible_v<char (&)[16], span<char>>);
static_assert(!std::is_convertible_v<const std::vector<char> &, span<char>>);
static_assert(!std::is_convertible_v<const std::string &, span<char>>);
static_assert(std::is_convertible_v<const std::vector<unsigned char> &, span<const unsigned char>>);
static_assert(std::is_convertible_v<const std::array<unsigned char, 4> &, span<const unsigned char>>);
static_assert(!std::is_convertible_v<const std::vector<char> &, span<const unsigned char>>);
#if __cplusplus >= 202002L
static_assert(std::is_convertible_v<std::span<char>, span<char>>);
static_assert(std::is_convertible_v<std::span<const unsigned char>, span<const unsigned char>>);
#endif

int main() {
    const std::string text = "hello";
    const text_view view = text;
    std::vector<char> buffer(8);
    const span<char> to_fill = buffer;
    const c_string terminated = text;
    const bool ok = view.size() == 5 && view.data() == text.data() && to_fill.size() == 8 &&
                    to_fill.data() == buffer.data() && terminated.c_str() == text.c_str() &&
                    text_view("abc").size() == 3 && text_view(nullptr).size() == 0;
    return ok ? 0 : 1;
}
