"""The next libssh2 release: regeneration bends, it does not break.

Each test builds a synthetic release newer than libssh2's development head from the
committed head fixture (tests/fixtures/libssh2-head/include/*.h, read as text and edited
here; by default LIBSSH2_VERSION "1.12.0", LIBSSH2_VERSION_NUM 0x010c00), parses it
through libclang's unsaved files, merges it with the head and checks what the binding
makes of the change: renamed parameters and reformatted declarators are no new forms; a
new function, macro, callback type, deprecation or removal is bound and guarded by
LIBSSH2_VERSION_NUM, with a warning where no table of the generator places it; a snapshot
sharing a release's number is told apart from it.

The last test renders the binding of the five supported header sets plus a variant that
combines those changes, and compiles tests/generated/api_checks.cpp and
<libssh2/callbacks.hpp> with g++ against all six header sets, with and without
LIBSSH2_NO_DEPRECATED.

Run (from the repository root; the python3 on PATH may lack clang.cindex):
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/generator/test_next_release.py
only the compile test:
    ... tests/generator/test_next_release.py -k compiles_against_every_header_set
everything but it:
    ... tests/generator/test_next_release.py -k "not compiles_against_every_header_set"
"""
import concurrent.futures
import functools
import os
import re
import shutil
import subprocess
from typing import Dict, List, Sequence, Tuple, Union

import pytest

from generator.grouping import build_binding
from generator.model import Availability, GeneratorError
from generator.parse import HEADERS, parse_release
from generator.releases import merge
from generator.render import render, write

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAD_INCLUDE = os.path.join(REPO, "tests", "fixtures", "libssh2-head", "include")
NEXT = 0x010c00   # LIBSSH2_VERSION_NUM of the variants: 1.12.0


# --- Building and parsing variants ---------------------------------------------------

@functools.lru_cache(maxsize=None)
def _head_texts() -> Tuple[Tuple[str, str], ...]:
    out = []
    for name in HEADERS:
        with open(os.path.join(HEAD_INCLUDE, name), encoding="utf-8") as f:
            out.append((name, f.read()))
    return tuple(out)


def head_texts() -> Dict[str, str]:
    """The head fixture's three headers, by file name (a fresh dict each call)."""
    return dict(_head_texts())


Edit = Union[Tuple[str, str], str]


def variant(texts: Dict[str, str], edits: Dict[str, Sequence[Edit]] = None,
            version: str = "1.12.0", version_num: int = NEXT) -> Dict[str, str]:
    """texts with each header's edits applied, stamped LIBSSH2_VERSION `version` and
    LIBSSH2_VERSION_NUM `version_num`.

    An edit is (old, new): `old` must occur exactly once in that header, so a fixture that
    drifts fails here instead of silently testing nothing; or a string: declarations to add
    at the end of the header, inside its extern "C" block and include guard."""
    out = dict(texts)
    for name, changes in (edits or {}).items():
        text = out[name]
        for change in changes:
            if isinstance(change, str):
                at = text.rindex("#ifdef __cplusplus")   # the closing of extern "C"
                text = text[:at] + change + "\n" + text[at:]
            else:
                old, new = change
                assert text.count(old) == 1, f"{name}: {old!r} occurs {text.count(old)} times"
                text = text.replace(old, new)
        out[name] = text
    main = out["libssh2.h"]
    for macro, value in (("LIBSSH2_VERSION", f'"{version}"'), ("LIBSSH2_VERSION_NUM", f"0x{version_num:06x}")):
        main, count = re.subn(rf"^#define {macro}[ \t]+\S+[ \t]*$", f"#define {macro} {value}", main, flags=re.M)
        assert count == 1, f"#define {macro} not found once in libssh2.h"
    out["libssh2.h"] = main
    return out


def parse_variant(tmp_path, texts: Dict[str, str]):
    """The variant's Api (parse_release on in-memory headers placed in tmp_path)."""
    return parse_release(str(tmp_path), unsaved=texts)


@functools.lru_cache(maxsize=None)
def parse_dir(include_dir: str):
    """A header set on disk, parsed once per test session."""
    return parse_release(include_dir)


def head_api():
    return parse_dir(HEAD_INCLUDE)


@functools.lru_cache(maxsize=None)
def head_binding():
    return build_binding(merge([head_api()]))


