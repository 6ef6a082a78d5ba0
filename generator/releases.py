"""Several releases' Apis -> one Api whose every symbol knows which releases have it.

Knows nothing of C++. Releases are compared on meaning, not spelling: a function's form is
its parameters' canonical types (names and typedef spellings may change freely), a macro's
is its call structure and the canonical type of each argument it passes (whitespace,
parentheses and a cast of strlen() to the very type it is passed as may change freely; a
cast to another type, or a length retyped, is a new form), a constant's is its value, a
callback type's is its canonical signature, an opaque type's is its name. A symbol whose
form changes becomes one entry per form, each available in the releases that declare it
so; their availabilities are complementary.

A development snapshot (LIBSSH2_VERSION "1.11.2_DEV") may share the last release's
LIBSSH2_VERSION_NUM. What it adds is then guarded by the next number, so it stays hidden
against its own headers until libssh2 bumps the number; what it removes or hides under
LIBSSH2_NO_DEPRECATED is hidden from the release it shares the number with too, since no
guard can tell the two apart.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Callable, Dict, FrozenSet, List, Sequence, Tuple

from .model import Api, Availability, Callback, Function, GeneratorError, Macro, Release


def merge(apis: Sequence[Api]) -> Api:
    """Merge per-release Apis (any order) into one, oldest release first."""
    ordered = sorted(apis, key=lambda a: (a.version_num, a.snapshot, a.version))
    if not ordered:
        raise GeneratorError("no libssh2 headers to generate from")
    releases = _releases(ordered)
    ordered = _deprecations_wait_for_the_number(ordered, releases)
    timeline = _Timeline(releases, [frozenset(a.hidden_without_deprecated) for a in ordered])
    warnings = [w for a in ordered for w in a.warnings]

    def forms(attr: str, form: Callable) -> tuple:
        per_release = [getattr(api, attr) for api in ordered]
        # Where a symbol is not bound, its availability guards nothing: no warnings.
        return timeline.merged(per_release, form, warnings if attr in ("functions", "macros") else [])

    newest = ordered[-1]
    pages = _Pages(ordered, releases)
    return Api(version=newest.version, version_num=newest.version_num,
               functions=pages.describe(forms("functions", function_form)),
               macros=pages.describe(forms("macros", macro_form)),
               not_calls=forms("not_calls", lambda u: (u.name, u.kind)),
               not_api=forms("not_api", lambda u: (u.name, u.kind)),
               constants=forms("constants", lambda c: (c.name, c.value)),
               callbacks=forms("callbacks", callback_form),
               opaque_types=forms("opaque_types", lambda o: o.name),
               warnings=tuple(warnings), releases=tuple(releases))


class _Pages:
    """The man pages of the releases being merged: each symbol's description is its newest
    page's; the releases that declare it without a page are noted (not those that came
    without man pages at all: of those nothing is known)."""

    def __init__(self, ordered: Sequence[Api], releases: Sequence[Release]):
        self.by_version = {r.version: dict(a.pages) for a, r in zip(ordered, releases) if a.pages is not None}
        self.order = [r.version for r in releases]

    def describe(self, symbols: tuple) -> tuple:
        if not self.by_version:
            return symbols
        out = []
        for s in symbols:
            newest_first = [v for v in reversed(self.order) if v in self.by_version]
            mine = [v for v in newest_first if v in s.releases]
            page = next((self.by_version[v][s.name] for v in mine + newest_first if s.name in self.by_version[v]), "")
            missing = tuple(v for v in self.order if v in s.releases and v in self.by_version
                            and s.name not in self.by_version[v])
            out.append(dataclasses.replace(s, description=page, undocumented_in=missing))
        return tuple(out)


def _releases(ordered: Sequence[Api]) -> List[Release]:
    out: List[Release] = []
    for api in ordered:
        since_num = api.version_num
        same = [r for r in out if r.version_num == api.version_num]
        if any(r.version == api.version for r in same):
            raise GeneratorError(f"the same libssh2 release was given twice: {api.version} "
                                 f"(LIBSSH2_VERSION_NUM 0x{api.version_num:06x})")
        if same:
            if not api.snapshot:
                raise GeneratorError(
                    f"libssh2 {same[0].version} and {api.version} share LIBSSH2_VERSION_NUM "
                    f"0x{api.version_num:06x} and neither is a development snapshot: are both "
                    "headers stamped by a release (a git tag can carry stale version macros)?")
            if len(same) > 1 or same[0].since_num != same[0].version_num:
                raise GeneratorError(f"more than one development snapshot shares LIBSSH2_VERSION_NUM "
                                     f"0x{api.version_num:06x}: give one")
            since_num = api.version_num + 1   # "after the last release"
        out.append(Release(api.version, api.version_num, len(api.functions),
                           len(api.macros) + len(api.not_calls), len(api.not_api), since_num))
    return out


def _deprecations_wait_for_the_number(ordered: Sequence[Api], releases: Sequence[Release]) -> List[Api]:
    """A snapshot that shares its release's number cannot be told apart by a guard, so a
    deprecation it adds is taken over only once libssh2 bumps the number (a form that
    differs only in being deprecated would otherwise hide the symbol from both)."""
    out = list(ordered)
    for index in range(1, len(out)):
        if releases[index].since_num == releases[index].version_num:
            continue
        # Once a later release bumps the number, what the snapshot deprecates is guarded by
        # that release's own form: nothing waits any more, and nothing is worth a warning.
        bumped = any(r.version_num > releases[index].version_num for r in releases[index + 1:])
        sibling = out[index - 1]
        before = {s.name: s for s in sibling.functions + sibling.macros}
        notes = []

        def waited(symbol):
            old = before.get(symbol.name)
            if old is None or bool(old.deprecated) == bool(symbol.deprecated):
                return symbol
            if not bumped:
                notes.append(f"{symbol.name}: libssh2 {out[index].version} "
                             f"{'deprecates' if symbol.deprecated else 'undeprecates'} it; "
                             f"taken over once libssh2 bumps LIBSSH2_VERSION_NUM past 0x{sibling.version_num:06x}")
            return dataclasses.replace(symbol, deprecated=old.deprecated)
        api = out[index]
        out[index] = dataclasses.replace(
            api, functions=tuple(waited(f) for f in api.functions),
            macros=tuple(waited(m) for m in api.macros), warnings=api.warnings + tuple(notes))
    return out


def function_form(f: Function) -> tuple:
    """What must be equal for two releases' declarations of a function to be one."""
    return (f.name, _normal(f.result), tuple((p.canonical or p.type, p.array) for p in f.params),
            bool(f.deprecated))


