"""The synthetic next release (1.12.0, written from the head fixture by
tests/fixtures/make-next.py into the cache, listed by scripts/header-sets --with-fixtures):
merged with the head, every symbol it adds lands where it belongs, and the generator warns
only where a human must add meaning.

It adds an opaque handle (LIBSSH2_TUNNEL: init, free, methods, an accept returning a
channel, a warn_unused_result function), a callback kind through a function-pointer typedef
(LIBSSH2_CALLBACK_KEX_DONE) and a constant no type pairs with (LIBSSH2_CALLBACK_TELEMETRY), an
inline function-pointer parameter, a length retyped behind a strlen() macro
(libssh2_channel_setenv), renamed parameters (libssh2_channel_read_ex), a removed function
(libssh2_banner_set) and a new error code. tests/check-header-compiles --with-fixtures
compiles the output against it and every other set.

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/generator/test_next_fixture.py
"""
import functools
import os
import re
import subprocess

from generator.grouping import build_binding, spanning
from generator.model import Availability
from generator.parse import parse_release
from generator.releases import call_structure, merge
from generator.spelling import c_call, guard, guard_any

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NEXT = 0x010c00
SINCE_NEXT = Availability(since=NEXT)


@functools.lru_cache(maxsize=None)
def api(name):
    """A header set by its scripts/header-sets name ("1.11.1", "head", "next"), parsed once."""
    out = subprocess.run([os.path.join(REPO, "scripts", "header-sets"), "--names", "--with-fixtures"],
                         capture_output=True, text=True, check=True).stdout
    dirs = dict(line.split(None, 1) for line in out.splitlines() if line.strip())
    return parse_release(dirs[name])


@functools.lru_cache(maxsize=None)
def head_binding():
    """1.11.1 and the head, which shares its number (so the head's deprecations wait)."""
    return build_binding(merge([api("1.11.1"), api("head")]))


@functools.lru_cache(maxsize=None)
def binding():
    return build_binding(merge([api("1.11.1"), api("head"), api("next")]))


def scope(name):
    return next(s for s in binding().classes + binding().namespaces if s.name == name)


def forms(c_name):
    b = binding()
    return [(s.name, kind, m) for s in b.classes + b.namespaces
            for kind, ms in (("instance", s.instance_methods), ("static", s.static_methods))
            for m in ms if m.c_name == c_name] + [("libssh2", "free", m) for m in b.free_functions
                                                  if m.c_name == c_name]


def new_warnings():
    def unstamped(w):
        return re.sub(r"^libssh2 \S+: ", "", w)
    old = {unstamped(w) for w in head_binding().warnings}
    return [w for w in binding().warnings if unstamped(w) not in old]


def test_a_new_opaque_handle_is_an_owning_class_guarded_by_its_release():
    (tunnel,) = [h for h in binding().handle_classes if h.raw == "LIBSSH2_TUNNEL"]
    assert (tunnel.name, tunnel.release, tunnel.parent) == ("tunnel", "libssh2_tunnel_free", "session")
    assert tunnel.availability == SINCE_NEXT
    assert [h.name for h in binding().handle_classes][-1] == "tunnel"   # after the seed's classes
    assert "tunnel" not in [h.name for h in head_binding().handle_classes]


def test_its_functions_are_its_methods_and_its_factories_return_owning_classes():
    methods = {m.name: m for m in scope("tunnel").instance_methods}
    assert sorted(methods) == ["accept", "free", "port", "send", "set_blocking"]
    assert all(m.availability == SINCE_NEXT and m.receiver_class == "tunnel" for m in methods.values())
    assert methods["free"].releases
    accept = methods["accept"]
    assert accept.returns_class == "channel" and not accept.parent_is_receiver and not accept.returns_view
    (init,) = scope("tunnel").static_methods
    assert (init.name, init.receiver_class, init.returns_class) == ("init", "session", "tunnel")
    # the symbols say so in the manifest
    bound = {s.name: s.bound_as for s in binding().symbols}
    assert bound["libssh2_tunnel_accept"] == ("tunnel::accept",)
    assert bound["libssh2_tunnel_init"] == ("tunnel::init",)


def test_a_pointer_to_an_opaque_handle_gets_no_span():
    (flags,) = [m for m in scope("session").instance_methods if m.c_name == "libssh2_session_tunnel_flags"]
    assert flags.views == ()
    (send,) = [m for m in scope("tunnel").instance_methods if m.name == "send"]
    assert [(v.kind, v.pointer, v.length, v.element) for v in send.views] == [
        ("span", "data", "data_len", "const unsigned char")]


def test_warn_unused_result_is_nodiscard():
    (port,) = [m for m in scope("tunnel").instance_methods if m.name == "port"]
    assert port.nodiscard
    assert [w for w in new_warnings() if "libssh2_tunnel_port" in w and "[[nodiscard]]" in w]


