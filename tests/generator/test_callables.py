"""callables.py: which callback types take a C++ callable, and which parameter carries the
state the trampoline finds its callable through (by type: names change between releases)."""
from generator.callables import callable_param, callback_kinds, state_param
from generator.model import Callback, Param

SK_SIGN = "#define LIBSSH2_USERAUTH_SK_SIGN_FUNC(name) int name(LIBSSH2_SESSION *session, void **{slot})\n"


def test_known_kind_found_with_its_state_slot_whatever_its_name(parse):
    for slot in ("abstract", "user_data"):
        api = parse(SK_SIGN.format(slot=slot) +
                    f"LIBSSH2_API int libssh2_userauth_x(LIBSSH2_SESSION *session, "
                    f"LIBSSH2_USERAUTH_SK_SIGN_FUNC((*cb)), void **{slot});\n")
        kinds, warnings = callback_kinds(api)
        assert [(k.name, k.state_param.name) for k in kinds] == [("publickey_sk_sign", slot)] and warnings == ()
        assert callable_param(api.functions[0].params, kinds) == ("cb", "publickey_sk_sign", slot)


def test_unknown_callback_type_is_a_warning_and_gets_no_callable(parse):
    api = parse("#define LIBSSH2_WIDGET_FUNC(name) void name(int n, void **abstract)\n"
                "LIBSSH2_API int libssh2_session_widget(LIBSSH2_SESSION *session, LIBSSH2_WIDGET_FUNC((*cb)));\n")
    kinds, warnings = callback_kinds(api)
    assert kinds == () and len(warnings) == 1 and "LIBSSH2_WIDGET_FUNC" in warnings[0]
    assert "CALLBACK_KINDS" in warnings[0]
    assert callable_param(api.functions[0].params, kinds) == ("", "", "")


def test_trace_handler_finds_its_state_through_the_context_pointer():
    trace = Callback("libssh2_trace_handler_func", "void",
                     (Param("arg0", "LIBSSH2_SESSION *"), Param("arg1", "void *"),
                      Param("arg2", "const char *"), Param("arg3", "size_t")), via_macro=False)
    assert state_param(trace).name == "arg1"


def test_a_callback_constant_pairs_with_its_type_by_name_or_is_a_warning_naming_it(parse):
    api = parse("#define LIBSSH2_CALLBACK_GREET 10\n"
                "#define LIBSSH2_CALLBACK_LONELY 11\n"
                "#define LIBSSH2_GREET_HELLO_FUNC(name) int name(LIBSSH2_SESSION *session, void **abstract)\n"
                "typedef int (*libssh2_greet_hello_unused_t)(int);\n")
    kinds, warnings = callback_kinds(api)
    assert [(k.name, k.constant, k.callback.name, k.persistent) for k in kinds] == [
        ("greet", "LIBSSH2_CALLBACK_GREET", "LIBSSH2_GREET_HELLO_FUNC", True)]
    assert [w.split(":")[0] for w in warnings if w.startswith("LIBSSH2_CALLBACK")] == ["LIBSSH2_CALLBACK_LONELY"]
