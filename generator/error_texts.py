"""What each libssh2 error constant means: a sentence for error_code::message() and the
portable std::errc conditions it compares equal to, keyed by the constant's name.

errors.hpp.j2 renders libssh2::errc (LIBSSH2_ERROR_*) and libssh2::sftp_errc (LIBSSH2_FX_*)
from the model's enumerators; this table only adds meaning. A constant it does not know (a
new libssh2 release) still gets a readable message, "libssh2 error LIBSSH2_ERROR_FOO", and a
warning naming this file. Conditions are listed only where the meaning fits; the first is
the constant's default_error_condition, the others compare equal too (equivalent()).
An alias (a constant libssh2 defines as another) has its target's sentence.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from itertools import groupby
from typing import Callable, Dict, Iterable, Tuple

# constant -> (sentence, std::errc conditions, default first)
ERROR_TEXTS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    # LIBSSH2_ERROR_*: what libssh2's functions return
    "LIBSSH2_ERROR_NONE": ("no error", ()),
    # libssh2's generic -1, which libssh2.h says it means to retire: not about a socket at all
    "LIBSSH2_ERROR_SOCKET_NONE": ("libssh2 failed without a specific error code", ()),
    "LIBSSH2_ERROR_BANNER_RECV": ("failed to receive the server's banner", ()),
    "LIBSSH2_ERROR_BANNER_NONE": ("failed to receive the server's banner", ()),
    "LIBSSH2_ERROR_BANNER_SEND": ("failed to send the banner", ()),
    "LIBSSH2_ERROR_INVALID_MAC": ("invalid message authentication code", ()),
    "LIBSSH2_ERROR_KEX_FAILURE": ("encryption key exchange with the server failed", ()),
    "LIBSSH2_ERROR_ALLOC": ("out of memory", ("not_enough_memory",)),
    "LIBSSH2_ERROR_SOCKET_SEND": ("failed to send on the socket", ()),
    "LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE": ("key exchange failed", ()),
    "LIBSSH2_ERROR_TIMEOUT": ("timed out waiting for the server", ("timed_out",)),
    "LIBSSH2_ERROR_HOSTKEY_INIT": ("failed to initialize the host key", ()),
    "LIBSSH2_ERROR_HOSTKEY_SIGN": ("failed to verify the host key signature", ()),
    "LIBSSH2_ERROR_DECRYPT": ("decryption failed", ()),
    "LIBSSH2_ERROR_SOCKET_DISCONNECT": ("the connection was closed by the server",
                                        ("connection_reset", "connection_aborted")),
    "LIBSSH2_ERROR_PROTO": ("SSH protocol error", ("protocol_error",)),
    "LIBSSH2_ERROR_PASSWORD_EXPIRED": ("the password has expired", ()),
    "LIBSSH2_ERROR_FILE": ("failed to read a key file", ()),
    "LIBSSH2_ERROR_METHOD_NONE": ("no method in common with the server", ()),
    "LIBSSH2_ERROR_AUTHENTICATION_FAILED": ("authentication failed", ()),
    "LIBSSH2_ERROR_PUBLICKEY_UNRECOGNIZED": ("authentication failed", ()),
    "LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED": ("the public key's signature was not accepted", ()),
    "LIBSSH2_ERROR_CHANNEL_OUTOFORDER": ("channel packet received out of order", ()),
    "LIBSSH2_ERROR_CHANNEL_FAILURE": ("the server failed to open the channel", ()),
    "LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED": ("the server denied the channel request", ()),
    "LIBSSH2_ERROR_CHANNEL_UNKNOWN": ("unknown channel", ()),
    "LIBSSH2_ERROR_CHANNEL_WINDOW_EXCEEDED": ("the peer sent more than the channel window allows", ()),
    "LIBSSH2_ERROR_CHANNEL_PACKET_EXCEEDED": ("a channel packet exceeds the maximum packet size", ()),
    "LIBSSH2_ERROR_CHANNEL_CLOSED": ("the channel is closed", ()),
    "LIBSSH2_ERROR_CHANNEL_EOF_SENT": ("end of file was already sent on the channel", ()),
    "LIBSSH2_ERROR_SCP_PROTOCOL": ("SCP protocol error", ()),
    "LIBSSH2_ERROR_ZLIB": ("zlib compression error", ()),
    "LIBSSH2_ERROR_SOCKET_TIMEOUT": ("timed out waiting on the socket", ("timed_out",)),
    "LIBSSH2_ERROR_SFTP_PROTOCOL": ("the SFTP server returned an error status", ()),
    "LIBSSH2_ERROR_REQUEST_DENIED": ("the server denied the request", ()),
    "LIBSSH2_ERROR_METHOD_NOT_SUPPORTED": ("the method is not supported", ()),
    "LIBSSH2_ERROR_INVAL": ("invalid argument", ("invalid_argument",)),
    "LIBSSH2_ERROR_INVALID_POLL_TYPE": ("invalid poll type", ("invalid_argument",)),
    "LIBSSH2_ERROR_PUBLICKEY_PROTOCOL": ("publickey subsystem protocol error", ()),
    # Would block: POSIX allows EAGAIN and EWOULDBLOCK to differ, so it equals both.
    "LIBSSH2_ERROR_EAGAIN": ("the operation would block; try again",
                             ("operation_would_block", "resource_unavailable_try_again")),
    # ERANGE is what POSIX calls a buffer too small (getcwd, ttyname_r).
    "LIBSSH2_ERROR_BUFFER_TOO_SMALL": ("the buffer is too small", ("result_out_of_range",)),
    "LIBSSH2_ERROR_BAD_USE": ("invalid use of the libssh2 API", ("invalid_argument",)),
    "LIBSSH2_ERROR_COMPRESS": ("compression failed", ()),
    "LIBSSH2_ERROR_OUT_OF_BOUNDARY": ("a length or offset is out of bounds", ()),
    "LIBSSH2_ERROR_AGENT_PROTOCOL": ("SSH agent protocol error", ()),
    "LIBSSH2_ERROR_SOCKET_RECV": ("failed to receive on the socket", ()),
    "LIBSSH2_ERROR_ENCRYPT": ("encryption failed", ()),
    "LIBSSH2_ERROR_BAD_SOCKET": ("bad socket descriptor", ("bad_file_descriptor",)),
    "LIBSSH2_ERROR_KNOWN_HOSTS": ("error in the known hosts data", ()),
    "LIBSSH2_ERROR_CHANNEL_WINDOW_FULL": ("the channel window is full", ()),
    "LIBSSH2_ERROR_KEYFILE_AUTH_FAILED": ("wrong passphrase or unrecognized private key file", ()),
    "LIBSSH2_ERROR_RANDGEN": ("random number generation failed", ()),
    "LIBSSH2_ERROR_MISSING_USERAUTH_BANNER": ("the server sent no user authentication banner", ()),
    "LIBSSH2_ERROR_ALGO_UNSUPPORTED": ("the algorithm is not supported", ()),
    "LIBSSH2_ERROR_MAC_FAILURE": ("message authentication code computation failed", ()),
    "LIBSSH2_ERROR_HASH_INIT": ("hash initialization failed", ()),
    "LIBSSH2_ERROR_HASH_CALC": ("hash calculation failed", ()),
    "LIBSSH2_ERROR_STORE_OVERFLOW": ("write exceeded the buffer size", ()),
    # LIBSSH2_FX_*: the SFTP server's status
    "LIBSSH2_FX_OK": ("success", ()),
    "LIBSSH2_FX_EOF": ("end of file", ()),
    "LIBSSH2_FX_NO_SUCH_FILE": ("no such file or directory", ("no_such_file_or_directory",)),
    "LIBSSH2_FX_PERMISSION_DENIED": ("permission denied", ("permission_denied",)),
    "LIBSSH2_FX_FAILURE": ("the SFTP server reported a failure", ()),
    "LIBSSH2_FX_BAD_MESSAGE": ("bad SFTP message", ("bad_message",)),
    "LIBSSH2_FX_NO_CONNECTION": ("no connection to the SFTP server", ("not_connected",)),
    "LIBSSH2_FX_CONNECTION_LOST": ("connection to the SFTP server lost",
                                   ("connection_aborted", "connection_reset")),
    "LIBSSH2_FX_OP_UNSUPPORTED": ("operation not supported by the SFTP server", ("operation_not_supported",)),
    "LIBSSH2_FX_INVALID_HANDLE": ("invalid file handle", ("bad_file_descriptor",)),
    "LIBSSH2_FX_NO_SUCH_PATH": ("no such path", ("no_such_file_or_directory",)),
    "LIBSSH2_FX_FILE_ALREADY_EXISTS": ("file exists", ("file_exists",)),
    "LIBSSH2_FX_WRITE_PROTECT": ("write-protected file system", ("read_only_file_system",)),
    "LIBSSH2_FX_NO_MEDIA": ("no medium in the drive", ()),
    "LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM": ("no space left on the file system", ("no_space_on_device",)),
    "LIBSSH2_FX_QUOTA_EXCEEDED": ("disk quota exceeded", ()),
    "LIBSSH2_FX_UNKNOWN_PRINCIPLE": ("unknown principal", ()),
    "LIBSSH2_FX_UNKNOWN_PRINCIPAL": ("unknown principal", ()),
    "LIBSSH2_FX_LOCK_CONFlICT": ("the file is locked by another process", ()),
    "LIBSSH2_FX_LOCK_CONFLICT": ("the file is locked by another process", ()),
    "LIBSSH2_FX_DIR_NOT_EMPTY": ("directory not empty", ("directory_not_empty",)),
    "LIBSSH2_FX_NOT_A_DIRECTORY": ("not a directory", ("not_a_directory",)),
    "LIBSSH2_FX_INVALID_FILENAME": ("invalid file name", ("invalid_argument",)),
    "LIBSSH2_FX_LINK_LOOP": ("too many levels of symbolic links", ("too_many_symbolic_link_levels",)),
}

# enum -> how a constant the table lacks is described
GENERIC = {
    "errc": "libssh2 error {constant}",
    "sftp_errc": "SFTP status {constant}",
}


def _print_warning(message: str) -> None:
    print(f"generator: warning: {message}", file=sys.stderr)


def sentence(enum: str, constant: str, warn: Callable[[str], None] = _print_warning) -> str:
    """The message of one constant: the table's sentence, or a generic one (and a warning)."""
    if constant in ERROR_TEXTS:
        return ERROR_TEXTS[constant][0]
    generic = GENERIC.get(enum, "libssh2 constant {constant}").format(constant=constant)
    warn(f"{constant}: no sentence in generator/error_texts.py (ERROR_TEXTS); its message is "
         f"\"{generic}\" until a line there gives it one and its std::errc conditions")
    return generic


