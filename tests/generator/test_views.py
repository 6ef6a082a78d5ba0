"""views.py and its spellings: which parameters a convenience overload takes as views, decided
by types and call structure, and how the overload passes them on."""
import dataclasses
import os
import subprocess

import pytest

from generator.grouping import build_binding
from generator.parse import parse_release
from generator.model import CallArg, Method, Param, View
from generator.spelling import view_call, view_params, view_summary, view_test_args
from generator.views import views


def method(params, **fields):
    base = dict(name="m", c_name="libssh2_x", is_macro=False, target="libssh2_x", result="int",
                params=tuple(params), receiver=Param("session", "LIBSSH2_SESSION *"))
    base.update(fields)
    return Method(**base)


def p(name, ctype, canonical="", **fields):
    return Param(name, ctype, canonical=canonical or ctype, **fields)


def test_a_const_char_pointer_and_the_unsigned_length_after_it_are_text():
    m = method([p("user", "const char *"), p("user_len", "unsigned int")])
    assert views(m) == (View("text", "user", "user_len"),)


def test_a_pointer_followed_by_a_signed_integer_is_no_pair():
    # libssh2_knownhost_readfile(hosts, filename, int type), libssh2_scp_send64(.., path, int mode, ..)
    m = method([p("filename", "const char *"), p("type", "int")])
    assert views(m) == (View("c_string", "filename"),)


def test_a_typedef_counts_as_the_type_it_names():
    m = method([p("data", "const unsigned char *"), p("data_len", "size_t", "unsigned long")])
    assert views(m) == (View("span", "data", "data_len", "const unsigned char"),)


def test_a_buffer_to_fill_is_a_mutable_span():
    m = method([p("stream_id", "int"), p("buf", "char *"), p("buflen", "size_t", "unsigned long")])
    assert views(m) == (View("span", "buf", "buflen", "char"),)


def test_a_count_before_an_array_is_a_span_of_its_elements():
    m = method([p("num_attrs", "unsigned long"), p("attrs", "const libssh2_publickey_attribute", array=True)])
    assert views(m) == (View("span", "attrs", "num_attrs", "const libssh2_publickey_attribute"),)


def test_handles_pointers_to_pointers_void_and_callbacks_take_no_view():
    m = method([p("store", "struct libssh2_knownhost **"), p("n", "unsigned int"),
                p("ptr", "void *"), p("len", "size_t"),
                p("hosts", "LIBSSH2_KNOWNHOSTS *"), p("count", "unsigned int"),
                p("cb", "void (*)(void)", callback="f"), p("cb_len", "unsigned int")])
    assert views(m, frozenset({"LIBSSH2_KNOWNHOSTS"})) == ()


def test_a_libssh2_structure_that_is_not_a_handle_is_data():
    # libssh2_poll(LIBSSH2_POLLFD *fds, unsigned int nfds, long timeout)
    m = method([p("fds", "LIBSSH2_POLLFD *"), p("nfds", "unsigned int"), p("timeout", "long")], receiver=None)
    assert views(m, frozenset({"LIBSSH2_SESSION", "LIBSSH2_CHANNEL"})) == (View("span", "fds", "nfds", "LIBSSH2_POLLFD"),)


def exec_macro():
    """libssh2_channel_exec: the macro measures its command with strlen()."""
    return method([p("command", "const char *")], is_macro=True, c_name="libssh2_channel_exec",
                  target="libssh2_channel_process_startup", name="exec",
                  receiver=Param("channel", "LIBSSH2_CHANNEL *"),
                  call_args=(CallArg("channel", param="channel"), CallArg('"exec"'),
                             CallArg('sizeof("exec") - 1'), CallArg("command", param="command"),
                             CallArg("(unsigned int)strlen(command)", length_of="command",
                                     length_type="unsigned int")))


