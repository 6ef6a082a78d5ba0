"""generator/error_texts.py: every LIBSSH2_ERROR_* / LIBSSH2_FX_* constant of the supported
header sets has a sentence, conditions name real std::errc values, and a constant the table
does not know still gets a readable message and a warning saying where to add its text.

Run (from the repository root): /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/generator/test_error_texts.py
"""
import os
import re
import subprocess

import pytest

from generator.error_texts import ERROR_TEXTS, enumerator_sentence, error_values
from generator.grouping import build_binding
from generator.model import Enumerator
from generator.render import render

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# std::errc's enumerators ([system.error.syn]); a condition must be one of them.
STD_ERRC = set("""
    address_family_not_supported address_in_use address_not_available already_connected
    argument_list_too_long argument_out_of_domain bad_address bad_file_descriptor bad_message
    broken_pipe connection_aborted connection_already_in_progress connection_refused
    connection_reset cross_device_link destination_address_required device_or_resource_busy
    directory_not_empty executable_format_error file_exists file_too_large filename_too_long
    function_not_supported host_unreachable identifier_removed illegal_byte_sequence
    inappropriate_io_control_operation interrupted invalid_argument invalid_seek io_error
    is_a_directory message_size network_down network_reset network_unreachable no_buffer_space
    no_child_process no_link no_lock_available no_message_available no_message no_protocol_option
    no_space_on_device no_stream_resources no_such_device_or_address no_such_device
    no_such_file_or_directory no_such_process not_a_directory not_a_socket not_a_stream
    not_connected not_enough_memory not_supported operation_canceled operation_in_progress
    operation_not_permitted operation_not_supported operation_would_block owner_dead
    permission_denied protocol_error protocol_not_supported read_only_file_system
    resource_deadlock_would_occur resource_unavailable_try_again result_out_of_range
    state_not_recoverable stream_timeout text_file_busy timed_out too_many_files_open_in_system
    too_many_files_open too_many_links too_many_symbolic_link_levels value_too_large
    wrong_protocol_type""".split())


def enumerator(constant, value, enum="errc"):
    return Enumerator(enum, constant.split("_", 2)[-1].lower(), constant, value)


def test_sentences_read_as_sentences_and_conditions_are_std_errc():
    for constant, (sentence, conditions) in ERROR_TEXTS.items():
        assert constant.startswith(("LIBSSH2_ERROR_", "LIBSSH2_FX_")), constant
        assert sentence[0].islower() or sentence.split()[0].isupper(), constant   # "SSH protocol error"
        assert constant not in sentence and not sentence.endswith("."), constant
        assert not re.search(r'["\\]', sentence), f"{constant}: the sentence goes into a C++ string literal"
        assert set(conditions) <= STD_ERRC, constant
        assert len(set(conditions)) == len(conditions), constant


def test_aliases_share_one_sentence_and_conditions_join():
    values = error_values([enumerator("LIBSSH2_ERROR_AUTHENTICATION_FAILED", -18),
                           enumerator("LIBSSH2_ERROR_PUBLICKEY_UNRECOGNIZED", -18),
                           enumerator("LIBSSH2_ERROR_EAGAIN", -37),
                           enumerator("LIBSSH2_FX_NO_SUCH_FILE", 2, "sftp_errc"),
                           enumerator("LIBSSH2_CALLBACK_DEBUG", 1, "callback_type")],
                          warn=pytest.fail)
    assert [(v.enum, v.value) for v in values] == [("errc", -37), ("errc", -18), ("sftp_errc", 2)]
    eagain, auth, missing = values
    assert auth.message == "authentication failed"
    assert auth.constant_names == "LIBSSH2_ERROR_AUTHENTICATION_FAILED / LIBSSH2_ERROR_PUBLICKEY_UNRECOGNIZED"
    assert eagain.conditions == ("operation_would_block", "resource_unavailable_try_again")
    assert missing.message == "no such file or directory"
    assert missing.conditions == ("no_such_file_or_directory",)


def test_an_unknown_constant_gets_a_generic_message_and_one_warning():
    warnings = []
    values = error_values([enumerator("LIBSSH2_ERROR_FOO", -99), enumerator("LIBSSH2_FX_BAR", 99, "sftp_errc")],
                          warn=warnings.append)
    assert [v.message for v in values] == ["libssh2 error LIBSSH2_ERROR_FOO", "SFTP status LIBSSH2_FX_BAR"]
    assert [v.conditions for v in values] == [(), ()]
    assert len(warnings) == 2
    assert "LIBSSH2_ERROR_FOO" in warnings[0] and "generator/error_texts.py" in warnings[0]
    assert enumerator_sentence(enumerator("LIBSSH2_ERROR_FOO", -99)) == "libssh2 error LIBSSH2_ERROR_FOO"


def test_an_unknown_constant_renders_and_the_generator_warns(parse, capsys):
    text = render(build_binding(parse("#define LIBSSH2_ERROR_NONE 0\n#define LIBSSH2_ERROR_FROM_THE_FUTURE (-99)\n")),
                  "cmd")["include/libssh2/errors.hpp"]
    assert 'case -99: return "libssh2 error LIBSSH2_ERROR_FROM_THE_FUTURE";' in text
    assert 'case -99: return "LIBSSH2_ERROR_FROM_THE_FUTURE";' in text   # constant_name
    assert "from_the_future = LIBSSH2_ERROR_FROM_THE_FUTURE,  // libssh2 error" in text
    err = capsys.readouterr().err
    assert "generator: warning: LIBSSH2_ERROR_FROM_THE_FUTURE: no sentence in generator/error_texts.py" in err
    assert err.count("generator: warning: LIBSSH2_ERROR_FROM_THE_FUTURE") == 1


def test_the_conditions_are_rendered(parse):
    text = render(build_binding(parse("#define LIBSSH2_ERROR_TIMEOUT (-9)\n#define LIBSSH2_ERROR_EAGAIN (-37)\n")),
                  "cmd")["include/libssh2/errors.hpp"]
    assert "case -9: return std::make_error_condition(std::errc::timed_out);" in text
    assert "case -37: return condition == std::errc::resource_unavailable_try_again;" in text


def test_every_constant_of_the_supported_header_sets_has_a_sentence():
    from generator.parse import parse_release
    from generator.releases import merge
    try:
        dirs = subprocess.run([os.path.join(REPO, "scripts", "header-sets")], capture_output=True, text=True,
                              check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"scripts/header-sets failed: {exc}")
    binding = build_binding(merge([parse_release(d) for d in dirs]))
    constants = {e.constant for e in binding.enumerators if e.enum in ("errc", "sftp_errc")}
    assert len(constants) > 70
    assert constants - set(ERROR_TEXTS) == set()
    # No stale rows; libssh2's "initial misspelling" gives way to LIBSSH2_FX_LOCK_CONFLICT.
    assert set(ERROR_TEXTS) - constants == {"LIBSSH2_FX_LOCK_CONFlICT"}
    error_values(binding.enumerators, warn=pytest.fail)