def next_binding(tmp_path, edits, **stamp):
    """The binding of the head merged with a variant of it."""
    return build_binding(merge([head_api(), parse_variant(tmp_path, variant(head_texts(), edits, **stamp))]))


# --- Looking into a binding ------------------------------------------------------------

def methods(binding) -> List[Tuple[str, str, object]]:
    """(scope, "instance" / "static" / "free", Method) for every method, in a stable order."""
    out = []
    for scope in binding.classes + binding.namespaces:
        out += [(scope.name, "instance", m) for m in scope.instance_methods]
        out += [(scope.name, "static", m) for m in scope.static_methods]
    out += [("libssh2", "free", m) for m in binding.free_functions]
    return sorted(out, key=repr)


def forms(binding, c_name: str) -> List[Tuple[str, str, object]]:
    """Every method forwarding to c_name (function or macro)."""
    return [entry for entry in methods(binding) if entry[2].c_name == c_name]


def kinds(binding) -> List[tuple]:
    """What a callback kind is, its C parameter names aside (the state parameter by position)."""
    return [(k.name, k.constant, k.persistent, k.availability, k.callback.name, k.callback.pointer_type,
             k.callback.params.index(k.state_param) if k.state_param else None)
            for k in binding.callback_kinds]


def warnings_naming(binding, *words) -> List[str]:
    return [w for w in binding.warnings if all(word in w for word in words)]


def new_warnings(binding) -> List[str]:
    """The binding's warnings the head's binding does not give (whatever release they name)."""
    def unstamped(w):
        return re.sub(r"^libssh2 \S+: ", "", w)
    old = {unstamped(w) for w in head_binding().warnings}
    return [w for w in binding.warnings if unstamped(w) not in old]


# --- The edits ------------------------------------------------------------------------

# Case 1: the callback macros' parameters renamed (the void **abstract slot kept).
SK_SIGN = ("int (name)(LIBSSH2_SESSION *session, LIBSSH2_SK_SIG_INFO *sig_info, \\\n"
           "               const unsigned char *data, size_t data_len, \\\n"
           "               int algorithm, uint8_t flags, \\\n"
           "               const char *application, const unsigned char *key_handle, \\\n"
           "               size_t key_handle_len, \\\n")
SK_SIGN_RENAMED = ("int (name)(LIBSSH2_SESSION *sess, LIBSSH2_SK_SIG_INFO *info, \\\n"
                   "               const unsigned char *buf, size_t buflen, \\\n"
                   "               int alg, uint8_t sk_flags, \\\n"
                   "               const char *app, const unsigned char *handle, \\\n"
                   "               size_t handle_len, \\\n")
DEBUG = ("#define LIBSSH2_DEBUG_FUNC(name) \\\n"
         "    void (name)(LIBSSH2_SESSION *session, int always_display, \\\n"
         "                const char *message, int message_len, \\\n"
         "                const char *language, int language_len, \\\n")
DEBUG_RENAMED = ("#define LIBSSH2_DEBUG_FUNC(cb) \\\n"
                 "    void (cb)(LIBSSH2_SESSION *s, int display, \\\n"
                 "              const char *msg, int msg_len, \\\n"
                 "              const char *lang, int lang_len, \\\n")
RENAMED = {"libssh2.h": [(SK_SIGN, SK_SIGN_RENAMED), (DEBUG, DEBUG_RENAMED)]}

# Case 3.
FROBNICATE = "LIBSSH2_API int libssh2_channel_frobnicate(LIBSSH2_CHANNEL *channel, int level);\n"
# Case 4.
UNKNOWN_PREFIXES = ("LIBSSH2_API int libssh2_widget_spin(LIBSSH2_SESSION *session);\n"
                    "LIBSSH2_API int libssh2_gizmo(int n);\n")
# Case 5.
FROBNICATE_DEFAULT = ("#define libssh2_channel_frobnicate_default(channel) \\\n"
                      "    libssh2_channel_frobnicate((channel), 0)\n")
# Case 6.
WIDGET = ("#define LIBSSH2_WIDGET_FUNC(name) \\\n"
          "    void name(LIBSSH2_SESSION *session, int n, void **abstract)\n"
          "LIBSSH2_API int libssh2_session_widget_set(LIBSSH2_SESSION *session,\n"
          "                                           LIBSSH2_WIDGET_FUNC((*cb)));\n")
