"""releases.py: merging several releases into one binding with version guards, and the
manifest's completeness against the real header sets (when scripts/fetch-libssh2 has them)."""
import dataclasses
import os
import subprocess

import pytest

from generator.grouping import build_binding
from generator.model import Availability, GeneratorError
from generator.parse import parse_release
from generator.releases import merge

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def release(parse, version_num, body, version=None, hidden=()):
    api = parse(body)
    return dataclasses.replace(api, version=version or f"{version_num >> 16}.{(version_num >> 8) & 0xff}.{version_num & 0xff}",
                               version_num=version_num, hidden_without_deprecated=tuple(hidden))


def channel_methods(binding):
    return {(m.name, m.availability) for m in binding.classes[1].instance_methods}


def test_added_function_is_guarded_from_its_first_release(parse):
    old = release(parse, 0x010900, "LIBSSH2_API int libssh2_channel_eof(LIBSSH2_CHANNEL *channel);\n")
    new = release(parse, 0x010b01, "LIBSSH2_API int libssh2_channel_eof(LIBSSH2_CHANNEL *channel);\n"
                                   "LIBSSH2_API int libssh2_channel_fresh(LIBSSH2_CHANNEL *channel);\n")
    merged = build_binding(merge([new, old]))   # any order in, oldest first out
    assert [r.version_num for r in merged.releases] == [0x010900, 0x010b01]
    assert channel_methods(merged) == {("eof", Availability()), ("fresh", Availability(since=0x010b01))}


def test_changed_signature_gives_complementary_forms(parse):
    old = release(parse, 0x010900, "LIBSSH2_API int libssh2_channel_x(LIBSSH2_CHANNEL *channel, unsigned int n);\n")
    new = release(parse, 0x010b01, "LIBSSH2_API int libssh2_channel_x(LIBSSH2_CHANNEL *channel, size_t n);\n")
    forms = build_binding(merge([old, new])).classes[1].instance_methods
    assert [(m.params[0].type, m.availability) for m in forms] == [
        ("unsigned int", Availability(before=0x010b01)), ("size_t", Availability(since=0x010b01))]


def test_renamed_parameters_and_respelled_types_are_the_same_form(parse):
    old = release(parse, 0x010900, "typedef unsigned long u64;\n"
                                   "LIBSSH2_API int libssh2_channel_x(LIBSSH2_CHANNEL *channel, u64 n, void (*cb)(int));\n")
    new = release(parse, 0x010b01, "LIBSSH2_API int libssh2_channel_x(LIBSSH2_CHANNEL *ch, unsigned long count,"
                                   " void ((*hook)(int)));\n")
    (m,) = build_binding(merge([old, new])).classes[1].instance_methods
    assert m.availability == Availability() and [p.name for p in m.params] == ["count", "hook"]


def test_macro_forms_compare_call_structure_not_text(parse):
    fn = "LIBSSH2_API int libssh2_channel_setenv_ex(LIBSSH2_CHANNEL *channel, const char *v, unsigned int v_len);\n"
    old = release(parse, 0x010900, fn + "#define libssh2_channel_setenv(channel, v) libssh2_channel_setenv_ex((channel), (v), strlen(v))\n")
    new = release(parse, 0x010b01, fn + "#define libssh2_channel_setenv(ch, value) \\\n"
                                        "   libssh2_channel_setenv_ex(ch, value, (unsigned int)strlen(value))\n")
    setenv = [m for m in build_binding(merge([old, new])).classes[1].instance_methods if m.name == "setenv"]
    assert [m.availability for m in setenv] == [Availability()]


def test_no_deprecated_hiding_is_part_of_the_guard(parse):
    api = release(parse, 0x010b01, "LIBSSH2_API int libssh2_channel_old(LIBSSH2_CHANNEL *channel);\n",
                  hidden=("libssh2_channel_old",))
    (m,) = build_binding(merge([api])).classes[1].instance_methods
    assert m.availability == Availability(no_deprecated_since=0x010b01)


def test_same_release_twice_is_an_error(parse):
    one = release(parse, 0x010900, "")
    with pytest.raises(GeneratorError, match="same libssh2 release was given twice: 1.9.0"):
        merge([one, one])


def test_two_releases_sharing_a_number_without_a_snapshot_is_an_error(parse):
    with pytest.raises(GeneratorError, match="share LIBSSH2_VERSION_NUM 0x010b00 and neither is a development snapshot"):
        merge([release(parse, 0x010b00, "", "1.11.0"), release(parse, 0x010b00, "", "1.11.1")])


