"""model.Binding -> C++ text through the Jinja2 templates in templates/; writes include/."""
from __future__ import annotations

import os
import tempfile
from typing import Dict, List

from .model import Binding, GeneratorError, Method

try:
    import jinja2
except ImportError as exc:  # pragma: no cover - depends on the machine
    raise GeneratorError(
        f"Jinja2 is missing (import jinja2 failed: {exc}); on Debian/Ubuntu: "
        "apt-get install python3-jinja2, and run the generator with /usr/bin/python3") from exc

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")

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


def cxx_string(text: str) -> str:
    """A C++ string literal's contents: backslashes and quotes escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def environment() -> "jinja2.Environment":
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters["cxx_string"] = cxx_string
    env.filters["md_cell"] = lambda text: text.replace("|", "\\|")  # inside a Markdown table
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
    return outputs


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
