"""manpages.py: each function's one-line description from libssh2's man pages, and how
releases.merge gives every symbol its newest page and names the releases without one."""
import gzip

from generator.manpages import descriptions, name_line, pages_dir, with_pages
from generator.model import Api, Function
from generator.releases import merge


def test_a_troff_name_line_loses_its_escapes():
    page = '.TH x 3\n.SH NAME\nlibssh2_channel_read_ex \\- read data from a \\fBchannel\\fP stream\n.SH SYNOPSIS\n'
    assert name_line(page) == (("libssh2_channel_read_ex",), "read data from a channel stream")


def test_one_page_may_name_several_functions():
    page = ".SH NAME\nlibssh2_sftp_statvfs, libssh2_sftp_fstatvfs - get file system statistics\n"
    assert name_line(page) == (("libssh2_sftp_statvfs", "libssh2_sftp_fstatvfs"), "get file system statistics")


def test_the_markdown_source_of_the_development_head():
    page = ("---\nTitle: libssh2_channel_read\n---\n\n# NAME\n\n"
            "libssh2_channel_read - convenience macro for *libssh2_channel_read_ex(3)* calls\n\n# SYNOPSIS\n")
    assert name_line(page) == (("libssh2_channel_read",), "convenience macro for libssh2_channel_read_ex(3) calls")


def test_a_link_or_a_placeholder_describes_nothing():
    assert name_line(".so man3/libssh2_sftp_statvfs.3\n") is None
    assert name_line(".SH NAME\nlibssh2_session_flag - TODO\n") == (("libssh2_session_flag",), "")
    assert name_line(".SH NAME\nlibssh2_keepalive_send - short function description\n") == \
        (("libssh2_keepalive_send",), "")


def release_dir(tmp_path, pages):
    (tmp_path / "include").mkdir()
    (tmp_path / "man").mkdir()
    for name, text in pages.items():
        if name.endswith(".gz"):
            with gzip.open(tmp_path / "man" / name, "wt") as f:
                f.write(text)
        else:
            (tmp_path / "man" / name).write_text(text)
    return str(tmp_path / "include")


def test_pages_beside_the_include_directory_gzipped_or_not(tmp_path):
    include = release_dir(tmp_path, {
        "libssh2_a.3.gz": ".SH NAME\nlibssh2_a - does a\n",
        "libssh2_b.3": ".SH NAME\nlibssh2_b - does b\n",
        # Debian links a duplicate page to its original: it names only the original.
        "libssh2_c_ex.3": ".SH NAME\nlibssh2_c - does c\n",
        "template.3": ".SH NAME\nlibssh2_template - not a page\n"})
    assert pages_dir(include) == str(tmp_path / "man")
    assert descriptions(include) == {"libssh2_a": "does a", "libssh2_b": "does b", "libssh2_c": "does c",
                                     "libssh2_c_ex": "does c"}


def api(version, num, names, pages):
    functions = tuple(Function(n, "int", (), "libssh2.h") for n in names)
    return Api(version, num, functions, (), pages=None if pages is None else tuple(sorted(pages.items())))


def test_a_release_without_man_pages_is_warned_about_and_known_nothing_of(tmp_path):
    (tmp_path / "include").mkdir()
    released = with_pages(api("1.9.0", 0x010900, ["libssh2_a"], None), str(tmp_path / "include"))
    assert released.pages is None
    assert "no man pages beside" in released.warnings[-1]


def test_merged_symbols_take_the_newest_page_and_name_the_releases_without_one():
    merged = merge([
        api("1.9.0", 0x010900, ["libssh2_a", "libssh2_b"], {"libssh2_a": "old text"}),
        api("1.10.0", 0x010a00, ["libssh2_a", "libssh2_b"], None),          # no pages: nothing known
        api("1.11.0", 0x010b00, ["libssh2_a", "libssh2_b"], {"libssh2_a": "new text", "libssh2_b": "does b"}),
    ])
    by_name = {f.name: f for f in merged.functions}
    assert (by_name["libssh2_a"].description, by_name["libssh2_a"].undocumented_in) == ("new text", ())
    assert (by_name["libssh2_b"].description, by_name["libssh2_b"].undocumented_in) == ("does b", ("1.9.0",))
