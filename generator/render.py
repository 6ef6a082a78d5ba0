"""model.Binding -> C++ text through the Jinja2 templates in templates/; writes include/."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Dict, List

from .model import Binding, GeneratorError, Method
from .spelling import FILTERS, TESTS

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


SNIPPET_BEGIN = "// libssh2.hpp begins\n"
SNIPPET_END = "\n// libssh2.hpp ends\n"


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


def render(binding: Binding, command: str) -> Dict[str, str]:
    """Every output file's text, keyed by its path relative to the output directory."""
    env = environment()
    context = dict(binding=binding, command=command, c_functions=c_functions(binding),
                   symbols={s.name: s for s in binding.symbols},
                   kinds={k.name: k for k in binding.callback_kinds})
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
    """Write each file atomically, so an interrupted run never leaves half a header."""
    for path, text in outputs.items():
        target = os.path.join(out_dir, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