def test_a_callback_constant_pairs_with_its_typedef_and_an_unpaired_one_is_named():
    kinds = {k.name: k for k in binding().callback_kinds}
    kex = kinds["kex_done"]
    assert (kex.constant, kex.callback.name, kex.persistent) == ("LIBSSH2_CALLBACK_KEX_DONE", "libssh2_kex_done_func", True)
    assert kex.availability == SINCE_NEXT and kex.state_param.name == "abstract"
    assert "telemetry" not in kinds
    assert [w for w in new_warnings() if w.startswith("LIBSSH2_CALLBACK_TELEMETRY: no callback type pairs")]
    assert not [w for w in new_warnings() if "libssh2_kex_done_func" in w]


def test_an_inline_function_pointer_parameter_is_a_warning():
    ((_, _, progress),) = forms("libssh2_session_set_progress")
    assert progress.callable_param == ""
    assert [w for w in new_warnings() if "libssh2_session_set_progress: parameter 'progress'" in w]


def test_a_retyped_macro_is_a_new_form_that_keeps_each_release_s_length_type():
    setenv = sorted((m for _, _, m in forms("libssh2_channel_setenv")), key=lambda m: m.availability.since)
    assert [m.availability for m in setenv] == [Availability(before=NEXT), SINCE_NEXT]
    assert [[a.length_type for a in m.call_args if a.length_of] for m in setenv] == [
        ["unsigned int", "unsigned int"], ["size_t", "size_t"]]
    assert "static_cast<unsigned int>(std::strlen(varname))" in c_call(setenv[0], "get()")
    assert "static_cast" not in c_call(setenv[1], "get()")


def test_a_cast_of_strlen_to_the_type_it_is_passed_as_is_no_new_form():
    plain = call_structure("strlen(path)", ["path"], ("unsigned int",))
    assert call_structure("(unsigned int) strlen(path)", ["path"], ("unsigned int",)) == plain
    assert call_structure("(unsigned int)strlen(path)", ["path"], ("size_t", "unsigned long")) != plain


def test_renamed_parameters_are_no_new_form_and_a_removed_function_is_guarded():
    ((_, _, read_ex),) = forms("libssh2_channel_read_ex")
    assert read_ex.availability == Availability()
    assert [p.name for p in read_ex.params] == ["stream", "buffer", "buffer_len"]
    ((_, _, banner),) = forms("libssh2_banner_set")
    assert banner.availability.before == NEXT


def test_has_flags_keep_each_form_s_no_deprecated_bound():
    symbols = {s.name: s for s in binding().symbols}
    for name in ("libssh2_knownhost_add", "libssh2_poll", "libssh2_scp_send", "libssh2_sftp_seek"):
        condition = guard_any(symbols[name].declared)
        assert condition, name
        assert "!defined(LIBSSH2_NO_DEPRECATED)" in condition, (name, condition)
    # a form never hidden then one hidden from its start: one range, hidden from there on
    assert spanning([Availability(before=0x010b00), Availability(since=0x010b00, no_deprecated_since=0x010b00)]) == (
        Availability(no_deprecated_since=0x010b00),)
    # hidden from 1.11.0 on, then a form hidden from 1.12.0 only: not one range
    split = spanning([Availability(before=NEXT, no_deprecated_since=0x010b00),
                      Availability(since=NEXT, no_deprecated_since=0x010d00)])
    assert len(split) == 2 and guard_any(split) == " || ".join(f"({guard(a)})" for a in split)


def test_no_stale_warning_about_the_head_s_held_deprecations_after_a_bump():
    assert [w for w in head_binding().warnings if "taken over once libssh2 bumps" in w]
    assert not [w for w in binding().warnings if "taken over once libssh2 bumps" in w]


def test_it_warns_only_where_a_human_must_add_meaning():
    assert sorted(re.sub(r"^libssh2 \S+: ", "", w).split(":")[0] for w in new_warnings()) == [
        "LIBSSH2_CALLBACK_TELEMETRY", "libssh2_session_set_progress", "libssh2_tunnel_port"]


def test_the_rendered_class_and_its_flags_are_guarded_by_its_release():
    from generator.render import render
    out = render(binding(), "tests/generator/test_next_fixture.py")
    header = out["include/libssh2.hpp"]
    guard_line = "#if LIBSSH2_VERSION_NUM >= 0x010c00\n"
    assert guard_line + "class tunnel;\n#endif\n" in header
    # The guard opens before the class's traits and stays open through the class.
    assert re.search(re.escape(guard_line) + r"(?:(?!#endif)[\s\S])*?// Owns a LIBSSH2_TUNNEL \*[\s\S]*?\nclass tunnel [^\n]*\{", header)
    assert guard_line + "inline constexpr bool has_tunnel_init = true;\n#else\n" in header
    checks = out["tests/generated/api_checks.cpp"]
    assert "libssh2::tunnel &tunnel" in checks
    assert guard_line + "static_assert(libssh2::has_tunnel_init, " in checks
    assert '#pragma GCC diagnostic ignored "-Wignored-attributes"' in checks
