#!/usr/bin/env bash
# scp_get (scp::recv2): byte-identical downloads (1 MiB + 1 byte, empty), mode kept, temp
# file renamed only on success.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
check_common 1 yes "$work/x" "$work/y"
if [ -e "$work/y" ] || [ -e "$work/y.part" ]; then fail "a refused connection wrote files"; fi

mkdir -p "$work/remote" "$work/local"
head -c 1048577 /dev/urandom >"$work/remote/big.bin"
chmod 640 "$work/remote/big.bin"
: >"$work/remote/empty"

expect 0 "downloads 1 MiB + 1 byte" "$prog" "${auth[@]}" "$dest" "$work/remote/big.bin" "$work/local/big.bin"
same_file "$work/remote/big.bin" "$work/local/big.bin"
[ "$(stat -c %a "$work/local/big.bin")" = 640 ] || fail "mode not kept: $(stat -c %a "$work/local/big.bin")"
[ ! -s "$work/out" ] || fail "prints on stdout although it is not a terminal"
[ ! -e "$work/local/big.bin.part" ] || fail "big.bin.part left behind"

expect 0 "downloads an empty file" "$prog" "${auth[@]}" "$dest" "$work/remote/empty" "$work/local/empty"
if [ ! -f "$work/local/empty" ] || [ -s "$work/local/empty" ]; then fail "empty file not downloaded"; fi
expect 0 "downloads into a directory" "$prog" "${auth[@]}" "$dest" "$work/remote/big.bin" "$work/local"
same_file "$work/remote/big.bin" "$work/local/big.bin"

echo keep >"$work/local/kept"
expect 1 "fails on a missing remote file" "$prog" "${auth[@]}" "$dest" "$work/remote/missing" "$work/local/kept"
stderr_has "scp_get: cannot receive $work/remote/missing"
[ "$(cat "$work/local/kept")" = keep ] || fail "a failed download touched the destination"
[ ! -e "$work/local/kept.part" ] || fail "kept.part left behind"

if command -v script >/dev/null; then
    expect 0 "shows progress on a terminal" script -qec \
        "$(printf '%q ' "$prog" "${auth[@]}" "$dest" "$work/remote/big.bin" "$work/local/tty.bin")" /dev/null
    grep -q 'big.bin .*100%' "$work/out" || { cat "$work/out"; fail "no progress bar"; }
    same_file "$work/remote/big.bin" "$work/local/tty.bin"
fi
