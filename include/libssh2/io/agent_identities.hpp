// SPDX-License-Identifier: BSD-3-Clause
// libssh2::identities: the identities an ssh-agent listed, as a range,
//
//     agent.connect(); agent.list_identities();
//     for (const libssh2::agent_identity &identity : libssh2::identities(agent))
//         if (identity.comment == "me@work") agent.userauth("me", identity.raw);
//
// in the agent's order (libssh2_agent_get_identity). Errors: see walked_list.hpp.
#ifndef LIBSSH2_HPP_IO_AGENT_IDENTITIES
#define LIBSSH2_HPP_IO_AGENT_IDENTITIES

#include "walked_list.hpp"

#include <string>
#include <vector>

namespace libssh2 {

struct agent_identity {
    std::string comment;
    std::vector<unsigned char> blob;  // the public key in SSH wire format
    // For agent.userauth() and agent.sign(): valid until the agent lists again, disconnects
    // or is freed.
    libssh2_agent_publickey *raw = nullptr;
};

namespace detail {

struct identity_walk {
    using owner = agent;
    using raw = libssh2_agent_publickey;
    using value_type = agent_identity;
    static constexpr const char *what = "libssh2::identities";
    static int get(agent &a, raw **store, raw *prev) noexcept { return a.get_identity(store, prev); }
    static agent_identity make(raw *identity) {
        return {identity->comment ? identity->comment : "",
                std::vector<unsigned char>(identity->blob, identity->blob + identity->blob_len), identity};
    }
};

}  // namespace detail

// Constructed from the agent (agent.list_identities() first), with an optional error_code.
class identities : public detail::walked_list<detail::identity_walk> {
public:
    using walked_list::walked_list;
};

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_AGENT_IDENTITIES
