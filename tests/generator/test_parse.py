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


def test_callback_parameters_keep_their_declarator_macro(parse):
    api = parse("#define LIBSSH2_ALLOC_FUNC(name) void *name(size_t count, void **abstract)\n"
                "LIBSSH2_API LIBSSH2_SESSION *libssh2_session_init_ex(LIBSSH2_ALLOC_FUNC((*my_alloc)), void *abstract);\n")
    (f,) = api.functions
    assert f.params[0].declarator == "LIBSSH2_ALLOC_FUNC"
    assert f.params[0].name == "my_alloc"
    assert f.params[1].declarator == ""


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


def test_macro_calling_unknown_function_is_an_error(parse):
    with pytest.raises(GeneratorError, match="libssh2_x.*not a LIBSSH2_API function"):
        parse("#define libssh2_x(a) libssh2_missing((a))\n")


def test_macro_with_untypable_parameter_is_an_error(parse):
    with pytest.raises(GeneratorError, match="parameter 'b' is never passed"):
        parse("LIBSSH2_API int libssh2_f(int a, int b);\n#define libssh2_g(a, b) libssh2_f((a), (b) + 1)\n")


def test_unknown_macro_construct_is_an_error(parse):
    with pytest.raises(GeneratorError, match="unknown macro construct"):
        parse("LIBSSH2_API int libssh2_f(int a);\n#define libssh2_g(a) (libssh2_f(a) + 1)\n")


def test_parse_errors_print_diagnostics(parse):
    with pytest.raises(GeneratorError, match=r"(?s)parse errors.*libssh2.h:10: unknown type name"):
        parse("LIBSSH2_API no_such_type libssh2_f(int a);\n")


def test_missing_header_names_the_path_and_package(tmp_path):
    from generator.parse import parse_api
    with pytest.raises(GeneratorError, match="libssh2.h not found.*libssh2-1-dev"):
        parse_api(str(tmp_path))
