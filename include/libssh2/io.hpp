// SPDX-License-Identifier: BSD-3-Clause
// <libssh2/io.hpp>: conveniences over <libssh2.hpp> for blocking sessions, each in its own
// header under libssh2/io/ (include one alone if that is all you need).
#ifndef LIBSSH2_HPP_IO
#define LIBSSH2_HPP_IO

#include <libssh2/io/agent_identities.hpp>
#include <libssh2/io/agent_login.hpp>
#include <libssh2/io/channel_streambuf.hpp>
#include <libssh2/io/file_attributes.hpp>
#include <libssh2/io/knownhost_entries.hpp>
#include <libssh2/io/sftp_directory.hpp>
#include <libssh2/io/sftp_stat.hpp>
#include <libssh2/io/sftp_streambuf.hpp>

#endif  // LIBSSH2_HPP_IO
