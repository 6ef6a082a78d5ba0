"""grouping.py: which class each symbol lands in, receivers, factories, errors."""
import pytest

from generator.grouping import build_binding, place
from generator.model import GeneratorError

HANDLES = """
typedef struct _LIBSSH2_LISTENER LIBSSH2_LISTENER;
typedef struct _LIBSSH2_SFTP LIBSSH2_SFTP;
typedef struct _LIBSSH2_SFTP_HANDLE LIBSSH2_SFTP_HANDLE;
"""


def scope(binding, name):
    return next(s for s in binding.classes + binding.namespaces if s.name == name)


def test_prefix_table_and_exact_names():
    assert place("libssh2_channel_get_exit_signal") == ("channel", "get_exit_signal", "")
    assert place("libssh2_userauth_password_ex") == ("userauth", "password_ex", "")
    assert place("libssh2_poll_channel_read") == ("channel", "poll_channel_read", "")
    assert place("libssh2_trace") == ("trace", "trace", "")
    assert place("libssh2_version") == ("libssh2", "version", "")


def test_unplaced_function_is_bound_anyway_with_a_warning_naming_it(parse):
    api = parse("LIBSSH2_API int libssh2_frobnicate(int level);\n"
                "LIBSSH2_API int libssh2_wiggle(LIBSSH2_CHANNEL *channel, int n);\n")
    b = build_binding(api)
    (free,) = [m for m in b.free_functions if m.c_name == "libssh2_frobnicate"]
    assert free.name == "frobnicate" and [p.name for p in free.params] == ["level"]
    wiggle = next(m for m in scope(b, "channel").instance_methods if m.c_name == "libssh2_wiggle")
    assert wiggle.name == "wiggle" and wiggle.receiver.name == "channel"
    assert any("libssh2_frobnicate: no rule" in w and "libssh2::frobnicate" in w and "PREFIXES" in w
               for w in b.warnings)
    assert any("libssh2_wiggle" in w and "channel::wiggle" in w for w in b.warnings)


def test_receivers_factories_and_release(parse):
    api = parse(HANDLES +
                "LIBSSH2_API int libssh2_channel_eof(LIBSSH2_CHANNEL *channel);\n"
                "LIBSSH2_API int libssh2_channel_free(LIBSSH2_CHANNEL *channel);\n"
                "LIBSSH2_API LIBSSH2_CHANNEL *libssh2_channel_forward_accept(LIBSSH2_LISTENER *listener);\n"
                "LIBSSH2_API int libssh2_userauth_authenticated(LIBSSH2_SESSION *session);\n")
    b = build_binding(api)
    channel = scope(b, "channel")
    eof = next(m for m in channel.instance_methods if m.name == "eof")
    assert eof.receiver.name == "channel" and eof.params == ()
    assert next(m for m in channel.instance_methods if m.name == "free").releases
    accept = next(m for m in channel.static_methods if m.name == "forward_accept")
    assert accept.receiver_class == "listener" and accept.returns_class == "channel"
    # listener has no prefix of its own: it gets the method too
    assert [m.name for m in scope(b, "listener").instance_methods] == ["forward_accept"]
    (auth,) = scope(b, "userauth").static_methods
    assert auth.receiver_class == "session"


def test_sftp_handle_functions_live_in_sftp_and_sftp_handle(parse):
    api = parse(HANDLES, sftp=HANDLES.replace("typedef", "typedef") +
                "LIBSSH2_API int libssh2_sftp_fsync(LIBSSH2_SFTP_HANDLE *handle);\n"
                "LIBSSH2_API LIBSSH2_SFTP_HANDLE *libssh2_sftp_open_ex(LIBSSH2_SFTP *sftp, const char *filename);\n")
    b = build_binding(api)
    assert [m.name for m in scope(b, "sftp").static_methods] == ["fsync"]
    assert [m.name for m in scope(b, "sftp_handle").instance_methods] == ["fsync"]
    (open_ex,) = scope(b, "sftp").instance_methods
    assert open_ex.returns_class == "sftp_handle" and open_ex.parent_is_receiver


def test_same_overload_twice_is_an_error(parse):
    api = parse("LIBSSH2_API int libssh2_session_flag(LIBSSH2_SESSION *session, int flag);\n"
                "#define libssh2_session_flag_(session, flag) libssh2_session_flag((session), (flag))\n")
    # distinct names are fine
    build_binding(api)
    from generator import grouping
    grouping.EXACT["libssh2_session_flag_"] = ("session", "flag")
    try:
        with pytest.raises(GeneratorError, match="would both be session::flag"):
            build_binding(api)
    finally:
        del grouping.EXACT["libssh2_session_flag_"]


def test_a_cxx_keyword_as_a_name_is_an_error(parse):
    api = parse("LIBSSH2_API int libssh2_channel_delete(LIBSSH2_CHANNEL *channel);\n")
    with pytest.raises(GeneratorError, match="libssh2_channel_delete would be named 'delete', a C\\+\\+ keyword"):
        build_binding(api)


def test_an_opaque_type_a_function_makes_and_frees_is_an_owning_class(parse):
    api = parse("typedef struct _LIBSSH2_WIDGET LIBSSH2_WIDGET;\n"
                "LIBSSH2_API LIBSSH2_WIDGET *libssh2_widget_open(LIBSSH2_CHANNEL *channel);\n"
                "LIBSSH2_API int libssh2_widget_close(LIBSSH2_WIDGET *widget);\n"
                "LIBSSH2_API int libssh2_widget_free(LIBSSH2_WIDGET *widget);\n"
                "LIBSSH2_API int libssh2_widget_spin(LIBSSH2_WIDGET *widget, int turns);\n")
    b = build_binding(api)
    (widget,) = [h for h in b.handle_classes if h.raw == "LIBSSH2_WIDGET"]
    # _free wins over _close (which may only ask the peer); made from a channel: its child
    assert (widget.name, widget.release, widget.parent) == ("widget", "libssh2_widget_free", "channel")
    methods = {m.name: m for m in scope(b, "widget").instance_methods}
    assert sorted(methods) == ["close", "free", "spin"] and methods["free"].releases
    (open_,) = scope(b, "widget").static_methods
    assert open_.receiver_class == "channel" and open_.returns_class == "widget" and open_.parent_is_receiver
    assert not [w for w in b.warnings if "WIDGET" in w or "widget" in w]


def test_an_opaque_type_nothing_frees_is_a_warning_and_never_a_span(parse):
    api = parse("typedef struct _LIBSSH2_GADGET LIBSSH2_GADGET;\n"
                "LIBSSH2_API LIBSSH2_GADGET *libssh2_session_gadget(LIBSSH2_SESSION *session);\n"
                "LIBSSH2_API int libssh2_session_gadgets(LIBSSH2_SESSION *session, LIBSSH2_GADGET *g, size_t n);\n")
    b = build_binding(api)
    assert "LIBSSH2_GADGET" not in [h.raw for h in b.handle_classes]
    assert any(w.startswith("LIBSSH2_GADGET: an opaque handle type, but no function frees it") for w in b.warnings)
    (gadgets,) = [m for m in scope(b, "session").instance_methods if m.name == "gadgets"]
    assert gadgets.views == ()
