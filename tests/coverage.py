"""Which test exercises each C++ method of the binding: writes tests/COVERAGE.md.

    scripts/find-python -> PYTHON tests/coverage.py [--check]

Every method of <libssh2.hpp> and its opt-in headers (as listed by the API manifest's
bound_as column, plus the opt-in layers' own entry points) is looked up in the behaviour
tests (tests/test_*.cpp), which libclang parses: a call resolves to the exact class and
method, so channel.read and sftp_handle.read are told apart. --check fails (exit 1) when
COVERAGE.md is stale, when a method of the Lua seed's list (tests/seed-methods.txt) has
neither a test nor a reason in NOT_TESTABLE, or when a session callback kind of
<libssh2/callbacks.hpp> has neither a test nor a reason in NOT_FIREABLE.
"""
from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from collections import defaultdict
from typing import Dict, List, Set, Tuple

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import clang.cindex as ci  # noqa: E402

# Methods no test can exercise against OpenSSH on this machine, and why.
NOT_TESTABLE = {
}

# Session callback kinds no test can fire against OpenSSH here, and why.
NOT_FIREABLE = {
    "callback::ignore": "OpenSSH's sshd sends a client no SSH_MSG_IGNORE",
    "callback::authagent_identities": "libssh2 1.11.1 stores this callback but never calls it",
    "callback::authagent_sign": "libssh2 1.11.1 stores this callback but never calls it",
}


TEST_CASE = re.compile(r'^\s*TEST_CASE\(\s*"((?:[^"\\]|\\.)*)"')


