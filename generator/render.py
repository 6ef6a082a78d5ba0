"""model.Binding -> C++ text through the Jinja2 templates in templates/; writes include/."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Dict, List, Sequence

from .error_texts import enumerator_sentence, error_values
from .model import Binding, GeneratorError, Method
from .spelling import FILTERS, TESTS, guard

try:
    import jinja2
except ImportError as exc:  # pragma: no cover - depends on the machine
    raise GeneratorError(
        f"Jinja2 is missing (import jinja2 failed: {exc}); on Debian/Ubuntu: "
        "apt-get install python3-jinja2, and run the generator with /usr/bin/python3") from exc

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES = os.path.join(REPO, "templates")
CLANG_FORMAT_STYLE = os.path.join(REPO, ".clang-format")
FORMATTED = (".hpp", ".cpp")   # outputs clang-format lays out

# template -> file it renders, relative to the output (repository) directory
OUTPUTS = {
    "libssh2.hpp.j2": "include/libssh2.hpp",
    "api-manifest.txt.j2": "include/libssh2/api-manifest.txt",
    "errors.hpp.j2": "include/libssh2/errors.hpp",
    "callbacks.hpp.j2": "include/libssh2/callbacks.hpp",
    "api_checks.cpp.j2": "tests/generated/api_checks.cpp",
    "reference/index.md.j2": "docs/reference/README.md",
}

# template -> file it renders once per class and namespace ({name}: the scope's name)
PER_SCOPE_OUTPUTS = {
    "reference/page.md.j2": "docs/reference/{name}.md",
}


SNIPPET_BEGIN = "// copied into the generated header from here\n"
SNIPPET_END = "\n// copied up to here\n"


def cpp_snippet(name: str) -> str:
    """The part of the hand-written C++ file templates/cpp/NAME that goes into the generated
    header: the lines between its two marker lines."""
    path = os.path.join(TEMPLATES, "cpp", name)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if SNIPPET_BEGIN not in text or SNIPPET_END not in text:
        raise GeneratorError(f"{path}: the marker lines '{SNIPPET_BEGIN.strip()}' and "
                             f"'{SNIPPET_END.strip()}' are missing")
    return text[text.index(SNIPPET_BEGIN) + len(SNIPPET_BEGIN):text.index(SNIPPET_END)]


def environment() -> "jinja2.Environment":
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False)
    env.globals["cpp_snippet"] = cpp_snippet
    env.filters.update(FILTERS)
    env.filters["error_sentence"] = enumerator_sentence
    env.tests.update(TESTS)
    env.tests["contains"] = lambda sequence, item: item in sequence
    return env


def c_functions(binding: Binding) -> List[Method]:
    """One method per C function and form, whose receiver and parameters are the function's."""
    seen: Dict[tuple, Method] = {}
    for scope in binding.classes + binding.namespaces:
        for m in scope.instance_methods + scope.static_methods:
            if not m.is_macro:
                seen.setdefault((m.c_name, m.availability), m)
    for m in binding.free_functions:
        if not m.is_macro:
            seen.setdefault((m.c_name, m.availability), m)
    return sorted(seen.values(), key=lambda m: (m.c_name, m.availability.since))


def method_guards(binding: Binding) -> Dict[str, str]:
    """C symbol -> the condition under which libssh2.hpp declares some method forwarding to
    it (each method's guard and its class's; "" where one always is), for api_checks.cpp's
    proof of the has_* flags."""
    found: Dict[str, List[str]] = {}
    scoped = [(scope.handle, m) for scope in binding.classes + binding.namespaces
              for m in scope.instance_methods + scope.static_methods]
    for handle, m in scoped + [(None, m) for m in binding.free_functions]:
        conditions = list(dict.fromkeys(c for c in (guard(handle.availability) if handle else "",
                                                     guard(m.availability)) if c))
        condition = " && ".join(f"({c})" for c in conditions) if len(conditions) > 1 else "".join(conditions)
        guards = found.setdefault(m.c_name, [])
        if condition not in guards:
            guards.append(condition)
    return {name: "" if "" in guards else guards[0] if len(guards) == 1 else " || ".join(f"({c})" for c in guards)
            for name, guards in found.items()}