# Case 7: libssh2_channel_wait_closed deprecated (no macro calls it).
WAIT_CLOSED = "LIBSSH2_API int libssh2_channel_wait_closed(LIBSSH2_CHANNEL *channel);\n"
DEPRECATE_WAIT_CLOSED = {"libssh2.h": [(WAIT_CLOSED,
                                        "#ifndef LIBSSH2_NO_DEPRECATED\n"
                                        'LIBSSH2_DEPRECATED(1.12.0, "Use x")\n' + WAIT_CLOSED + "#endif\n")]}
# Case 8: libssh2_channel_eof removed (no macro calls it).
EOF_DECL = "LIBSSH2_API int libssh2_channel_eof(LIBSSH2_CHANNEL *channel);\n"
REMOVE_EOF = {"libssh2.h": [(EOF_DECL, "")]}


# --- 1, 2: what is no change ----------------------------------------------------------

def assert_no_new_forms(binding):
    assert methods(binding) == methods(head_binding())
    assert kinds(binding) == kinds(head_binding())
    names = [k.name for k in binding.callback_kinds]
    assert len(names) == len(set(names)), f"a callback kind has several forms: {names}"
    assert len(binding.releases) == 2 and binding.releases[-1].version_num == NEXT
    assert new_warnings(binding) == []


def test_renamed_callback_parameters_are_no_new_forms(tmp_path):
    binding = next_binding(tmp_path, RENAMED)
    assert_no_new_forms(binding)
    by_name = {k.name: k for k in binding.callback_kinds}
    for kind in ("publickey_sk_sign", "debug"):
        assert by_name[kind].availability == Availability()
    # the variant really renamed them: the merged callback types carry its names
    assert [p.name for p in by_name["debug"].callback.params][:3] == ["s", "display", "msg"]
    assert [p.name for p in by_name["publickey_sk_sign"].callback.params][:2] == ["sess", "info"]
    # the methods taking them keep their one form and their callable overload
    (sk,) = forms(binding, "libssh2_userauth_publickey_sk")
    assert sk[2].availability == Availability() and sk[2].callable_kind == "publickey_sk_sign"


def test_renamed_state_slot_of_a_callback_is_no_new_form(tmp_path):
    """The void **abstract slot renamed too: its type, not its name, makes it the slot."""
    renamed = {"libssh2.h": [(SK_SIGN + "               void **abstract)",
                              SK_SIGN_RENAMED + "               void **user_data)")]}
    binding = next_binding(tmp_path, renamed)
    assert_no_new_forms(binding)
    (kind,) = [k for k in binding.callback_kinds if k.name == "publickey_sk_sign"]
    assert kind.state_param.name == "user_data"


def test_reformatted_declarators_are_the_same_forms(tmp_path):
    session_init = ("    LIBSSH2_ALLOC_FUNC(*my_alloc),\n"
                    "    LIBSSH2_FREE_FUNC(*my_free),\n")
    reformatted = {"libssh2.h": [
        (session_init, "    LIBSSH2_ALLOC_FUNC((*my_alloc)),\n"
                       "    LIBSSH2_FREE_FUNC( ( * my_free ) ),\n"),
        ("    LIBSSH2_USERAUTH_SK_SIGN_FUNC(*sign_callback),\n",
         "    LIBSSH2_USERAUTH_SK_SIGN_FUNC((*sign_callback)),\n"),
        ("#define LIBSSH2_FREE_FUNC(name)    void ((name)(void *ptr, void **abstract))",
         "#define LIBSSH2_FREE_FUNC(name) void (name)(void *ptr,\\\n    void **abstract)"),
        (EOF_DECL, "LIBSSH2_API int\n(libssh2_channel_eof)  (\n\n    LIBSSH2_CHANNEL   *\n    (channel)\n)\n;\n"),
        ("LIBSSH2_API int libssh2_channel_get_exit_status(LIBSSH2_CHANNEL *channel);",
         "LIBSSH2_API\tint\t(libssh2_channel_get_exit_status(LIBSSH2_CHANNEL *channel));"),
    ]}
    binding = next_binding(tmp_path, reformatted)
    assert_no_new_forms(binding)
    (init,) = forms(binding, "libssh2_session_init_ex")
    assert [p.callback for p in init[2].params][:2] == ["LIBSSH2_ALLOC_FUNC", "LIBSSH2_FREE_FUNC"]
    (eof,) = forms(binding, "libssh2_channel_eof")
    assert eof[:2] == ("channel", "instance") and eof[2].availability == Availability()


