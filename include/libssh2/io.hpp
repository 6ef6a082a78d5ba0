// SPDX-License-Identifier: BSD-3-Clause
// libssh2/io.hpp: the helpers every libssh2 program writes by hand, written once. Hand-written
// (not generated), opt-in, on top of <libssh2/errors.hpp>: each file under libssh2/io/ does one
// job (include one alone if that is all you need), and this header includes them all.
//
// Every call that can fail has two forms, as std::filesystem's: one throws libssh2::error (a
// std::system_error whose what() says what failed and why), the other takes a
// std::error_code & last, sets it and never throws. Session failures carry libssh2's code
// (libssh2::session_category()), SFTP failures the server's status (sftp_category()), the
// operating system's its errno (std::system_category()), and a timeout libssh2::errc::timeout.
#ifndef LIBSSH2_HPP_IO
#define LIBSSH2_HPP_IO

#include "errors.hpp"

#include "io/library.hpp"
#include "io/socket.hpp"
#include "io/host_key.hpp"
#include "io/wait.hpp"
#include "io/transfer.hpp"
#include "io/finish_channel.hpp"
#include "io/command.hpp"

#include "io/agent_identities.hpp"
#include "io/agent_login.hpp"
#include "io/channel_streambuf.hpp"
#include "io/file_attributes.hpp"
#include "io/knownhost_entries.hpp"
#include "io/sftp_directory.hpp"
#include "io/sftp_stat.hpp"
#include "io/sftp_streambuf.hpp"

#endif  // LIBSSH2_HPP_IO