def test_a_snapshot_sharing_a_number_is_told_apart_by_its_version(parse):
    eof = "LIBSSH2_API int libssh2_channel_eof(LIBSSH2_CHANNEL *channel);\n"
    old = "LIBSSH2_API int libssh2_channel_old(LIBSSH2_CHANNEL *channel);\n"
    released = release(parse, 0x010b01, eof + old, "1.11.1")
    snapshot = release(parse, 0x010b01, eof + "LIBSSH2_API int libssh2_channel_fresh(LIBSSH2_CHANNEL *channel);\n"
                                            "/* DEPRECATED */\n" + old,
                       "1.11.2_DEV", hidden=("libssh2_channel_old",))
    binding = build_binding(merge([snapshot, released]))
    assert [(r.version, r.since_num) for r in binding.releases] == [("1.11.1", 0x010b01), ("1.11.2_DEV", 0x010b02)]
    methods = dict(channel_methods(binding))
    # new in the snapshot: hidden against its own headers until libssh2 bumps the number
    assert methods["fresh"] == Availability(since=0x010b02)
    # its deprecation waits for the number; hiding under LIBSSH2_NO_DEPRECATED cannot wait
    old_method = next(m for m in binding.classes[1].instance_methods if m.name == "old")
    assert not old_method.deprecated and old_method.availability == Availability(no_deprecated_since=0x010b01)
    assert any("libssh2_channel_old" in w and "deprecates" in w for w in binding.warnings)


def test_a_symbol_bound_in_one_release_and_not_another_counts_apart(parse):
    old = release(parse, 0x010b00, "int libssh2_sign_x(LIBSSH2_SESSION *session);\n")
    new = release(parse, 0x010b01, "LIBSSH2_API int libssh2_sign_x(LIBSSH2_SESSION *session);\n")
    symbols = [(s.releases, bool(s.bound_as)) for s in build_binding(merge([old, new])).symbols]
    assert symbols == [(("1.11.0",), False), (("1.11.1",), True)]


def header_sets():
    try:
        out = subprocess.run([os.path.join(REPO, "scripts", "header-sets")],
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"cannot get the supported header sets: {exc}")
    return out.stdout.split()


def test_manifest_lists_every_symbol_of_every_release_bound_or_with_a_reason():
    apis = [parse_release(d) for d in header_sets()]
    manifest = {}
    with open(os.path.join(REPO, "include", "libssh2", "api-manifest.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, kind, releases, where = line.rstrip("\n").split("\t")
            for version in releases.split(","):
                assert (name, version) not in manifest, f"{name} listed twice for {version}"
                manifest[name, version] = (kind, where)
    for api in apis:
        symbols = [(s.name, "function", True) for s in api.functions] + [(s.name, "macro", True) for s in api.macros]
        symbols += [(u.name, u.kind, False) for u in api.not_calls + api.not_api]
        for name, kind, placeable in symbols:
            assert (name, api.version) in manifest, f"{name} ({api.version}) missing from the manifest"
            listed_kind, where = manifest[name, api.version]
            assert listed_kind == kind, name
            assert where.startswith("not bound: ") and len(where) > len("not bound: ") + 10 \
                or all("::" in entry for entry in where.split()), f"{name}: neither bound nor a reason"
            if placeable and kind == "function":
                assert not where.startswith("not bound"), f"{name} ({api.version}) not bound"
    counts = {api.version: len(api.functions) + len(api.macros) + len(api.not_calls) for api in apis}
    # libssh2-api-facts.md for the Debian releases; 1.11.0 and the head from their fixtures
    assert counts == {"1.9.0": 173, "1.10.0": 174, "1.11.0": 185, "1.11.1": 188, "1.11.2_DEV": 191}


def test_manifest_summary_adds_up_per_release():
    import re
    with open(os.path.join(REPO, "include", "libssh2", "api-manifest.txt"), encoding="utf-8") as f:
        summary = re.findall(r"^# libssh2 (\S+): (\d+) functions \+ (\d+) macros = (\d+), bound (\d+), not bound (\d+)",
                             f.read(), re.M)
    assert [s[0] for s in summary] == ["1.9.0", "1.10.0", "1.11.0", "1.11.1", "1.11.2_DEV"]
    for version, functions, macros, total, bound, not_bound in summary:
        assert int(functions) + int(macros) == int(total) == int(bound) + int(not_bound), version


def test_constants_share_the_availability_mechanism(parse):
    old = release(parse, 0x010900, "#define LIBSSH2_ERROR_OLD -40\n#define LIBSSH2_ERROR_MOVED -41\n")
    new = release(parse, 0x010b01, "#define LIBSSH2_ERROR_MOVED -42\n#define LIBSSH2_ERROR_FRESH -43\n",
                  hidden=("LIBSSH2_ERROR_MOVED",))
    enumerators = {(e.name, e.value, e.availability) for e in build_binding(merge([old, new])).enumerators}
    assert enumerators == {("old", -40, Availability(before=0x010b01)),
                           ("moved", -41, Availability(before=0x010b01)),
                           ("moved", -42, Availability(since=0x010b01, no_deprecated_since=0x010b01)),
                           ("fresh", -43, Availability(since=0x010b01))}
