"""parse.py: LIBSSH2_API functions, call-like macros and their typing, deprecations, errors."""
import pytest

from generator.model import GeneratorError


def test_only_api_functions_are_kept(parse):
    api = parse("LIBSSH2_API int libssh2_a(LIBSSH2_SESSION *session);\n"
                "int libssh2_internal(int x);\n")
    assert [f.name for f in api.functions] == ["libssh2_a"]
    assert api.version == "9.9.9" and api.version_num == 0x090909
    (param,) = api.functions[0].params
    assert (param.name, param.type, param.raw_handle) == ("session", "LIBSSH2_SESSION *", "LIBSSH2_SESSION")


@pytest.mark.parametrize("macro, declarator", [
    ("void *name(size_t count, void **abstract)", "((*my_alloc))"),          # 1.9.0 - 1.11.1
    ("void (*(name)(size_t count, void **abstract))", "(*my_alloc)"),        # the development head
    ("void (*(name)(size_t count, void **abstract))", "((*my_alloc))"),
])
def test_callback_parameters_are_known_by_meaning_however_declared(parse, macro, declarator):
    api = parse(f"#define LIBSSH2_ALLOC_FUNC(name) {macro}\n"
                f"LIBSSH2_API LIBSSH2_SESSION *libssh2_session_init_ex(LIBSSH2_ALLOC_FUNC({declarator}), void *abstract);\n")
    (f,) = api.functions
    assert (f.params[0].name, f.params[0].callback) == ("my_alloc", "LIBSSH2_ALLOC_FUNC")
    assert f.params[0].type == "void *(*)(size_t, void **)"
    assert f.params[1].callback == ""


def test_a_function_pointer_without_a_callback_type_is_a_plain_parameter(parse):
    api = parse("LIBSSH2_API int libssh2_session_hook(LIBSSH2_SESSION *session, int (*hook)(int code));\n")
    (f,) = api.functions
    assert (f.params[1].type, f.params[1].callback) == ("int (*)(int)", "")
    assert f.params[1].canonical == "int (*)(int)"


def test_macro_params_typed_from_target_and_literals_kept(parse):
    api = parse("LIBSSH2_API int libssh2_channel_process_startup(LIBSSH2_CHANNEL *channel, const char *request,"
                " unsigned int request_len, const char *message, unsigned int message_len);\n"
                "#define libssh2_channel_exec(channel, command) \\\n"
                "  libssh2_channel_process_startup((channel), \"exec\", sizeof(\"exec\") - 1, \\\n"
                "                                  (command), (unsigned int)strlen(command))\n")
    (m,) = api.macros
    assert m.target == "libssh2_channel_process_startup"
    assert [(p.name, p.type) for p in m.params] == [("channel", "LIBSSH2_CHANNEL *"), ("command", "const char *")]
    assert m.call_args == ("(channel)", '"exec"', 'sizeof("exec") - 1', "(command)", "(unsigned int)strlen(command)")
    assert m.result == "int"


def test_macro_expanding_to_macro_is_followed_to_the_function(parse):
    api = parse("LIBSSH2_API int libssh2_channel_flush_ex(LIBSSH2_CHANNEL *channel, int streamid);\n"
                "#define libssh2_channel_flush_two(channel, id) libssh2_channel_flush_ex((channel), (id))\n"
                "#define libssh2_channel_flush(channel) libssh2_channel_flush_two((channel), 0)\n")
    flush = next(m for m in api.macros if m.name == "libssh2_channel_flush")
    assert flush.target == "libssh2_channel_flush_ex"
    assert flush.call_args == ("((channel))", "(0)")
    assert [(p.name, p.type) for p in flush.params] == [("channel", "LIBSSH2_CHANNEL *")]


def test_initializer_macros_are_listed_as_not_calls(parse):
    api = parse("", publickey="#define libssh2_publickey_attribute(name, value, mandatory) "
                              "{ (name), strlen(name), (value), strlen(value), (mandatory) },\n")
    assert api.macros == ()
    (unbound,) = api.not_calls
    assert unbound.name == "libssh2_publickey_attribute" and "initializer" in unbound.reason


def test_deprecation_comment_above_is_recorded(parse):
    api = parse("/* libssh2_old is DEPRECATED, do not use! */\n"
                "LIBSSH2_API int libssh2_old(LIBSSH2_SESSION *session);\n"
                "LIBSSH2_API int libssh2_new(LIBSSH2_SESSION *session);\n")
    deprecated = {f.name: f.deprecated for f in api.functions}
    assert "DEPRECATED" in deprecated["libssh2_old"]
    assert deprecated["libssh2_new"] == ""


def not_bound_with_warning(api, name, why):
    (unbound,) = [u for u in api.not_calls if u.name == name]
    assert why in unbound.reason
    assert any(name in w and why in w and "not bound" in w for w in api.warnings)


def test_macro_calling_unknown_function_is_a_warning(parse):
    api = parse("#define libssh2_x(a) libssh2_missing((a))\n")
    not_bound_with_warning(api, "libssh2_x", "not a LIBSSH2_API function")


def test_macro_with_untypable_parameter_is_a_warning(parse):
    api = parse("LIBSSH2_API int libssh2_f(int a, int b);\n#define libssh2_g(a, b) libssh2_f((a), (b) + 1)\n")
    not_bound_with_warning(api, "libssh2_g", "parameter 'b' is never passed")


def test_unknown_macro_construct_is_a_warning(parse):
    api = parse("LIBSSH2_API int libssh2_f(int a);\n#define libssh2_g(a) (libssh2_f(a) + 1)\n")
    not_bound_with_warning(api, "libssh2_g", "unknown macro construct")


def test_parse_errors_print_diagnostics(parse):
    with pytest.raises(GeneratorError, match=r"(?s)parse errors.*libssh2.h:10: unknown type name"):
        parse("LIBSSH2_API no_such_type libssh2_f(int a);\n")


def test_missing_header_names_the_path_and_package(tmp_path):
    from generator.parse import parse_api
    with pytest.raises(GeneratorError, match="libssh2.h not found.*libssh2-1-dev"):
        parse_api(str(tmp_path))
