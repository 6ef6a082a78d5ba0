// SPDX-License-Identifier: BSD-3-Clause
// libssh2::agent_login: public-key authentication with an ssh-agent's keys in one call, as
// ssh2-rs's userauth_agent does it: connect to the agent, list its identities, offer each in
// the agent's order until the server accepts one. Throws libssh2::error when none is accepted
// (the code and message of the last refusal), when the agent cannot be reached or holds no
// key; the twin taking std::error_code & last never throws. For blocking sessions (see
// failure.hpp).
#ifndef LIBSSH2_HPP_IO_AGENT_LOGIN
#define LIBSSH2_HPP_IO_AGENT_LOGIN

#include "agent_identities.hpp"
#include "failure.hpp"

#include <string>
#include <system_error>

namespace libssh2 {

namespace detail {

inline void agent_login(agent &a, const std::string &username, std::error_code *ec) {
    LIBSSH2_SESSION *session = io_session_of(a);
    const std::string what = "libssh2::agent_login " + username;
    if (const int rc = a.connect(); rc != 0) return fail_session(session, rc, what + ": connecting to the agent", ec);
    if (const int rc = a.list_identities(); rc != 0)
        return fail_session(session, rc, what + ": listing identities", ec);
    std::error_code walk_error;
    int tried = 0;
    int refusal = 0;
    for (const agent_identity &identity : identities(a, walk_error)) {
        ++tried;
        refusal = a.userauth(username.c_str(), identity.raw);
        if (refusal == 0) {
            if (ec) ec->clear();
            return;
        }
    }
    if (walk_error) return fail(walk_error, what + ": walking the identities", ec);
    if (tried == 0) return fail(make_error_code(errc::authentication_failed), what + ": the agent holds no keys", ec);
    fail_session(session, refusal,
                 what + ": the server accepted none of the agent's " + std::to_string(tried) + " keys", ec);
}

inline void agent_login(session &s, const std::string &username, std::error_code *ec) {
    agent a = agent::init(s);
    if (!a) return fail_session(s.get(), 0, "libssh2::agent_login " + username + ": libssh2_agent_init", ec);
    agent_login(a, username, ec);
}

}  // namespace detail

// With the agent at $SSH_AUTH_SOCK (libssh2's default), disconnected afterwards.
inline void agent_login(session &s, const std::string &username) { detail::agent_login(s, username, nullptr); }
inline void agent_login(session &s, const std::string &username, std::error_code &ec) {
    detail::agent_login(s, username, &ec);
}

// With an agent of the caller's (e.g. after agent.set_identity_path()); it stays connected.
inline void agent_login(agent &a, const std::string &username) { detail::agent_login(a, username, nullptr); }
inline void agent_login(agent &a, const std::string &username, std::error_code &ec) {
    detail::agent_login(a, username, &ec);
}

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_AGENT_LOGIN
