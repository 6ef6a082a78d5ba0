// SPDX-License-Identifier: BSD-3-Clause
// Byte helpers the behaviour tests share: test data, comparisons that print little, files,
// base64, SSH wire encoding (RFC 4251: uint32, string).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace test_support {

// size bytes of a pattern that differs with seed and does not repeat every 256 bytes.
inline std::vector<char> pattern(std::size_t size, unsigned seed) {
    std::vector<char> data(size);
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + seed * 41 + i / 307) & 0xff);
    return data;
}

// "" when a and b hold the same bytes, else where they first differ (Catch2 would print every byte).
template <class A, class B>
std::string difference(const A &a, const B &b) {
    const std::size_t common = std::min<std::size_t>(a.size(), b.size());
    for (std::size_t i = 0; i < common; ++i)
        if (a[i] != b[i]) return "first difference at byte " + std::to_string(i);
    if (a.size() != b.size()) return "sizes differ: " + std::to_string(a.size()) + " and " + std::to_string(b.size());
    return "";
}

// A whole file's bytes; throws std::runtime_error if it cannot be opened.
inline std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Decodes base64 up to the first character outside the alphabet ('=' or the end of a field).
inline std::vector<unsigned char> base64_decode(const std::string &in) {
    std::vector<unsigned char> out;
    unsigned value = 0;
    int bits = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else break;
        value = value << 6 | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<unsigned char>(value >> bits & 0xff));
        }
    }
    return out;
}

// Base64 without padding, as ssh-keygen prints SHA1 and SHA256 fingerprints.
inline std::string base64_unpadded(const unsigned char *data, size_t length) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < length; i += 3) {
        const unsigned v = unsigned(data[i]) << 16 | (i + 1 < length ? unsigned(data[i + 1]) << 8 : 0u) |
                           (i + 2 < length ? unsigned(data[i + 2]) : 0u);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        if (i + 1 < length) out += alphabet[v >> 6 & 63];
        if (i + 2 < length) out += alphabet[v & 63];
    }
    return out;
}

// SSH wire encoding (RFC 4251 section 5): a big-endian uint32, a string as uint32 length +
// bytes; into and out of a std::vector<unsigned char> or a std::string.
template <class Bytes>
void put_u32(Bytes &out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<typename Bytes::value_type>(value >> shift));
}
template <class Bytes>
void put_string(Bytes &out, const unsigned char *data, std::size_t length) {
    put_u32(out, static_cast<std::uint32_t>(length));
    for (std::size_t i = 0; i < length; ++i) out.push_back(static_cast<typename Bytes::value_type>(data[i]));
}
template <class Bytes, class Text>
void put_string(Bytes &out, const Text &text) {
    put_string(out, reinterpret_cast<const unsigned char *>(text.data()), text.size());
}

inline std::uint32_t get_u32(const unsigned char *bytes) {
    return std::uint32_t(bytes[0]) << 24 | std::uint32_t(bytes[1]) << 16 | std::uint32_t(bytes[2]) << 8 | bytes[3];
}

// Reads SSH wire fields in order from data (kept by reference); a field past the end
// throws std::runtime_error.
template <class Bytes>
struct wire_reader {
    const Bytes &data;
    std::size_t at = 0;

    std::uint32_t u32() {
        need(4);
        at += 4;
        return get_u32(reinterpret_cast<const unsigned char *>(data.data()) + at - 4);
    }
    Bytes string() {
        const std::uint32_t size = u32();
        need(size);
        at += size;
        return Bytes(data.begin() + static_cast<std::ptrdiff_t>(at - size), data.begin() + static_cast<std::ptrdiff_t>(at));
    }
    unsigned char byte() {
        need(1);
        return static_cast<unsigned char>(data[at++]);
    }
    bool boolean() { return byte() != 0; }

private:
    void need(std::size_t size) const {
        if (data.size() - at < size) throw std::runtime_error("truncated SSH wire data");
    }
};
template <class Bytes>
wire_reader(const Bytes &, std::size_t = 0) -> wire_reader<Bytes>;

}  // namespace test_support
