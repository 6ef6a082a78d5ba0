"""render.py and the templates: determinism and the shape of generated methods."""
from generator.grouping import build_binding
from generator.parse import parse_api
from generator.render import render

SYSTEM_INCLUDE = "/usr/include"


def test_rendering_is_deterministic():
    first = render(build_binding(parse_api(SYSTEM_INCLUDE)), "scripts/regenerate")
    second = render(build_binding(parse_api(SYSTEM_INCLUDE)), "scripts/regenerate")
    assert first == second


def test_each_method_has_its_comment_and_forwards(parse):
    api = parse("LIBSSH2_API int libssh2_channel_get_exit_status(LIBSSH2_CHANNEL *channel);\n")
    text = render(build_binding(api), "cmd")["include/libssh2.hpp"]
    assert ("    // libssh2_channel_get_exit_status\n"
            "    int get_exit_status() noexcept { return libssh2_channel_get_exit_status(get()); }\n") in text


def test_deprecated_function_is_marked(parse):
    api = parse("/* DEPRECATED */\nLIBSSH2_API int libssh2_channel_old(LIBSSH2_CHANNEL *channel);\n")
    text = render(build_binding(api), "cmd")["include/libssh2.hpp"]
    assert '[[deprecated("DEPRECATED")]] int old() noexcept' in text
