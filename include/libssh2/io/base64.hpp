// SPDX-License-Identifier: BSD-3-Clause
// Base64 (RFC 4648) encoding, for fingerprints as OpenSSH prints them. libssh2 decodes
// base64 (libssh2::base64::decode) but does not encode.
#ifndef LIBSSH2_HPP_IO_BASE64
#define LIBSSH2_HPP_IO_BASE64

#include <cstddef>
#include <string>

namespace libssh2 {
namespace detail {

// padded: with '=' up to a multiple of 4 characters; OpenSSH's "SHA256:..." leaves it off.
inline std::string base64_encode(const unsigned char *data, std::size_t size, bool padded = true) {
    static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    for (std::size_t i = 0; i < size; i += 3) {
        const std::size_t chunk = size - i < 3 ? size - i : 3;  // 1 to 3 bytes: 2 to 4 digits
        unsigned long bits = static_cast<unsigned long>(data[i]) << 16;
        if (chunk > 1) bits |= static_cast<unsigned long>(data[i + 1]) << 8;
        if (chunk > 2) bits |= data[i + 2];
        for (std::size_t digit = 0; digit <= chunk; ++digit) out += digits[(bits >> (18 - 6 * digit)) & 63];
        if (padded) out.append(3 - chunk, '=');
    }
    return out;
}

}  // namespace detail
}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_BASE64
