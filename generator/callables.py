"""The callback rules: which callback types a C++ callable can stand in for, and which
parameter of a function takes one. Read by grouping.py; knows nothing of placement.

Each LIBSSH2_CALLBACK_X constant is paired with its callback type by name (LIBSSH2_X_FUNC,
or the one LIBSSH2_X_..._FUNC / libssh2_x_..._func, macro or typedef) and becomes kind x of
session.callback_set; a constant no type pairs with is a warning naming it. CALLBACK_KINDS
overrides: the kinds whose name or pairing the declarations do not give, and the kinds of
callback parameters (whether a callable stays installed is not in the declarations).
A callback type no kind covers is a warning: functions taking it are bound with the raw
function pointer and get no callable overload.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from .model import Api, Callback, CallbackKind, GeneratorError, Param

_CONSTANT_PREFIX = "LIBSSH2_CALLBACK_"

# (C++ name, callback type, LIBSSH2_CALLBACK_* constant for session.callback_set, whether the
# callable stays installed after the call that installed it). Rows with a constant keep the
# Lua seed's order and names (x11: LIBSSH2_X11_OPEN_FUNC; authagent_identities:
# LIBSSH2_ADD_IDENTITIES_FUNC, which no name rule finds); the others are callback parameters.
CALLBACK_KINDS = (
    ("ignore", "LIBSSH2_IGNORE_FUNC", "LIBSSH2_CALLBACK_IGNORE", True),
    ("debug", "LIBSSH2_DEBUG_FUNC", "LIBSSH2_CALLBACK_DEBUG", True),
    ("disconnect", "LIBSSH2_DISCONNECT_FUNC", "LIBSSH2_CALLBACK_DISCONNECT", True),
    ("macerror", "LIBSSH2_MACERROR_FUNC", "LIBSSH2_CALLBACK_MACERROR", True),
    ("x11", "LIBSSH2_X11_OPEN_FUNC", "LIBSSH2_CALLBACK_X11", True),
    ("send", "LIBSSH2_SEND_FUNC", "LIBSSH2_CALLBACK_SEND", True),
    ("recv", "LIBSSH2_RECV_FUNC", "LIBSSH2_CALLBACK_RECV", True),
    ("authagent", "LIBSSH2_AUTHAGENT_FUNC", "LIBSSH2_CALLBACK_AUTHAGENT", True),
    ("authagent_identities", "LIBSSH2_ADD_IDENTITIES_FUNC", "LIBSSH2_CALLBACK_AUTHAGENT_IDENTITIES", True),
    ("authagent_sign", "LIBSSH2_AUTHAGENT_SIGN_FUNC", "LIBSSH2_CALLBACK_AUTHAGENT_SIGN", True),
    ("trace", "libssh2_trace_handler_func", "", True),
    ("keyboard_interactive", "LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC", "", False),
    ("password_change", "LIBSSH2_PASSWD_CHANGEREQ_FUNC", "", False),
    ("publickey_sign", "LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC", "", False),
    ("publickey_sk_sign", "LIBSSH2_USERAUTH_SK_SIGN_FUNC", "", False),
    ("alloc", "LIBSSH2_ALLOC_FUNC", "", True),
    ("free", "LIBSSH2_FREE_FUNC", "", True),
    ("realloc", "LIBSSH2_REALLOC_FUNC", "", True),
)

# Callback types no libssh2 function takes: nothing to stand in for.
UNUSED_CALLBACKS = frozenset({"LIBSSH2_CHANNEL_CLOSE_FUNC"})



def kind_table(api: Api) -> Tuple[Tuple[Tuple[str, str, str, bool], ...], Tuple[str, ...]]:
    """CALLBACK_KINDS plus a row for each LIBSSH2_CALLBACK_* constant no row names, paired
    with its callback type by name; a warning for each constant that pairs with none."""
    rows = list(CALLBACK_KINDS)
    warnings: List[str] = []
    named = {constant for _, _, constant, _ in rows if constant}
    taken = {callback for _, callback, _, _ in rows}
    seen = set()
    for constant in api.constants:
        if not constant.name.startswith(_CONSTANT_PREFIX) or constant.name in named or constant.name in seen:
            continue
        seen.add(constant.name)
        word = constant.name[len(_CONSTANT_PREFIX):]
        callback = _paired_type(word, [c.name for c in api.callbacks if c.name not in taken])
        if callback is None:
            warnings.append(f"{constant.name}: no callback type pairs with it (looked for "
                            f"LIBSSH2_{word}_FUNC, or one LIBSSH2_{word}_..._FUNC); session.callback_set "
                            "has no tag for it (add a row to generator/callables.py CALLBACK_KINDS)")
            continue
        rows.append((word.lower(), callback, constant.name, True))
        taken.add(callback)
    return tuple(rows), tuple(warnings)


def _paired_type(word: str, names: List[str]) -> Optional[str]:
    """The callback type named for a LIBSSH2_CALLBACK_<word> constant, or None."""
    exact = [n for n in names if n.upper() == f"LIBSSH2_{word}_FUNC"]
    if exact:
        return exact[0]
    near = sorted({n for n in names if re.fullmatch(rf"LIBSSH2_{word}_\w+_FUNC", n.upper())})
    return near[0] if len(near) == 1 else None


def callback_kinds(api: Api) -> Tuple[Tuple[CallbackKind, ...], Tuple[str, ...]]:
    """The kinds api's callback types allow (each available where its type and constant
    are), and a warning for each callback type no row covers and each constant no type
    pairs with."""
    constants = {c.name: c for c in api.constants}
    rows, warnings_ = kind_table(api)
    kinds, warnings = [], list(warnings_)
    covered = {callback for _, callback, _, _ in rows}
    for callback in api.callbacks:
        if callback.name not in covered and callback.name not in UNUSED_CALLBACKS:
            warnings.append(f"callback type {callback.name}: no row of generator/callables.py "
                            "CALLBACK_KINDS covers it; functions taking it are bound with the "
                            "raw function pointer, without a C++ callable overload")
    for name, callback_name, constant, persistent in rows:   # in the table's order
        if constant and constant not in constants:
            continue
        for callback in (c for c in api.callbacks if c.name == callback_name):
            availability = callback.availability
            if constant and constants[constant].availability.since > availability.since:
                availability = constants[constant].availability
            try:
                state = state_param(callback)
            except GeneratorError as exc:
                warnings.append(f"{exc}; no C++ callable for it")
                continue
            kinds.append(CallbackKind(name, callback, constant, persistent=persistent,
                                      state_param=state, availability=availability))
    return tuple(kinds), tuple(dict.fromkeys(warnings))


def state_param(callback: Callback) -> Param:
    """The parameter through which a callback reaches the binding's state, known by its type
    (names change between releases): the void ** slot libssh2 hands back (its last), or
    else (trace handler) the one void * context given when installing it."""
    slots = [p for p in callback.params if _is(p, "void**")]
    if slots:
        return slots[-1]
    contexts = [p for p in callback.params if _is(p, "void*")]
    if len(contexts) == 1:
        return contexts[0]
    raise GeneratorError(f"{callback.name}: no parameter carries the caller's state")


def _is(p: Param, ctype: str) -> bool:
    return p.type.replace(" ", "") == ctype


def callable_param(params: Tuple[Param, ...], kinds: Tuple[CallbackKind, ...]) -> Tuple[str, str, str]:
    """(parameter, callback kind, state parameter) when exactly one callback parameter can
    take a C++ callable of a known kind; functions taking several (init_ex's allocator) or
    an unknown kind are left out."""
    kind_of = {k.callback.name: k.name for k in kinds}
    callbacks: List[Param] = [p for p in params if p.callback]
    if len(callbacks) != 1 or callbacks[0].callback not in kind_of:
        return "", "", ""
    param = callbacks[0]
    # The argument libssh2 hands back to the callback: a void ** after it, or a void * context.
    slots = [p.name for p in params if _is(p, "void**")]
    contexts = [p.name for p in params if _is(p, "void*")]
    state = slots[-1] if slots else contexts[0] if len(contexts) == 1 else ""
    return param.name, kind_of[param.callback], state
