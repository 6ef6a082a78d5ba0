#!/usr/bin/python3
"""The asyncssh client of bench/scale: COMMAND on N sessions at once, one asyncio loop.

    scale_asyncssh.py -n N -u USER -i KEY -k KNOWN_HOSTS -o OUTDIR HOST:PORT COMMAND

What pexec -o OUTDIR does, done with python3-asyncssh (Debian): every session connects,
checks the host key against KNOWN_HOSTS, logs in with KEY (no agent), runs COMMAND and writes
its stdout to OUTDIR/I. Exits 0 when every command exited 0, else 1 (failures on stderr).
"""
import argparse
import asyncio
import os
import sys

import asyncssh


async def one(index, args, host, port):
    async with asyncssh.connect(host, port, username=args.user, client_keys=[args.key],
                                known_hosts=args.known_hosts, agent_path=None) as conn:
        path = os.path.join(args.outdir, str(index))
        with open(path, 'wb') as out:
            result = await conn.run(args.command, stdout=out, stderr=asyncssh.DEVNULL, encoding=None)
        return result.exit_status


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('-n', type=int, required=True)
    parser.add_argument('-u', dest='user', required=True)
    parser.add_argument('-i', dest='key', required=True)
    parser.add_argument('-k', dest='known_hosts', required=True)
    parser.add_argument('-o', dest='outdir', required=True)
    parser.add_argument('target')
    parser.add_argument('command')
    args = parser.parse_args()
    host, port = args.target.rsplit(':', 1)
    os.makedirs(args.outdir, exist_ok=True)
    results = await asyncio.gather(*(one(i, args, host, int(port)) for i in range(args.n)),
                                   return_exceptions=True)
    failed = [r for r in results if r != 0]
    for r in failed[:5]:
        print(f'scale_asyncssh: {r!r}', file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))
