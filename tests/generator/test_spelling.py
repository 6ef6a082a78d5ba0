"""spelling.py: the C++ fragments the templates use, as pure functions."""
from generator.model import Availability, CallArg, Method, Param
from generator.spelling import (adopt, c_call, callable_call, callable_overload_params, complementary, declare,
                                guard, guarded, param_decl, params_to_c, trampoline_args)


def test_declarations_put_the_name_where_c_wants_it():
    assert declare("const char *", "path") == "const char *path"
    assert declare("int", "n") == "int n"
    assert declare("void *(*)(size_t, void **)", "my_alloc") == "void *(*my_alloc)(size_t, void **)"
    assert param_decl(Param("keys", "const char *", array=True)) == "const char * keys[]"
    assert params_to_c([Param("a", "int"), Param("b", "char **")], "session &s") == "session &s, int a, char **b"


def method(**fields):
    base = dict(name="m", c_name="libssh2_x", is_macro=False, target="libssh2_x", result="int", params=())
    base.update(fields)
    return Method(**base)


def test_a_function_is_called_with_its_receiver_and_arguments():
    m = method(params=(Param("n", "int"),), receiver=Param("channel", "LIBSSH2_CHANNEL *"))
    assert c_call(m, "get()") == "libssh2_x(get(), n)"
    assert c_call(m, "get()", {"n": "&trampoline"}) == "libssh2_x(get(), &trampoline)"


def test_a_strlen_macro_calls_its_target_with_explicit_casts():
    params = (Param("path", "const char *"), Param("key", "const unsigned char *"))
    m = method(is_macro=True, c_name="libssh2_sftp_x", target="libssh2_sftp_x_ex", via_macro=False,
               receiver=Param("sftp", "LIBSSH2_SFTP *"), params=params,
               call_args=(CallArg("(sftp)", param="sftp"), CallArg("(path)", param="path"),
                          CallArg("(unsigned int)strlen(path)", length_of="path", length_type="unsigned int"),
                          CallArg("strlen(key)", length_of="key", length_type="size_t"),
                          CallArg("LIBSSH2_SFTP_STAT")))
    assert c_call(m, "get()") == (
        "libssh2_sftp_x_ex(get(), path, static_cast<unsigned int>(std::strlen(path)), "
        "std::strlen(reinterpret_cast<const char *>(key)), LIBSSH2_SFTP_STAT)")


def test_a_plain_macro_is_called_by_its_own_name():
    m = method(is_macro=True, c_name="libssh2_channel_flush", target="libssh2_channel_flush_ex",
               receiver=Param("channel", "LIBSSH2_CHANNEL *"))
    assert c_call(m, "get()") == "libssh2_channel_flush(get())"


def test_guards_are_simplified():
    assert guard(Availability()) == ""
    assert guard(Availability(since=0x010b00)) == "LIBSSH2_VERSION_NUM >= 0x010b00"
    assert guard(Availability(before=0x010b01)) == "LIBSSH2_VERSION_NUM < 0x010b01"
    # no ">= X && (!defined(...) || < X)" tautology
    assert guard(Availability(since=0x010b01, no_deprecated_since=0x010b01)) == \
        "LIBSSH2_VERSION_NUM >= 0x010b01 && !defined(LIBSSH2_NO_DEPRECATED)"
    assert guard(Availability(no_deprecated_since=0x010b01)) == \
        "!defined(LIBSSH2_NO_DEPRECATED) || LIBSSH2_VERSION_NUM < 0x010b01"
    assert guard(Availability(since=0x010900, no_deprecated_since=0x010b01)) == \
        "LIBSSH2_VERSION_NUM >= 0x010900 && (!defined(LIBSSH2_NO_DEPRECATED) || LIBSSH2_VERSION_NUM < 0x010b01)"


def test_complementary_forms_become_if_else():
    old, new = Availability(before=0x010b01), Availability(since=0x010b01)
    assert complementary(old, new) and not complementary(new, old)
    assert not complementary(old, Availability(since=0x010b01, no_deprecated_since=0x010b01))
    a, b, c = method(availability=old), method(availability=new), method(name="z", availability=new)
    assert [(g.open, g.close, g.blank) for g in guarded([a, b, c])] == [
        ("#if LIBSSH2_VERSION_NUM < 0x010b01\n", "#else\n", "\n"),
        ("", "#endif\n", ""),
        ("#if LIBSSH2_VERSION_NUM >= 0x010b01\n", "#endif\n", "\n")]


def test_a_factory_wraps_its_new_handle_keeping_the_session_or_the_receiver_alive():
    channel = method(returns_class="channel")
    handle = method(returns_class="sftp_handle", parent_is_receiver=True)
    borrowed = method(returns_class="channel", parent_is_receiver=True, returns_view=True)
    assert adopt(channel, "node_", "raw") == "detail::access::make<channel>(detail::root(node_), raw, true)"
    assert adopt(handle, "node_", "raw") == "detail::access::make<sftp_handle>(node_, raw, true)"
    assert adopt(borrowed, "node_", "raw") == "detail::access::make<channel>(node_, raw, false)"
    assert adopt(method(returns_class="session"), "nullptr", "raw") == "detail::access::make<session>(nullptr, raw, true)"


