// SPDX-License-Identifier: BSD-3-Clause
// libssh2::verify_host_key: is the server's host key the one a known_hosts file lists for it?
// libssh2::check_host_key: the same, with a key that is not the listed one an error of its own
// (host_key_errc::unknown_host, host_key_errc::changed_key), whose message names the host and
// the key's fingerprint as OpenSSH prints them.
#ifndef LIBSSH2_HPP_IO_HOST_KEY
#define LIBSSH2_HPP_IO_HOST_KEY

#include "base64.hpp"
#include "failure.hpp"

#include <cerrno>
#include <string>
#include <system_error>

namespace libssh2 {

// Why a host key was refused, in host_key_category(). Not libssh2's errc::known_hosts, which
// says that libssh2 could not use the known_hosts data.
enum class host_key_errc {
    unknown_host = 1,  // the host is not in known_hosts
    changed_key = 2,   // known_hosts lists another key for the host
};

namespace detail {
class host_key_error_category final : public std::error_category {
public:
    const char *name() const noexcept override { return "libssh2.host_key"; }
    std::string message(int code) const override {
        switch (static_cast<host_key_errc>(code)) {
        case host_key_errc::unknown_host: return "the host is not in known_hosts";
        case host_key_errc::changed_key:
            return "the host's key differs from the one in known_hosts (the connection may be intercepted, or the "
                   "key changed)";
        }
        return "unknown host key error " + std::to_string(code);
    }
};
}  // namespace detail

inline const std::error_category &host_key_category() noexcept {
    static const detail::host_key_error_category category;
    return category;
}
inline std::error_code make_error_code(host_key_errc code) noexcept {
    return {static_cast<int>(code), host_key_category()};
}

enum class host_key_status {
    match,     // listed, and this is the key
    mismatch,  // listed with another key: the connection may be intercepted, or the key changed
    unknown,   // not listed
};

struct host_key_verification {
    host_key_status status = host_key_status::unknown;
    std::string key_type;     // as OpenSSH names it: "ssh-ed25519", "ecdsa-sha2-nistp256", ...
    std::string fingerprint;  // as ssh-keygen -l prints it: "SHA256:" and unpadded base64
    std::string host_entry;   // the name looked up: HOST for port 22, else [HOST]:PORT
    std::string known_hosts;  // the file it was looked up in

    // host_key_errc::unknown_host or changed_key; none for a match.
    std::error_code error() const noexcept {
        switch (status) {
        case host_key_status::match: return {};
        case host_key_status::mismatch: return make_error_code(host_key_errc::changed_key);
        case host_key_status::unknown: break;
        }
        return make_error_code(host_key_errc::unknown_host);
    }

