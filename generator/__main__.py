"""Command line: libssh2's include directory in, include/libssh2.hpp out.

    /usr/bin/python3 -m generator [--include-dir DIR] [--out-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

from .model import GeneratorError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND = "scripts/regenerate"


def default_include_dir() -> str:
    """The directory pkg-config reports for libssh2, or /usr/include."""
    try:
        out = subprocess.run(["pkg-config", "--variable=includedir", "libssh2"],
                             capture_output=True, text=True, check=True).stdout.strip()
        return out or "/usr/include"
    except (OSError, subprocess.CalledProcessError):
        return "/usr/include"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m generator", description=__doc__.splitlines()[0])
    parser.add_argument("--include-dir", default=None,
                        help="directory holding libssh2.h, libssh2_sftp.h, libssh2_publickey.h "
                             "(default: pkg-config's includedir for libssh2)")
    parser.add_argument("--out-dir", default=os.path.join(REPO, "include"),
                        help="where to write libssh2.hpp (default: include/ of this repository)")
    args = parser.parse_args(argv)
    try:
        # Imported here so a missing libclang or Jinja2 is reported as a GeneratorError.
        from .grouping import build_binding
        from .parse import parse_api
        from .render import render, write
        binding = build_binding(parse_api(args.include_dir or default_include_dir()))
        write(render(binding, COMMAND), args.out_dir)
    except GeneratorError as exc:
        print(f"generator: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