def test_a_callable_overload_drops_the_state_parameter_and_passes_the_trampoline():
    from generator.model import Callback, CallbackKind
    params = (Param("username", "const char *"), Param("cb", "int (*)(void **)", callback="LIBSSH2_X_FUNC"),
              Param("abstract", "void **"))
    m = method(params=params, receiver=Param("session", "LIBSSH2_SESSION *"), callable_param="cb",
               callable_kind="x", state_arg="abstract")
    kind = CallbackKind("x", Callback("LIBSSH2_X_FUNC", "int", (Param("abstract", "void **"),), True))
    assert callable_overload_params(m) == "const char *username, Callable &&cb"
    assert c_call(m, "session.get()", trampoline_args(m, kind)) == \
        "libssh2_x(session.get(), username, &detail::x_trampoline, &state_pointer)"


def test_a_callable_overload_with_views_takes_text_and_passes_its_size():
    from generator.model import Callback, CallbackKind, View
    params = (Param("username", "const char *"), Param("username_len", "unsigned int"),
              Param("cb", "void (*)(void **)", callback="LIBSSH2_X_FUNC"))
    m = method(params=params, receiver=Param("session", "LIBSSH2_SESSION *"), callable_param="cb",
               callable_kind="x", views=(View("text", "username", "username_len"),))
    kind = CallbackKind("x", Callback("LIBSSH2_X_FUNC", "void", (Param("abstract", "void **"),), True))
    assert callable_overload_params(m) == "const char *username, unsigned int username_len, Callable &&cb"
    assert callable_overload_params(m, True) == "text_view username, Callable &&cb"
    assert callable_call(m, kind, "session.get()") == \
        "libssh2_x(session.get(), username, username_len, &detail::x_trampoline)"
    assert callable_call(m, kind, "session.get()", True) == \
        ("libssh2_x(session.get(), username.data(), static_cast<unsigned int>(username.size()), "
         "&detail::x_trampoline)")


def test_a_macro_is_described_by_its_target_never_as_a_convenience_macro():
    from generator.spelling import about, doc_text
    read = method(name="read", c_name="libssh2_channel_read", is_macro=True, target="libssh2_channel_read_ex",
                  description="convenience macro for libssh2_channel_read_ex(3) calls")
    descriptions = {"libssh2_channel_read_ex": "read data from a channel stream"}
    assert about(read, descriptions) == "read data from a channel stream"
    assert about(read, {}) == ""
    assert doc_text(read, descriptions) == \
        "libssh2_channel_read (macro for libssh2_channel_read_ex): read data from a channel stream"
    assert doc_text(method(c_name="libssh2_x")) == "libssh2_x"


def test_a_comment_fits_the_column_limit_so_clang_format_merges_nothing():
    from generator.spelling import COLUMN_LIMIT, comment
    text = "libssh2_x: " + "word " * 40 + "span<const unsigned char> at the end"
    lines = comment(text, 4).split("\n")
    assert len(lines) > 1 and all(line.lstrip().startswith("// ") for line in lines)
    assert all(len(line) + (0 if i else 4) <= COLUMN_LIMIT for i, line in enumerate(lines))
    assert lines[1].startswith("    // ") and not lines[0].startswith(" ")
    assert "span<const unsigned char>" in comment(text, 4).replace("\n    // ", " ")
    assert "span<const unsigned char>" in "".join(lines)   # never split inside a type
    assert comment("short") == "// short"


def test_a_comment_says_what_the_man_page_says_and_which_releases_have_none():
    from generator.spelling import about
    assert about(method(description="read data")) == "read data"
    assert about(method(description="read data", undocumented_in=("1.9.0",))) == "read data (no man page in libssh2 1.9.0)"
    assert about(method(undocumented_in=("1.9.0", "1.10.0"))) == "no man page in libssh2 1.9.0, 1.10.0"
    assert about(method()) == ""


def test_a_failure_value_is_decided_by_the_type_and_the_state_by_its_slot():
    from generator.model import Callback, CallbackKind
    from generator.spelling import failure_value, state_value, trampoline
    assert failure_value("void *", "-1") == "nullptr"
    assert failure_value("LIBSSH2_CHANNEL *", "LIBSSH2_ERROR_BAD_USE") == "nullptr"
    assert failure_value("void (*)(void)", "-1") == "nullptr"
    assert failure_value("int", "-1") == "-1" and failure_value("ssize_t", "-1") == "-1"
    slot = Param("abstract", "void **")
    context = Param("context", "void *")
    debug = CallbackKind("debug", Callback("LIBSSH2_DEBUG_FUNC", "void", (slot,), True), state_param=slot)
    trace = CallbackKind("trace", Callback("libssh2_trace_handler_func", "void", (context,), False),
                         state_param=context)
    assert state_value(debug) == "*abstract" and state_value(trace) == "context"
    assert trampoline(debug) == "debug_trampoline"


def test_names_in_the_binding_are_spelled_once():
    from generator.spelling import pointer_result, qualified, receiver_handle, receiver_node, view_check_args
    from generator.model import View
    assert qualified("init") == "libssh2::init"
    assert qualified("open_session", "channel") == "libssh2::channel::open_session"
    m = method(receiver=Param("session", "LIBSSH2_SESSION *"), returns_class="channel", result="LIBSSH2_CHANNEL *")
    assert receiver_node(m) == "detail::access::node_of(session)" and receiver_handle(m) == "session.get()"
    assert pointer_result(m, True) == "libssh2::channel" and pointer_result(m, False) == "LIBSSH2_CHANNEL *"
    v = method(params=(Param("path", "const char *"), Param("mode", "int")), views=(View("c_string", "path", ""),))
    assert view_check_args(v, "session") == 'session, std::string("text"), {}'
    assert view_check_args(v) == 'std::string("text"), {}'
