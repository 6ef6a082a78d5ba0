#!/usr/bin/env bash
# scp_put (scp::send64): byte-identical uploads (1 MiB + 1 byte, empty), mode and
# modification time kept, the server's scp status checked.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
mkdir -p "$work/remote" "$work/local"
head -c 1048577 /dev/urandom >"$work/local/big.bin"
chmod 640 "$work/local/big.bin"
touch -d '2001-02-03 04:05:06' "$work/local/big.bin"
: >"$work/local/empty"
check_common 1 yes "$work/local/big.bin" "$work/remote/refused"
[ ! -e "$work/remote/refused" ] || fail "a refused connection wrote files"

expect 0 "uploads 1 MiB + 1 byte" "$prog" "${auth[@]}" "$dest" "$work/local/big.bin" "$work/remote/big.bin"
same_file "$work/local/big.bin" "$work/remote/big.bin"
[ "$(stat -c %a "$work/remote/big.bin")" = 640 ] || fail "mode not kept: $(stat -c %a "$work/remote/big.bin")"
[ "$(stat -c %Y "$work/remote/big.bin")" = "$(stat -c %Y "$work/local/big.bin")" ] || fail "modification time not kept"
[ ! -s "$work/out" ] || fail "prints on stdout although it is not a terminal"

expect 0 "uploads an empty file" "$prog" "${auth[@]}" "$dest" "$work/local/empty" "$work/remote/empty"
if [ ! -f "$work/remote/empty" ] || [ -s "$work/remote/empty" ]; then fail "empty file not uploaded"; fi

echo old >"$work/remote/replaced"
expect 0 "replaces an existing file" "$prog" "${auth[@]}" "$dest" "$work/local/big.bin" "$work/remote/replaced"
same_file "$work/local/big.bin" "$work/remote/replaced"

expect 1 "fails on a missing local file" "$prog" "${auth[@]}" "$dest" "$work/local/missing" "$work/remote/x"
stderr_has "scp_put: cannot open $work/local/missing: No such file or directory"
expect 1 "fails on a missing remote directory" "$prog" "${auth[@]}" "$dest" "$work/local/big.bin" "$work/remote/no/x"
stderr_has "scp_put: cannot send to $work/remote/no/x"
expect 2 "needs both paths" "$prog" "${auth[@]}" "$dest" "$work/local/big.bin"

check_progress "$work/local/big.bin" "$work/remote/tty.bin"