def test_a_string_a_macro_measures_is_text_and_its_size_replaces_strlen():
    m = exec_macro()
    assert views(m) == (View("text", "command"),)
    m = dataclasses.replace(m, views=views(m))
    assert view_params(m) == "text_view command"
    assert view_call(m, "get()") == ('libssh2_channel_process_startup(get(), "exec", sizeof("exec") - 1, '
                                     'command.data(), static_cast<unsigned int>(command.size()))')


def test_a_macro_pair_is_a_pair_in_the_call_it_expands_to_not_in_its_own_parameter_list():
    # libssh2_sftp_open(sftp, filename, flags, mode): flags follows filename among the macro's
    # parameters, but the call passes strlen(filename) after it.
    m = method([p("filename", "const char *"), p("flags", "unsigned long"), p("mode", "long")],
               is_macro=True, target="libssh2_sftp_open_ex", receiver=Param("sftp", "LIBSSH2_SFTP *"),
               call_args=(CallArg("sftp", param="sftp"), CallArg("filename", param="filename"),
                          CallArg("strlen(filename)", length_of="filename", length_type="unsigned int"),
                          CallArg("flags", param="flags"), CallArg("mode", param="mode"), CallArg("0")))
    assert views(m) == (View("text", "filename"),)


def test_the_overload_passes_each_view_as_the_pointer_and_length_it_stands_for():
    m = method([p("name", "const unsigned char *"), p("blob", "const unsigned char *"),
                p("blob_len", "unsigned long"), p("num", "unsigned long"),
                p("attrs", "const attr", array=True), p("user", "const char *")],
               is_macro=True, target="libssh2_publickey_add_ex", receiver=Param("pkey", "LIBSSH2_PUBLICKEY *"),
               call_args=(CallArg("pkey", param="pkey"), CallArg("name", param="name"),
                          CallArg("strlen(name)", length_of="name", length_type="unsigned long"),
                          CallArg("blob", param="blob"), CallArg("blob_len", param="blob_len"),
                          CallArg("num", param="num"), CallArg("attrs", param="attrs"),
                          CallArg("user", param="user")))
    m = dataclasses.replace(m, views=views(m))
    assert view_params(m, "publickey &pkey") == (
        "publickey &pkey, text_view name, span<const unsigned char> blob, span<const attr> attrs, c_string user")
    assert view_call(m, "get()") == (
        "libssh2_publickey_add_ex(get(), reinterpret_cast<const unsigned char *>(name.data()), "
        "static_cast<unsigned long>(name.size()), blob.data(), static_cast<unsigned long>(blob.size()), "
        "static_cast<unsigned long>(attrs.size()), attrs.data(), user.c_str())")
    assert view_summary(m) == ("name as text_view; blob as span<const unsigned char>; "
                               "attrs as span<const attr>; user as c_string")
    assert view_test_args(m) == ('std::string_view("text"), std::vector<unsigned char>(), '
                                 'std::vector<attr>(), std::string("text")')


@pytest.fixture(scope="module")
def binding():
    """The binding of libssh2's head (the last supported header set)."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    dirs = subprocess.run([os.path.join(repo, "scripts", "header-sets")], capture_output=True,
                          text=True, check=True).stdout.split()
    return build_binding(parse_release(dirs[-1]))


def test_in_libssh2s_own_headers(binding):
    by_name = {(s.name, m.name): m for s in binding.classes + binding.namespaces
               for m in s.instance_methods + s.static_methods}
    assert by_name[("userauth", "list")].views == (View("text", "username", "username_len"),)
    assert by_name[("knownhost", "readfile")].views == (View("c_string", "filename"),)
    assert by_name[("channel", "read")].views == (View("span", "buf", "buflen", "char"),)
    assert by_name[("sftp", "open")].views == (View("text", "filename"),)
    assert by_name[("scp", "send64")].views == (View("c_string", "path"),)
    # A method that frees its handle gets no overload.
    assert by_name[("session", "free")].views == ()