# --- 3-6: what is new --------------------------------------------------------------------

def test_new_function_in_a_known_group_is_a_guarded_instance_method(tmp_path):
    binding = next_binding(tmp_path, {"libssh2.h": [FROBNICATE]})
    (entry,) = forms(binding, "libssh2_channel_frobnicate")
    scope, kind, method = entry
    assert (scope, kind, method.name) == ("channel", "instance", "frobnicate")
    assert [(p.name, p.type) for p in method.params] == [("level", "int")]
    assert method.availability == Availability(since=NEXT)
    assert new_warnings(binding) == []


def test_new_function_under_an_unknown_prefix_is_bound_with_a_warning(tmp_path):
    binding = next_binding(tmp_path, {"libssh2.h": [UNKNOWN_PREFIXES]})
    (spin,) = forms(binding, "libssh2_widget_spin")
    assert spin[:2] == ("session", "instance") and spin[2].name == "widget_spin"
    assert spin[2].availability == Availability(since=NEXT)
    (gizmo,) = forms(binding, "libssh2_gizmo")
    assert gizmo[:2] == ("libssh2", "free") and gizmo[2].name == "gizmo"
    assert gizmo[2].availability == Availability(since=NEXT)
    assert warnings_naming(binding, "libssh2_widget_spin", "PREFIXES")
    assert warnings_naming(binding, "libssh2_gizmo", "PREFIXES")
    assert len(new_warnings(binding)) == 2


def test_new_call_like_macro_is_bound_as_a_method(tmp_path):
    binding = next_binding(tmp_path, {"libssh2.h": [FROBNICATE, FROBNICATE_DEFAULT]})
    (entry,) = forms(binding, "libssh2_channel_frobnicate_default")
    scope, kind, method = entry
    assert (scope, kind, method.name) == ("channel", "instance", "frobnicate_default")
    assert method.is_macro and method.target == "libssh2_channel_frobnicate" and method.params == ()
    assert method.availability == Availability(since=NEXT)
    assert new_warnings(binding) == []


def test_new_callback_kind_is_a_warning_and_its_function_takes_the_raw_pointer(tmp_path):
    binding = next_binding(tmp_path, {"libssh2.h": [WIDGET]})
    assert warnings_naming(binding, "LIBSSH2_WIDGET_FUNC", "CALLBACK_KINDS")
    assert all(k.callback.name != "LIBSSH2_WIDGET_FUNC" for k in binding.callback_kinds)
    assert kinds(binding) == kinds(head_binding())
    (entry,) = forms(binding, "libssh2_session_widget_set")
    scope, kind, method = entry
    assert (scope, kind, method.name) == ("session", "instance", "widget_set")
    assert method.availability == Availability(since=NEXT)
    (cb,) = method.params
    assert cb.callback == "LIBSSH2_WIDGET_FUNC"
    assert cb.type.replace(" ", "") == "void(*)(LIBSSH2_SESSION*,int,void**)"
    assert method.callable_param == "" and method.callable_kind == ""


# --- 7, 8: what changes or goes -----------------------------------------------------------

def test_new_deprecation_is_a_form_hidden_under_no_deprecated(tmp_path):
    binding = next_binding(tmp_path, DEPRECATE_WAIT_CLOSED)
    entries = forms(binding, "libssh2_channel_wait_closed")
    assert [(scope, kind) for scope, kind, _ in entries] == [("channel", "instance")] * 2
    by_since = sorted((m for _, _, m in entries), key=lambda m: m.availability.since)
    old, new = by_since
    assert not old.deprecated and old.availability == Availability(before=NEXT)
    assert "1.12.0" in new.deprecated and "Use x" in new.deprecated
    assert new.availability == Availability(since=NEXT, no_deprecated_since=NEXT)


def test_removed_function_is_guarded_before_the_release_that_drops_it(tmp_path):
    binding = next_binding(tmp_path, REMOVE_EOF)
    (entry,) = forms(binding, "libssh2_channel_eof")
    assert entry[:2] == ("channel", "instance") and entry[2].name == "eof"
    assert entry[2].availability == Availability(before=NEXT)
    (symbol,) = [s for s in binding.symbols if s.name == "libssh2_channel_eof"]
    assert symbol.releases == (head_api().version,) and symbol.availability == Availability(before=NEXT)


