"""Command line: libssh2 include directories in, include/libssh2.hpp (and manifest) out.

    /usr/bin/python3 -m generator [--include-dir DIR]... [--out-dir DIR]

Each --include-dir holds one libssh2 release's headers; the header serves them all.
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
    parser.add_argument("--include-dir", action="append", default=[],
                        help="directory holding one release's libssh2.h, libssh2_sftp.h, "
                             "libssh2_publickey.h; repeat for each release (default: "
                             "pkg-config's includedir for libssh2)")
    parser.add_argument("--out-dir", default=REPO,
                        help="where include/libssh2.hpp and include/libssh2/api-manifest.txt "
                             "go (default: this repository)")
    args = parser.parse_args(argv)
    try:
        # Imported here so a missing libclang or Jinja2 is reported as a GeneratorError.
        from .grouping import build_binding
        from .manpages import with_pages
        from .parse import parse_release
        from .releases import merge
        from .render import render, write
        apis = [with_pages(parse_release(d), d) for d in args.include_dir or [default_include_dir()]]
        binding = build_binding(merge(apis))
        for warning in binding.warnings:
            print(f"generator: warning: {warning}", file=sys.stderr)
        write(render(binding, COMMAND), args.out_dir)
    except GeneratorError as exc:
        print(f"generator: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
