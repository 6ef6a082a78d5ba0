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
            "    int get_exit_status() noexcept { return libssh2_channel_get_exit_status(checked(\"channel::get_exit_status\")); }\n") in text


def test_deprecated_function_is_marked(parse):
    api = parse("/* DEPRECATED */\nLIBSSH2_API int libssh2_channel_old(LIBSSH2_CHANNEL *channel);\n")
    text = render(build_binding(api), "cmd")["include/libssh2.hpp"]
    assert '[[deprecated("DEPRECATED")]] int old() noexcept' in text


def test_outputs_are_replaced_as_a_set_or_not_at_all(tmp_path):
    import os
    import pytest
    from generator.model import GeneratorError
    from generator.render import write
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("old one\n")
    # The second file's target is a directory: nothing may change, the first file included.
    (tmp_path / "b" / "two.txt").mkdir(parents=True)
    with pytest.raises(GeneratorError, match=r"cannot write .*b/two.txt: .*nothing was replaced"):
        write({"a/one.txt": "new one\n", "a/three.txt": "three\n", "b/two.txt": "two\n"}, str(tmp_path))
    assert (tmp_path / "a" / "one.txt").read_text() == "old one\n"
    assert sorted(os.listdir(tmp_path / "a")) == ["one.txt"]          # no new file, no temporary
    write({"a/one.txt": "new one\n", "a/three.txt": "three\n"}, str(tmp_path))
    assert (tmp_path / "a" / "one.txt").read_text() == "new one\n"
    assert sorted(os.listdir(tmp_path / "a")) == ["one.txt", "three.txt"]


def test_a_file_in_the_way_of_a_directory_is_one_line_naming_it(tmp_path):
    import pytest
    from generator.model import GeneratorError
    from generator.render import write
    (tmp_path / "include").write_text("not a directory\n")
    with pytest.raises(GeneratorError, match=r"cannot write .*include: "):
        write({"include/x.hpp": "x\n"}, str(tmp_path))
    assert (tmp_path / "include").read_text() == "not a directory\n"
