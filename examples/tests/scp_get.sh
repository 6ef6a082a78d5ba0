#!/usr/bin/env bash
# scp_get (scp::recv2): byte-identical downloads (1 MiB + 1 byte, empty), mode kept, temp
# file renamed only on success.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
check_downloads

echo keep >"$work/local/kept"
expect 1 "fails on a missing remote file" "$prog" "${auth[@]}" "$dest" "$work/remote/missing" "$work/local/kept"
stderr_has "scp_get: cannot receive $work/remote/missing"
[ "$(cat "$work/local/kept")" = keep ] || fail "a failed download touched the destination"
[ ! -e "$work/local/kept.part" ] || fail "kept.part left behind"

check_progress "$work/remote/big.bin" "$work/local/tty.bin"
