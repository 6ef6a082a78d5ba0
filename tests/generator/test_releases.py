"""releases.py: merging several releases into one binding with version guards, and the
manifest's completeness against the real header sets (when scripts/fetch-libssh2 has them)."""
import os
import subprocess

import pytest

from generator.grouping import build_binding
from generator.model import Availability, GeneratorError
from generator.parse import parse_release
from generator.releases import merge

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def release(parse, version_num, body):
    api = parse(body)
    import dataclasses
    api = dataclasses.replace(api, version=f"v{version_num:x}", version_num=version_num)
    return api, build_binding(api)


def channel_methods(binding):
    return {(m.name, m.availability) for m in binding.classes[1].instance_methods}


def test_added_function_is_guarded_from_its_first_release(parse):
    old = release(parse, 0x010900, "LIBSSH2_API int libssh2_channel_eof(LIBSSH2_CHANNEL *channel);\n")
    new = release(parse, 0x010b01, "LIBSSH2_API int libssh2_channel_eof(LIBSSH2_CHANNEL *channel);\n"
                                   "LIBSSH2_API int libssh2_channel_fresh(LIBSSH2_CHANNEL *channel);\n")
    merged = merge([new, old])   # any order in, oldest first out
    assert [r.version_num for r in merged.releases] == [0x010900, 0x010b01]
    assert channel_methods(merged) == {("eof", Availability()), ("fresh", Availability(since=0x010b01))}


def test_changed_signature_gives_complementary_forms(parse):
    old = release(parse, 0x010900, "LIBSSH2_API int libssh2_channel_x(LIBSSH2_CHANNEL *channel, unsigned int n);\n")
    new = release(parse, 0x010b01, "LIBSSH2_API int libssh2_channel_x(LIBSSH2_CHANNEL *channel, size_t n);\n")
    forms = merge([old, new]).classes[1].instance_methods
    assert [(m.params[0].type, m.availability) for m in forms] == [
        ("unsigned int", Availability(before=0x010b01)), ("size_t", Availability(since=0x010b01))]


def test_no_deprecated_hiding_is_part_of_the_guard(parse):
    import dataclasses
    api, _ = release(parse, 0x010b01, "LIBSSH2_API int libssh2_channel_old(LIBSSH2_CHANNEL *channel);\n")
    api = dataclasses.replace(api, hidden_without_deprecated=("libssh2_channel_old",))
    (m,) = merge([(api, build_binding(api))]).classes[1].instance_methods
    assert m.availability == Availability(no_deprecated_since=0x010b01)


def test_same_release_twice_is_an_error(parse):
    one = release(parse, 0x010900, "")
    with pytest.raises(GeneratorError, match="same libssh2 release was given twice"):
        merge([one, one])


def header_sets():
    try:
        out = subprocess.run([os.path.join(REPO, "scripts", "fetch-libssh2"), "headers",
                              "1.9.0", "1.10.0", "1.11.1"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"cannot get the supported releases' headers: {exc}")
    return out.stdout.split()


def test_manifest_lists_every_symbol_of_every_release_bound_or_with_a_reason():
    apis = [parse_release(d) for d in header_sets()]
    manifest = {}
    with open(os.path.join(REPO, "include", "libssh2", "api-manifest.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, kind, releases, where = line.rstrip("\n").split("\t")
            manifest[name] = (kind, releases.split(","), where)
    for api in apis:
        symbols = [(s.name, "function") for s in api.functions] + [(s.name, "macro") for s in api.macros]
        symbols += [(u.name, u.kind) for u in api.not_calls + api.not_api]
        for name, kind in symbols:
            assert name in manifest, f"{name} ({api.version}) missing from the manifest"
            listed_kind, releases, where = manifest[name]
            assert listed_kind == kind and api.version in releases, name
            assert where.startswith("not bound: ") and len(where) > len("not bound: ") + 10 \
                or all("::" in entry for entry in where.split()), f"{name}: neither bound nor a reason"
    counts = {api.version: len(api.functions) + len(api.macros) + len(api.not_calls) for api in apis}
    assert counts == {"1.9.0": 173, "1.10.0": 174, "1.11.1": 188}   # libssh2-api-facts.md


def test_manifest_summary_adds_up_per_release():
    import re
    with open(os.path.join(REPO, "include", "libssh2", "api-manifest.txt"), encoding="utf-8") as f:
        summary = re.findall(r"^# libssh2 (\S+): (\d+) functions \+ (\d+) macros = (\d+), bound (\d+), not bound (\d+)",
                             f.read(), re.M)
    assert [s[0] for s in summary] == ["1.9.0", "1.10.0", "1.11.1"]
    for version, functions, macros, total, bound, not_bound in summary:
        assert int(functions) + int(macros) == int(total) == int(bound) + int(not_bound), version