@dataclass(frozen=True)
class ErrorValue:
    """One value of errc or sftp_errc, with every constant that has it (aliases share one)."""
    enum: str
    value: int
    constants: Tuple[str, ...]
    message: str                   # the constants' sentences, distinct ones joined by " / "
    conditions: Tuple[str, ...]    # std::errc names, default_error_condition first

    @property
    def constant_names(self) -> str:
        return " / ".join(self.constants)


def error_values(enumerators: Iterable, warn: Callable[[str], None] = _print_warning) -> Tuple[ErrorValue, ...]:
    """The values of the errc and sftp_errc enumerators, ordered by enum and value; each
    unknown constant is warned about once."""
    chosen = sorted((e for e in enumerators if e.enum in GENERIC), key=lambda e: (e.enum, e.value))
    warned = set()

    def warn_once(message: str) -> None:
        if message not in warned:
            warned.add(message)
            warn(message)

    out = []
    for (enum, value), group in groupby(chosen, key=lambda e: (e.enum, e.value)):
        constants = tuple(dict.fromkeys(e.constant for e in group))
        sentences = tuple(dict.fromkeys(sentence(enum, c, warn_once) for c in constants))
        conditions = tuple(dict.fromkeys(cond for c in constants for cond in ERROR_TEXTS.get(c, ("", ()))[1]))
        out.append(ErrorValue(enum, value, constants, " / ".join(sentences), conditions))
    return tuple(out)


def enumerator_sentence(enumerator) -> str:
    """Jinja filter: an enumerator's sentence (error_values() has warned about it already)."""
    return sentence(enumerator.enum, enumerator.constant, warn=lambda message: None)