def macro_form(m: Macro) -> tuple:
    """A macro's form: what it calls, with which argument types, and how."""
    names = [p.name for p in m.params]
    passed = m.arg_canonical or m.arg_types
    spelled = m.arg_types or passed
    return (m.name, m.target, _normal(m.result), tuple(p.canonical or p.type for p in m.params),
            tuple(_normal(t) for t in passed),
            tuple(call_structure(a, names, (spelled[i], passed[i]) if i < len(passed) else ())
                  for i, a in enumerate(m.call_args)),
            bool(m.deprecated))


def callback_form(c: Callback) -> tuple:
    return (c.name, _normal(c.result), tuple(p.canonical or p.type for p in c.params))


def call_structure(arg: str, params: Sequence[str] = (), passed_as: Sequence[str] = ()) -> str:
    """A macro argument without what does not change its meaning: whitespace, parentheses
    around a name, a cast in front of strlen() to the type the argument is passed as anyway
    (passed_as: its spellings, e.g. ("unsigned int",); "(unsigned int)strlen(path)" passed
    as an unsigned int), and the names of the macro's parameters (each becomes its position:
    "strlen(@1)"). A cast to another type stays: it changes what is passed."""
    positions = {name: f"@{i}" for i, name in enumerate(params)}
    text = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: positions.get(m.group(0), m.group(0)), arg)
    same = {t.replace(" ", "") for t in passed_as}

    def redundant_cast(match):
        return "" if match.group(1).replace(" ", "") in same else match.group(0)
    text = re.sub(r"\(\s*((?:unsigned|signed|int|long|size_t|\s)+?)\s*\)\s*(?=strlen\s*\()", redundant_cast, text)
    text = re.sub(r"\s+", "", text)
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"\(([@\w]+)\)", r"\1", text)
    return text


def _normal(ctype: str) -> str:
    return re.sub(r"\s+", " ", ctype).strip()


class _Timeline:
    """Turns "declared in releases i..j" into guards on LIBSSH2_VERSION_NUM."""

    def __init__(self, releases: Sequence[Release], hidden: Sequence[FrozenSet[str]]):
        self.releases = releases
        self.hidden = hidden

    def merged(self, per_release: Sequence[Sequence], form: Callable, warnings: List[str]) -> tuple:
        found: Dict[tuple, List[Tuple[int, object]]] = {}
        for index, items in enumerate(per_release):
            for item in items:
                found.setdefault(form(item), []).append((index, item))
        out = []
        for occurrences in found.values():
            indices = [i for i, _ in occurrences]
            latest = occurrences[-1][1]
            fields = {"availability": self.availability(latest.name, indices, warnings)}
            if "releases" in {f.name for f in dataclasses.fields(latest)}:
                fields["releases"] = tuple(self.releases[i].version for i in indices)
            out.append(dataclasses.replace(latest, **fields))
        return tuple(out)   # first seen first: the oldest release's header order, then additions

    def availability(self, name: str, indices: Sequence[int], warnings: List[str]) -> Availability:
        releases, last_index = self.releases, len(self.releases) - 1
        first, last = min(indices), max(indices)
        if sorted(set(indices)) != list(range(first, last + 1)):
            warnings.append(f"{name}: present in libssh2 {', '.join(releases[i].version for i in indices)} "
                            "but not in those between; bound for the last run of releases only")
            first = max(i for i in indices if i - 1 not in indices)
        hidden_in = [i for i in range(first, last + 1) if name in self.hidden[i]]
        if hidden_in and hidden_in != list(range(hidden_in[0], last + 1)):
            warnings.append(f"{name}: hidden by LIBSSH2_NO_DEPRECATED in some releases only; "
                            "guarded as hidden from the first of them on")
        after = releases[last + 1] if last < last_index else None
        if after is not None and after.since_num != after.version_num:
            warnings.append(f"{name}: libssh2 {after.version} drops it but shares "
                            f"LIBSSH2_VERSION_NUM 0x{after.version_num:06x} with {releases[last].version}: "
                            "hidden from both until libssh2 bumps the number")
        return Availability(
            since=releases[first].since_num if first > 0 else 0,
            before=after.version_num if after is not None else 0,
            no_deprecated_since=releases[hidden_in[0]].version_num if hidden_in else 0)
