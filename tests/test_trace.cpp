// SPDX-License-Identifier: BSD-3-Clause
// libssh2::trace::trace and sethandler: libssh2's trace of a handshake (skipped when libssh2 is built
// without debug tracing). Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <string>
#include <vector>

#include "support/connection.hpp"

using test_support::sshd;

namespace {

struct trace_record {
    int calls = 0;
    void *context = nullptr;
    std::vector<std::string> messages;
};

void on_trace(LIBSSH2_SESSION *, void *context, const char *message, size_t length) {
    auto *record = static_cast<trace_record *>(context);
    ++record->calls;
    record->context = context;
    record->messages.emplace_back(message, length);
}

}  // namespace

TEST_CASE("trace::trace and trace::sethandler: the handler receives libssh2's trace of a handshake") {
    trace_record record;
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session session = libssh2::session::init();
    CHECK(libssh2::trace::sethandler(session, &record, on_trace) == 0);
    CHECK(libssh2::trace::trace(session, LIBSSH2_TRACE_KEX) == 0);  // key exchange only
    REQUIRE(session.handshake(socket.get()) == 0);
    REQUIRE(libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                  sshd().key.c_str(), nullptr) == 0);
    if (record.calls == 0) {
        // libssh2_trace and libssh2_trace_sethandler are no-ops returning 0 unless libssh2 was
        // built with debug logging (LIBSSH2DEBUG); Debian's package is not.
        SKIP("libssh2 " << libssh2::version(0)
                        << " was built without debug tracing (LIBSSH2DEBUG): the trace handler never fires");
    }
    CHECK(record.context == &record);
    // "[libssh2] <time> Key Ex: ...": only the key exchange category, naming the agreed method.
    bool names_kex = false;
    for (const std::string &message : record.messages) {
        CAPTURE(message);
        CHECK(message.find("Key Ex: ") != std::string::npos);
        names_kex = names_kex || message.find(session.methods(LIBSSH2_METHOD_KEX)) != std::string::npos;
    }
    CHECK(names_kex);
}

// Runs with every libssh2 build (with or without debug tracing), so this file always has a
// test that runs.
TEST_CASE("trace::trace with an empty mask: the handler never fires") {
    trace_record quiet;
    test_support::socket_fd socket(test_support::connect_tcp(sshd().port));
    libssh2::session silent = libssh2::session::init();
    CHECK(libssh2::trace::sethandler(silent.get(), &quiet, on_trace) == 0);
    CHECK(libssh2::trace::trace(silent.get(), 0) == 0);
    REQUIRE(silent.handshake(socket.get()) == 0);
    REQUIRE(libssh2::userauth::publickey_fromfile(silent, sshd().user, sshd().pubkey, sshd().key, nullptr) == 0);
    CHECK(quiet.calls == 0);
}
