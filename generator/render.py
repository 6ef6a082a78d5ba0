"""model.Binding -> C++ text through the Jinja2 templates in templates/; writes include/."""
from __future__ import annotations

import os
import tempfile
from typing import Dict

from .model import Binding, GeneratorError

try:
    import jinja2
except ImportError as exc:  # pragma: no cover - depends on the machine
    raise GeneratorError(
        f"Jinja2 is missing (import jinja2 failed: {exc}); on Debian/Ubuntu: "
        "apt-get install python3-jinja2, and run the generator with /usr/bin/python3") from exc

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")

# template -> file it renders, relative to the output directory
OUTPUTS = {
    "libssh2.hpp.j2": "libssh2.hpp",
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
    return env


def render(binding: Binding, command: str) -> Dict[str, str]:
    """Every output file's text, keyed by its path relative to the output directory."""
    env = environment()
    return {path: env.get_template(template).render(binding=binding, command=command)
            for template, path in OUTPUTS.items()}


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
