// SPDX-License-Identifier: BSD-3-Clause
// libssh2::base64::decode (deprecated), into memory the session's allocator gives and libssh2::free
// frees. Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support/connection.hpp"
#include "support/deprecated_api.hpp"  // this file exercises deprecated API: base64::decode

using test_support::sshd;

namespace {

struct allocation_counts {
    long live = 0;
};
void *counting_alloc(size_t count, void **abstract) {
    void *p = std::malloc(count);
    if (p) ++static_cast<allocation_counts *>(*abstract)->live;
    return p;
}
void counting_free(void *ptr, void **abstract) {
    if (ptr) --static_cast<allocation_counts *>(*abstract)->live;
    std::free(ptr);
}
void *counting_realloc(void *ptr, size_t count, void **abstract) {
    void *p = std::realloc(ptr, count);
    if (!ptr && p) ++static_cast<allocation_counts *>(*abstract)->live;
    return p;
}

}  // namespace

// libssh2 1.11.1 deprecates libssh2_base64_decode; this test calls it with every release.
TEST_CASE("base64::decode (deprecated) decodes into memory freed with libssh2::free") {
    allocation_counts counts;
    libssh2::session session = libssh2::session::init_ex(counting_alloc, counting_free, counting_realloc, &counts);
    REQUIRE(session);
    const long live = counts.live;

    char *data = nullptr;
    unsigned int length = 0;
    const std::string hello = "aGVsbG8gd29ybGQ=";
    REQUIRE(libssh2::base64::decode(session, &data, &length, hello.data(), static_cast<unsigned>(hello.size())) == 0);
    REQUIRE(data != nullptr);
    CHECK(std::string(data, length) == "hello world");
    CHECK(counts.live == live + 1);  // allocated with the session's allocator...
    libssh2::free(session, data);
    CHECK(counts.live == live);  // ...and freed with it

    // The sshd's host key, from its .pub file, decodes to the key blob the handshake sees.
    const std::string &key = sshd().host_key_base64;
    REQUIRE(libssh2::base64::decode(session.get(), &data, &length, key.data(), static_cast<unsigned>(key.size())) ==
            0);  // the raw-pointer overload
    CHECK(std::vector<unsigned char>(data, data + length) == sshd().host_key_blob);
    libssh2::free(session.get(), data);

    // A lone character cannot encode a byte.
    data = nullptr;
    CHECK(libssh2::base64::decode(session, &data, &length, "Q", 1) == LIBSSH2_ERROR_INVAL);
    CHECK(counts.live == live);
}