    // Why the key is refused, naming the host and the key as OpenSSH prints them; empty for a
    // match:
    //   [127.0.0.1]:2222 is not in FILE (it offers the ssh-ed25519 key SHA256:...)
    //   the ssh-ed25519 key SHA256:... of [127.0.0.1]:2222 differs from the one in FILE
    std::string refusal() const {
        const std::string offered = key_type + " key " + fingerprint;
        switch (status) {
        case host_key_status::match: return {};
        case host_key_status::mismatch:
            return "the " + offered + " of " + host_entry + " differs from the one in " + known_hosts;
        case host_key_status::unknown: break;
        }
        return host_entry + " is not in " + known_hosts + " (it offers the " + offered + ")";
    }
};

namespace detail {

struct host_key_kind {
    const char *name;
    int knownhost_type;  // LIBSSH2_KNOWNHOST_KEY_*, what the known_hosts checks want
};

inline host_key_kind describe_host_key(int hostkey_type) noexcept {
    switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return {"ssh-rsa", LIBSSH2_KNOWNHOST_KEY_SSHRSA};
#ifdef LIBSSH2_HOSTKEY_TYPE_DSS  // gone from libssh2 after 1.11.1 under LIBSSH2_NO_DEPRECATED
    case LIBSSH2_HOSTKEY_TYPE_DSS: return {"ssh-dss", LIBSSH2_KNOWNHOST_KEY_SSHDSS};
#endif
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return {"ecdsa-sha2-nistp256", LIBSSH2_KNOWNHOST_KEY_ECDSA_256};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return {"ecdsa-sha2-nistp384", LIBSSH2_KNOWNHOST_KEY_ECDSA_384};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return {"ecdsa-sha2-nistp521", LIBSSH2_KNOWNHOST_KEY_ECDSA_521};
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return {"ssh-ed25519", LIBSSH2_KNOWNHOST_KEY_ED25519};
    default: return {"unknown", LIBSSH2_KNOWNHOST_KEY_UNKNOWN};
    }
}

inline host_key_verification verify_host_key(session &s, const std::string &known_hosts_path, const std::string &host,
                                             int port, std::error_code *ec) {
    if (ec) ec->clear();
    host_key_verification result;
    // As OpenSSH writes them: HOST for port 22, [HOST]:PORT for any other. (checkp(HOST, PORT)
    // would also accept a key listed for HOST alone, whatever the port.)
    result.host_entry = port == 22 ? host : "[" + host + "]:" + std::to_string(port);
    result.known_hosts = known_hosts_path;
    std::size_t length = 0;
    int type = 0;
    const char *key = s.hostkey(&length, &type);
    if (!key) {
        fail_session(s.get(), s.last_errno(), "get the host key of " + result.host_entry, ec);
        return result;
    }
    const host_key_kind kind = describe_host_key(type);
    result.key_type = kind.name;
    const auto *hash = reinterpret_cast<const unsigned char *>(hostkey::hash(s, LIBSSH2_HOSTKEY_HASH_SHA256));
    if (hash) result.fingerprint = "SHA256:" + base64_encode(hash, 32, false);

    knownhost known = knownhost::init(s);
    if (!known) {
        fail_session(s.get(), s.last_errno(), "create a known_hosts collection", ec);
        return result;
    }
    errno = 0;
    if (const int rc = known.readfile(known_hosts_path.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH); rc < 0) {
        // LIBSSH2_ERROR_FILE: errno (EMFILE, ENOENT...) is the code (failure.hpp).
        fail_session(s.get(), rc, "read known_hosts file " + known_hosts_path, ec);
        return result;
    }
    const int check =
        known.checkp(result.host_entry.c_str(), -1, key, length,
                     LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kind.knownhost_type, nullptr);
    switch (check) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH: result.status = host_key_status::match; break;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH: result.status = host_key_status::mismatch; break;
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND: result.status = host_key_status::unknown; break;
    default: fail_session(s.get(), s.last_errno(), "check the host key of " + result.host_entry, ec);
    }
    return result;
}

inline host_key_verification check_host_key(session &s, const std::string &known_hosts_path, const std::string &host,
                                            int port, std::error_code *ec) {
    host_key_verification result = verify_host_key(s, known_hosts_path, host, port, ec);
    if ((!ec || !*ec) && result.status != host_key_status::match)
        fail(result.error(), "host key verification failed: " + result.refusal(), ec);
    return result;
}

}  // namespace detail

// Looks up the session's host key (after the handshake) for host and port in an OpenSSH
// known_hosts file (hashed entries too). A key that is unknown or differs is a result, not an
// error: the caller decides. Throws libssh2::error when the file cannot be read (a missing
// file included) or the session has no host key.
inline host_key_verification verify_host_key(session &s, const std::string &known_hosts_path, const std::string &host,
                                             int port) {
    return detail::verify_host_key(s, known_hosts_path, host, port, nullptr);
}
// The same; never throws: on failure sets ec (the result then says what is known so far).
inline host_key_verification verify_host_key(session &s, const std::string &known_hosts_path, const std::string &host,
                                             int port, std::error_code &ec) {
    return detail::verify_host_key(s, known_hosts_path, host, port, &ec);
}

// As verify_host_key, and a key that is not the listed one is an error too: throws
// libssh2::error with host_key_errc::unknown_host or changed_key, and what() naming the host,
// the key's type and fingerprint and the file (refusal()).
inline host_key_verification check_host_key(session &s, const std::string &known_hosts_path, const std::string &host,
                                            int port) {
    return detail::check_host_key(s, known_hosts_path, host, port, nullptr);
}
// The same; never throws: on failure sets ec (the result says what is known).
inline host_key_verification check_host_key(session &s, const std::string &known_hosts_path, const std::string &host,
                                            int port, std::error_code &ec) {
    return detail::check_host_key(s, known_hosts_path, host, port, &ec);
}

}  // namespace libssh2

namespace std {
template <>
struct is_error_code_enum<libssh2::host_key_errc> : true_type {};
}  // namespace std

#endif  // LIBSSH2_HPP_IO_HOST_KEY
