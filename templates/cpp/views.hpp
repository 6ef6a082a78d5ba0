// SPDX-License-Identifier: BSD-3-Clause
// What the convenience overloads of <libssh2.hpp> take instead of a C pointer (and its
// length): views that borrow the caller's text or elements for the length of the call.
// Hand-written C++, copied verbatim into the generated header (the part between the two
// marker lines; generator/render.py's cpp_snippet). tests/compile/views_standalone.cpp
// compiles this file on its own.
//
// They accept std::string, std::string_view, std::vector, std::array and (C++20) std::span,
// or anything else with data() and size() (c_str() for a NUL-terminated string), without
// this header including <string>, <string_view> or <span>: each of those alone costs more to
// compile than the whole binding (g++ 12: +0.05 s to +0.18 s). Vulkan-Hpp's ArrayProxy takes
// the same approach.
#ifndef LIBSSH2_HPP_VIEWS
#define LIBSSH2_HPP_VIEWS

// copied into the generated header from here
#include <cstddef>
#include <cstring>

namespace libssh2 {
namespace detail {

// Only ever named inside decltype: an lvalue of T, and a conversion that compiles only if
// the value converts to To implicitly.
template <class T>
T &lvalue() noexcept;
template <class To>
To implicitly(To value) noexcept;

// int when a Range has data() converting to Pointer and size() converting to std::size_t.
template <class Range, class Pointer>
using if_contiguous = decltype(implicitly<Pointer>(lvalue<Range>().data()), implicitly<std::size_t>(lvalue<Range>().size()), 0);

// int when a String has c_str() converting to const char *.
template <class String>
using if_c_string = decltype(implicitly<const char *>(lvalue<const String>().c_str()), 0);

}  // namespace detail

// Text and its length, for a (const char *, length) pair of libssh2: from a
// std::string_view, a std::string, any contiguous range of char, or a NUL-terminated
// const char *.
class text_view {
public:
    constexpr text_view() noexcept = default;
    constexpr text_view(const char *text, std::size_t size) noexcept : data_(text), size_(size) {}
    text_view(const char *text) noexcept : data_(text), size_(text ? std::strlen(text) : 0) {}
    template <class Text, detail::if_contiguous<const Text, const char *> = 0>
    constexpr text_view(const Text &text) noexcept : data_(text.data()), size_(text.size()) {}

    constexpr const char *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }

private:
    const char *data_ = nullptr;
    std::size_t size_ = 0;
};

// A NUL-terminated string, for a const char * parameter of libssh2 that has no length: from
// a const char * or anything with c_str() (std::string).
class c_string {
public:
    constexpr c_string(const char *text) noexcept : text_(text) {}
    template <class String, detail::if_c_string<String> = 0>
    c_string(const String &text) noexcept : text_(text.c_str()) {}

    constexpr const char *c_str() const noexcept { return text_; }

private:
    const char *text_;
};

// Contiguous elements and their count, for a (pointer, count) pair of libssh2 (bytes to
// send, a buffer to fill, an array of structures): from a std::span, std::vector,
// std::array, std::string (for char), a C array, or a pointer and a count.
template <class T>
class span {
public:
    constexpr span() noexcept = default;
    constexpr span(T *data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <std::size_t N>
    constexpr span(T (&array)[N]) noexcept : data_(array), size_(N) {}
    template <class Range, detail::if_contiguous<Range, T *> = 0>
    constexpr span(Range &&range) noexcept : data_(range.data()), size_(range.size()) {}

    constexpr T *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T *begin() const noexcept { return data_; }
    constexpr T *end() const noexcept { return data_ + size_; }

private:
    T *data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace libssh2
// copied up to here

#endif  // LIBSSH2_HPP_VIEWS
