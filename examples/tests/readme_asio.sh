#!/usr/bin/env bash
# readme_asio (README "Async: <libssh2/asio.hpp>"), against the sshd: uname -a's output, the
# downloaded file byte for byte, a refused host key, a missing remote file.
#   readme_asio.sh READMEASIO
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
head -c 1048577 /dev/urandom >"$work/remote.bin"
: >"$work/empty_known_hosts"
run=$(readlink -f "$1")
args=("$SSHD_HOST" "$SSHD_PORT" "$SSHD_USER")
expect 0 "readme_asio: runs uname -a and downloads" "$run" "${args[@]}" "$SSHD_KNOWN_HOSTS" "$SSHD_KEY" \
    "$work/remote.bin" "$work/copy.bin"
stdout_is "$(uname -a)"
same_file "$work/remote.bin" "$work/copy.bin"
expect 1 "readme_asio: refuses an unknown host key" "$run" "${args[@]}" "$work/empty_known_hosts" "$SSHD_KEY" \
    "$work/remote.bin" "$work/refused.bin"
stderr_has "the host is not in known_hosts"
[ ! -e "$work/refused.bin" ] || fail "readme_asio wrote a file for an unknown host"
expect 1 "readme_asio: fails on a missing remote file" "$run" "${args[@]}" "$SSHD_KNOWN_HOSTS" "$SSHD_KEY" \
    "$work/missing" "$work/missing.bin"
stderr_has "no such file"