# --- 9: a snapshot sharing a release's number ---------------------------------------------

def test_snapshot_sharing_a_release_number_is_told_apart(tmp_path):
    released = parse_variant(tmp_path / "release", variant(head_texts()))
    snapshot = parse_variant(tmp_path / "snapshot", variant(
        head_texts(), {"libssh2.h": [FROBNICATE]}, version="1.12.1_DEV", version_num=NEXT))
    binding = build_binding(merge([snapshot, head_api(), released]))
    assert [(r.version, r.version_num, r.since_num) for r in binding.releases[1:]] == [
        ("1.12.0", NEXT, NEXT), ("1.12.1_DEV", NEXT, NEXT + 1)]
    (entry,) = forms(binding, "libssh2_channel_frobnicate")
    assert entry[2].availability == Availability(since=NEXT + 1)
    # the same release twice, however it is stamped, is the user's mistake
    again = parse_variant(tmp_path / "again", variant(head_texts()))
    with pytest.raises(GeneratorError, match="given twice: 1.12.0"):
        merge([head_api(), released, again])


# --- All of it, compiled -----------------------------------------------------------------

COMBINED = {"libssh2.h": [FROBNICATE, UNKNOWN_PREFIXES, FROBNICATE_DEFAULT, WIDGET]
            + DEPRECATE_WAIT_CLOSED["libssh2.h"] + REMOVE_EOF["libssh2.h"]}
WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Wconversion", "-Wsign-conversion", "-Wshadow",
            "-Wold-style-cast", "-Werror"]


def header_sets() -> List[Tuple[str, str]]:
    try:
        out = subprocess.run([os.path.join(REPO, "scripts", "header-sets"), "--names"],
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"cannot get the supported header sets (scripts/header-sets --names): {exc}")
    return [tuple(line.split(None, 1)) for line in out.stdout.splitlines() if line.strip()]


def test_output_for_a_variant_compiles_against_every_header_set(tmp_path):
    compiler = shutil.which("g++")
    if compiler is None:
        pytest.fail("g++ not found: apt-get install g++")
    texts = variant(head_texts(), COMBINED)
    variant_include = tmp_path / "libssh2-1.12.0" / "include"
    variant_include.mkdir(parents=True)
    for name, text in texts.items():
        (variant_include / name).write_text(text, encoding="utf-8")
    sets = header_sets()
    assert [name for name, _ in sets] == ["1.9.0", "1.10.0", "1.11.0", "1.11.1", "head"]
    apis = [parse_dir(d) for _, d in sets] + [parse_release(str(variant_include))]
    binding = build_binding(merge(apis))
    assert [r.version for r in binding.releases][-1] == "1.12.0"
    out = tmp_path / "out"
    write(render(binding, "tests/generator/test_next_release.py"), str(out))
    sources = [out / "tests" / "generated" / "api_checks.cpp", tmp_path / "callbacks.cpp"]
    sources[1].write_text("#include <libssh2/callbacks.hpp>\n", encoding="utf-8")
    # the rendered header really carries the variant's additions, guarded
    header = (out / "include" / "libssh2.hpp").read_text(encoding="utf-8")
    for name in ("frobnicate", "frobnicate_default", "widget_spin", "gizmo", "widget_set"):
        assert re.search(rf"\b{name}\(", header), f"{name} missing from the rendered libssh2.hpp"

    jobs = [(set_name, include, define, source)
            for set_name, include in sets + [("1.12.0 (variant)", str(variant_include))]
            for define in ([], ["-DLIBSSH2_NO_DEPRECATED"])
            for source in sources]

    def compile_one(job):
        set_name, include, define, source = job
        command = [compiler, "-std=c++17", "-fsyntax-only", *WARNINGS, *define,
                   f"-I{out / 'include'}", f"-I{include}", str(source)]
        result = subprocess.run(command, capture_output=True, text=True)
        label = f"{set_name} {' '.join(define) or '(deprecated API on)'} {source.name}"
        return label, result.returncode, result.stderr

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(compile_one, jobs))
    failed = [(label, stderr) for label, code, stderr in results if code != 0]
    assert len(results) == 24
    if failed:
        pytest.fail(f"{len(failed)} of {len(results)} compilations failed:\n" + "\n".join(
            f"--- {label}\n{stderr[:4000]}" for label, stderr in failed), pytrace=False)
