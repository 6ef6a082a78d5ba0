"""libssh2's man pages: each function's one-line description, from the NAME section.

A header set's pages sit beside its include directory: DIR/../man (how scripts/fetch-libssh2
and the test fixtures lay a release out) or DIR/../share/man/man3 (an installed prefix). Two
formats: troff (`.SH NAME`, what releases ship, gzipped or not) and libssh2's Markdown source
(`# NAME`, its development head). A NAME line may name several functions ("a, b - text").
"""
from __future__ import annotations

import gzip
import os
import re
import dataclasses
from typing import Dict, Optional

from .model import Api

_TROFF = [(re.compile(r"\\f[BIRP]|\\f\(..|\\&"), ""), (re.compile(r"\\-"), "-"), (re.compile(r"\\\(aq"), "'"),
          (re.compile(r"\\e"), "\\\\")]


def pages_dir(include_dir: str) -> Optional[str]:
    """Where a header set's man pages are, or None."""
    parent = os.path.dirname(os.path.normpath(include_dir))
    for candidate in (os.path.join(parent, "man"), os.path.join(parent, "share", "man", "man3")):
        if os.path.isdir(candidate):
            return candidate
    return None


def descriptions(include_dir: str) -> Optional[Dict[str, str]]:
    """Function or macro name -> its man page's one-line description, for the header set
    in include_dir; None when it has no man pages at all."""
    directory = pages_dir(include_dir)
    if directory is None:
        return None
    out: Dict[str, str] = {}
    for entry in sorted(os.listdir(directory)):
        if not entry.startswith("libssh2_"):
            continue
        path = os.path.join(directory, entry)
        opener = gzip.open if entry.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            line = name_line(f.read())
        if line:
            names, description = line
            # A page is about its own name too: a copy of another page (Debian links
            # duplicates together) names only the original in NAME.
            own = entry.split(".")[0]
            for name in names + (own,):
                out.setdefault(name, description)
    return out


def name_line(page: str):
    """(names, description) from a page's NAME section, or None (a `.so` link, no NAME)."""
    lines = page.splitlines()
    for index, line in enumerate(lines):
        if line.strip() in (".SH NAME", '.SH "NAME"', "# NAME"):
            body = []
            for text in lines[index + 1:]:
                if text.startswith(".SH") or text.startswith("# "):
                    break
                if text.strip() and not text.startswith(".\\\""):
                    body.append(text.strip())
            return _split(" ".join(body), markdown=line.startswith("#"))
    return None


def _split(text: str, markdown: bool):
    if markdown:
        text = text.replace("*", "").replace("`", "")
    else:
        for pattern, replacement in _TROFF:
            text = pattern.sub(replacement, text)
    names, dash, description = text.partition(" - ")
    if not dash:
        return None
    description = " ".join(description.split()).rstrip("\\").strip()
    # A placeholder page: "TODO" (libssh2_publickey_remove_ex), or the page template's own
    # "short function description" (libssh2_keepalive_send, libssh2_channel_request_pty_ex).
    if description.upper() == "TODO" or description.lower() == "short function description":
        description = ""
    return tuple(n.strip() for n in names.split(",") if n.strip()), description


def with_pages(api: Api, include_dir: str) -> Api:
    """One release's Api with its man pages' descriptions, or a warning that it has none."""
    found = descriptions(include_dir)
    if found is None:
        return dataclasses.replace(api, warnings=api.warnings + (
            f"libssh2 {api.version}: no man pages beside {include_dir} (looked in ../man and "
            "../share/man/man3): its methods' comments carry no descriptions",))
    return dataclasses.replace(api, pages=tuple(sorted(found.items())))
