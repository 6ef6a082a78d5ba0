"""Shared helpers: parse tiny in-memory headers (libclang's unsaved files), no files on disk.

Run: /usr/bin/python3 -m pytest tests/generator (from the repository root).
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from generator.parse import parse_api  # noqa: E402

PRELUDE = """
#define LIBSSH2_VERSION "9.9.9"
#define LIBSSH2_VERSION_NUM 0x090909
#ifndef LIBSSH2_API
# define LIBSSH2_API
#endif
#include <stddef.h>
typedef struct _LIBSSH2_SESSION LIBSSH2_SESSION;
typedef struct _LIBSSH2_CHANNEL LIBSSH2_CHANNEL;
"""


@pytest.fixture
def parse(tmp_path):
    """parse(libssh2_h_body, sftp="", publickey="") -> Api, from in-memory headers."""
    def run(body, sftp="", publickey=""):
        return parse_api(str(tmp_path), unsaved={
            "libssh2.h": PRELUDE + body,
            "libssh2_sftp.h": sftp,
            "libssh2_publickey.h": publickey,
        })
    return run