def manifest_methods() -> Set[str]:
    """Every 'scope::method' the manifest says forwards to a C symbol."""
    methods = set()
    with open(os.path.join(REPO, "include", "libssh2", "api-manifest.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            where = line.rstrip("\n").split("\t")[3]
            if not where.startswith("not bound"):
                methods.update(where.split())
    return methods


def snapshot_only_methods() -> Set[str]:
    """Methods only a development snapshot declares ("1.11.2_DEV"): hidden behind a version
    guard until libssh2 releases them, so no build here can call them."""
    methods = set()
    with open(os.path.join(REPO, "include", "libssh2", "api-manifest.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            _, _, releases, where = line.rstrip("\n").split("\t")
            if all(not re.fullmatch(r"[\d.]+", r) for r in releases.split(",")) \
                    and not where.startswith("not bound"):
                methods.update(where.split())
    return methods


def seed_methods() -> List[str]:
    with open(os.path.join(REPO, "tests", "seed-methods.txt"), encoding="utf-8") as f:
        return [f"{c}::{m}" for c, m, *_ in (l.split() for l in f if l.strip() and not l.startswith("#"))]


def callback_kinds() -> List[str]:
    """Every 'callback::kind' that <libssh2/callbacks.hpp> gives session.callback_set."""
    with open(os.path.join(REPO, "include", "libssh2", "callbacks.hpp"), encoding="utf-8") as f:
        return sorted(f"callback::{kind}" for kind in re.findall(r"^inline constexpr \w+_t (\w+)\{\};", f.read(), re.M))


def test_cases(path: str) -> List[Tuple[int, str]]:
    """(first line, name) of each TEST_CASE in a file."""
    cases = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = TEST_CASE.match(line)
            if m:
                cases.append((number, m.group(1).replace('\\"', '"')))
    return cases


def libssh2_name(target) -> str:
    """'scope::name' for a declaration of namespace libssh2, else ''."""
    outer, names = target.semantic_parent, []
    while outer is not None and outer.kind != ci.CursorKind.TRANSLATION_UNIT:
        names.append(outer.spelling)
        outer = outer.semantic_parent
    return f"{names[0]}::{target.spelling}" if "libssh2" in names else ""


FUNCTION_KINDS = (ci.CursorKind.FUNCTION_DECL, ci.CursorKind.FUNCTION_TEMPLATE, ci.CursorKind.CXX_METHOD)
SCOPE_KINDS = (ci.CursorKind.NAMESPACE, ci.CursorKind.STRUCT_DECL, ci.CursorKind.CLASS_DECL)


def definitions_in(cursor, main_file: str):
    """The function definitions of main_file, at file scope or in its namespaces and classes."""
    for child in cursor.get_children():
        location = child.location
        if location.file is None or os.path.realpath(location.file.name) != main_file:
            continue
        if child.kind in FUNCTION_KINDS and child.is_definition():
            yield child
        elif child.kind in SCOPE_KINDS:
            yield from definitions_in(child, main_file)


def definition_key(cursor) -> Tuple[int, int]:
    """Where a function is defined in the file: the same for a template and its uses."""
    definition = cursor.get_definition() or cursor
    return definition.location.line, definition.location.column


def exercised(path: str, include_args: List[str]) -> Dict[str, Set[str]]:
    """'scope::method' -> names of the TEST_CASEs in path that call it, directly or through
    the file's own helper functions."""
    tu = ci.Index.create().parse(path, args=["-x", "c++", "-std=c++17", *include_args])
    errors = [d for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
    if errors:
        raise SystemExit(f"coverage: cannot parse {path}: {errors[0]}")
    case_at_line = dict(test_cases(path))
    main_file = os.path.realpath(path)
    # Per function defined in the file: the libssh2 names it uses and the file's functions it calls.
    uses: Dict[Tuple[int, int], Set[str]] = defaultdict(set)
    calls: Dict[Tuple[int, int], Set[Tuple[int, int]]] = defaultdict(set)
    cases: Dict[Tuple[int, int], str] = {}
    for definition in definitions_in(tu.cursor, main_file):
        key = definition_key(definition)
        if definition.location.line in case_at_line:  # TEST_CASE expands to a function there
            cases[key] = case_at_line[definition.location.line]
        for cursor in definition.walk_preorder():
            if cursor.kind not in (ci.CursorKind.CALL_EXPR, ci.CursorKind.DECL_REF_EXPR,
                                   ci.CursorKind.MEMBER_REF_EXPR):
                continue
            target = cursor.referenced
            if target is None or target.kind not in (*FUNCTION_KINDS, ci.CursorKind.VAR_DECL):
                continue
            name = libssh2_name(target)
            if name:
                uses[key].add(name)
            elif target.location.file is not None and os.path.realpath(target.location.file.name) == main_file:
                calls[key].add(definition_key(target))
    found: Dict[str, Set[str]] = defaultdict(set)
    for key, case in cases.items():
        seen, pending = set(), [key]
        while pending:
            function = pending.pop()
            if function in seen:
                continue
            seen.add(function)
            pending.extend(calls[function])
            for name in uses[function]:
                found[name].add(f"{os.path.basename(path)}: {case}")
    return found


def build_table(include_args: List[str]) -> Tuple[str, List[str]]:
    bound = manifest_methods()
    tests: Dict[str, Set[str]] = defaultdict(set)
    # Parsed with the headers of 1.11.1, the newest release scripts/test builds every test
    # against: the cases of API only 1.11 has (behind #if) count, as they run there.
    newest = subprocess.run([os.path.join(REPO, "scripts", "fetch-libssh2"), "headers", "1.11.1"],
                            capture_output=True, text=True, check=True).stdout.strip()
    args = [f"-I{newest}"] + include_args
    for path in sorted(glob.glob(os.path.join(REPO, "tests", "test_*.cpp"))):
        for method, cases in exercised(path, args).items():
            tests[method] |= cases
    seed = seed_methods()
    kinds = callback_kinds()
    not_testable = dict(NOT_TESTABLE)
    for method in snapshot_only_methods() - set(tests):
        not_testable[method] = ("only libssh2's development head declares it: guarded until libssh2 "
                                "releases it, so no libssh2 built here has it")
    missing = [m for m in sorted(bound | set(seed)) if not tests.get(m) and m not in not_testable]
    missing += [k for k in kinds if not tests.get(k) and k not in NOT_FIREABLE]
    rows = sorted(bound | set(seed))
    covered = sum(1 for m in rows if tests.get(m))
    seed_covered = sum(1 for m in seed if tests.get(m))
    kinds_fired = sum(1 for k in kinds if tests.get(k))
    lines = [
        "# Test coverage of the binding's methods",
        "",
        "<!-- Generated by tests/coverage.py from tests/test_*.cpp (libclang resolves each call to",
        "     its class and method); do not edit. Checked by the test suite. -->",
        "",
        f"{covered} of {len(rows)} methods are called by a behaviour test against the real sshd, "
        f"{seed_covered} of the Lua seed's {len(seed)}; the other {len(rows) - covered} cannot be "
        "exercised here (reason given). "
        f"{kinds_fired} of the {len(kinds)} session callback kinds have a test that fires them; the "
        f"other {len(kinds) - kinds_fired} cannot fire here (reason given).",
        "",
        "| method | seed | exercised by |",
        "|---|---|---|",
    ]
    seed_set = set(seed)
    for method in rows:
        where = "; ".join(sorted(tests.get(method, ()))) or (
            f"not testable here: {not_testable[method]}" if method in not_testable else "—")
        lines.append(f"| `{method}` | {'yes' if method in seed_set else ''} | {where} |")
    lines += [
        "",
        "## Session callback kinds",
        "",
        "`session.callback_set(libssh2::callback::KIND, callable)` (`<libssh2/callbacks.hpp>`), with",
        "the tests that install a callable of each kind.",
        "",
        "| kind | installed by |",
        "|---|---|",
    ]
    for kind in kinds:
        where = "; ".join(sorted(tests.get(kind, ()))) or (
            f"cannot fire here: {NOT_FIREABLE[kind]}" if kind in NOT_FIREABLE else "—")
        lines.append(f"| `{kind}` | {where} |")
    return "\n".join(lines) + "\n", missing


def include_args() -> List[str]:
    args = [f"-I{os.path.join(REPO, 'include')}", f"-I{os.path.join(REPO, 'tests')}"]
    try:
        flags = subprocess.run(["pkg-config", "--cflags", "libssh2", "catch2-with-main"],
                               capture_output=True, text=True, check=True).stdout.split()
        args += flags
    except (OSError, subprocess.CalledProcessError):
        pass
    return args


def main(argv: List[str]) -> int:
    text, missing = build_table(include_args())
    target = os.path.join(REPO, "tests", "COVERAGE.md")
    if "--check" in argv:
        with open(target, encoding="utf-8") as f:
            stale = f.read() != text
        if stale:
            print("coverage: tests/COVERAGE.md is stale; regenerate it with: "
                  "$(scripts/find-python) tests/coverage.py")
        for name in missing:
            print(f"coverage: {name} has no test and no reason in NOT_TESTABLE / NOT_FIREABLE")
        return 1 if stale or missing else 0
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)
    for name in missing:
        print(f"coverage: {name} has no test and no reason in NOT_TESTABLE / NOT_FIREABLE")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