def render(binding: Binding, command: str) -> Dict[str, str]:
    """Every output file's text, keyed by its path relative to the output directory."""
    env = environment()
    functions = c_functions(binding)
    context = dict(binding=binding, command=command, c_functions=functions,
                   descriptions={m.c_name: m.description for m in functions if m.description},
                   symbols={s.name: s for s in binding.symbols},
                   kinds={k.name: k for k in binding.callback_kinds},
                   method_guards=method_guards(binding),
                   error_values=error_values(binding.enumerators))
    outputs = {path: env.get_template(template).render(**context) for template, path in OUTPUTS.items()}
    for template, pattern in PER_SCOPE_OUTPUTS.items():
        for scope in binding.classes + binding.namespaces:
            outputs[pattern.format(name=scope.name)] = env.get_template(template).render(scope=scope, **context)
    return {path: clang_format(text, path) if path.endswith(FORMATTED) else text
            for path, text in outputs.items()}


def clang_format(text: str, path: str) -> str:
    """text laid out by clang-format with the repository's .clang-format (committed output
    is byte for byte what this returns, so the same clang-format release is required:
    Debian 12's clang-format 14)."""
    tool = shutil.which("clang-format-14") or shutil.which("clang-format")
    if tool is None:
        raise GeneratorError("clang-format is missing: apt-get install clang-format-14 "
                             "(the generated headers are laid out with it)")
    try:
        done = subprocess.run([tool, f"--style=file:{CLANG_FORMAT_STYLE}", f"--assume-filename={path}"],
                              input=text, capture_output=True, text=True, check=True)
    except subprocess.CalledProcessError as exc:
        raise GeneratorError(f"clang-format failed on {path}: {exc.stderr.strip()}") from exc
    return done.stdout


def write(outputs: Dict[str, str], out_dir: str) -> None:
    """Replace the output files as a set: every file is written beside its target first, and
    only then are they moved into place; if anything fails, what was there stays as it was
    (files already moved are put back) and the error names the path."""
    staged: List[tuple] = []   # (temporary file, target)
    try:
        for path, text in outputs.items():
            target = os.path.join(out_dir, path)
            _os_step(lambda: os.makedirs(os.path.dirname(target), exist_ok=True), os.path.dirname(target))
            fd, tmp = _os_step(lambda: tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-"), target)
            staged.append((tmp, target))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                _os_step(lambda: f.write(text), target)
        _replace_all(staged)
    finally:
        for tmp, _ in staged:
            if os.path.lexists(tmp):
                os.unlink(tmp)


def _replace_all(staged: Sequence[tuple]) -> None:
    """Move each staged file over its target; on a failure, put back the targets already
    replaced (kept as hard links until the whole set is in place)."""
    done: List[tuple] = []     # (target, backup or None)
    try:
        for tmp, target in staged:
            backup = None
            if os.path.isfile(target):
                backup = target + ".libssh2-hpp-previous"
                if os.path.lexists(backup):   # left by a run that was killed
                    _os_step(lambda: os.unlink(backup), backup)
                _os_step(lambda: os.link(target, backup), backup)
            done.append((target, backup))
            _os_step(lambda: os.replace(tmp, target), target)
    except GeneratorError:
        for target, backup in reversed(done):
            if backup and os.path.exists(backup):
                os.replace(backup, target)
            elif backup is None and os.path.isfile(target):
                os.unlink(target)
        raise
    for _, backup in done:
        if backup and os.path.exists(backup):
            os.unlink(backup)


def _os_step(step, path: str):
    """Runs one file system step; an OSError becomes one line naming the path and the fix."""
    try:
        return step()
    except OSError as exc:
        raise GeneratorError(f"cannot write {path}: {exc.strerror or exc}; nothing was replaced "
                             "(make the directory writable and remove what is in the way, "
                             "or choose another --out-dir)") from exc
