// SPDX-License-Identifier: BSD-3-Clause
// libssh2::entries: the entries of a knownhost collection, as a range,
//
//     hosts.readfile("known_hosts", LIBSSH2_KNOWNHOST_FILE_OPENSSH);
//     for (const libssh2::known_host &host : libssh2::entries(hosts)) ...
//
// in libssh2's order (libssh2_knownhost_get). To delete entries, collect their raw pointers
// first and call hosts.del() after the loop: del() frees the entry an iterator stands on.
// Errors: see walked_list.hpp.
#ifndef LIBSSH2_HPP_IO_KNOWNHOST_ENTRIES
#define LIBSSH2_HPP_IO_KNOWNHOST_ENTRIES

#include "walked_list.hpp"

#include <optional>
#include <string>

namespace libssh2 {

struct known_host {
    // Empty for a hashed entry ("|1|salt|hash"): libssh2 keeps no plain-text name for it.
    std::optional<std::string> name;
    std::string key;  // base64, as in the file
    // LIBSSH2_KNOWNHOST_TYPE_* | LIBSSH2_KNOWNHOST_KEYENC_* | LIBSSH2_KNOWNHOST_KEY_*
    int type_mask = 0;
    // For hosts.del() and hosts.writeline(): valid until it is deleted or the collection freed.
    libssh2_knownhost *raw = nullptr;
};

namespace detail {

struct known_host_walk {
    using owner = knownhost;
    using raw = libssh2_knownhost;
    using value_type = known_host;
    static constexpr const char *what = "libssh2::entries";
    static int get(knownhost &hosts, raw **store, raw *prev) noexcept { return hosts.get(store, prev); }
    static known_host make(raw *entry) {
        known_host host;
        if (entry->name) host.name = entry->name;
        host.key = entry->key ? entry->key : "";
        host.type_mask = entry->typemask;
        host.raw = entry;
        return host;
    }
};

}  // namespace detail

// Constructed from the knownhost collection, with an optional error_code.
class entries : public detail::walked_list<detail::known_host_walk> {
public:
    using walked_list::walked_list;
};

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_KNOWNHOST_ENTRIES
