// SPDX-License-Identifier: BSD-3-Clause
// Included, once and last, by a test file that exercises API libssh2 deprecates in some
// supported release or in its development head (which marks more of it: libssh2_poll,
// libssh2_scp_send, libssh2_knownhost_add, libssh2_sftp_seek, ...). Calling that API is the
// point of such a file, so deprecation warnings are off for the rest of it, and a release
// that deprecates something more does not break the tests' -Werror build.
#pragma once

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
