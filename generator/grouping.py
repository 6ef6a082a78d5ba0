"""model.Api -> model.Binding: the one table that says where each C symbol lives in C++.

Rules, in order:
1. EXACT names a few symbols whose prefix says nothing (libssh2_trace, libssh2_poll...).
2. Otherwise the longest prefix in PREFIXES names the scope; the method name is the rest.
3. In a handle class, a symbol whose first parameter is the class's own handle is an
   instance method (the handle is implicit); any other symbol is a static method.
4. Classes with no prefix of their own (listener, sftp_handle) also get, as instance
   methods, every symbol whose first parameter is their handle
   (listener.forward_accept(), sftp_handle.read(...)).
5. A symbol returning a handle becomes a factory returning the owning class; the
   class's release function (and macros expanding to it) free the receiver.
A symbol no rule places is an error that names it.
"""
from __future__ import annotations

import re
from typing import Dict, List, Sequence, Tuple

from .model import (Api, Binding, CallArg, Callback, CallbackKind, Enumerator,
                    GeneratorError, HandleClass, Macro, Method, Param, Release, Scope, Symbol)

# Owning classes, in the order they are declared. parent: the class whose node a new
# handle keeps alive; the session is the root of every tree.
HANDLE_CLASSES = (
    HandleClass("session", "LIBSSH2_SESSION", "libssh2_session_free", ""),
    HandleClass("channel", "LIBSSH2_CHANNEL", "libssh2_channel_free", "session"),
    HandleClass("listener", "LIBSSH2_LISTENER", "libssh2_channel_forward_cancel", "session"),
    HandleClass("sftp", "LIBSSH2_SFTP", "libssh2_sftp_shutdown", "session"),
    HandleClass("sftp_handle", "LIBSSH2_SFTP_HANDLE", "libssh2_sftp_close_handle", "sftp"),
    HandleClass("agent", "LIBSSH2_AGENT", "libssh2_agent_free", "session"),
    HandleClass("knownhost", "LIBSSH2_KNOWNHOSTS", "libssh2_knownhost_free", "session"),
    HandleClass("publickey", "LIBSSH2_PUBLICKEY", "libssh2_publickey_shutdown", "session"),
)

# Classes with no prefix of their own: rule 4.
BORROWING_METHODS = ("listener", "sftp_handle")

# Namespaces of functions that take a session but have no handle of their own.
NAMESPACES = ("base64", "hostkey", "keepalive", "scp", "trace", "userauth")

FREE_FUNCTIONS = "libssh2"   # scope name for namespace-level functions

PREFIXES = {
    "libssh2_session_": "session",
    "libssh2_channel_": "channel",
    "libssh2_sftp_": "sftp",
    "libssh2_agent_": "agent",
    "libssh2_knownhost_": "knownhost",
    "libssh2_publickey_": "publickey",
    "libssh2_userauth_": "userauth",
    "libssh2_scp_": "scp",
    "libssh2_keepalive_": "keepalive",
    "libssh2_trace_": "trace",
    "libssh2_hostkey_": "hostkey",
    "libssh2_base64_": "base64",
}

EXACT = {
    "libssh2_init": (FREE_FUNCTIONS, "init"),
    "libssh2_exit": (FREE_FUNCTIONS, "exit"),
    "libssh2_free": (FREE_FUNCTIONS, "free"),
    "libssh2_version": (FREE_FUNCTIONS, "version"),
    "libssh2_poll": (FREE_FUNCTIONS, "poll"),
    "libssh2_crypto_engine": (FREE_FUNCTIONS, "crypto_engine"),
    # Deprecated twin of libssh2_session_banner_set, which owns session.banner_set.
    "libssh2_banner_set": (FREE_FUNCTIONS, "banner_set"),
    "libssh2_poll_channel_read": ("channel", "poll_channel_read"),
    "libssh2_trace": ("trace", "trace"),
}

# Second names the Lua seed's users know a function by (its README lists session:timeout()).
ALIASES = {
    "libssh2_session_get_timeout": "timeout",
}

# Functions returning a handle the binding must not free: the sftp session's own
# channel, freed by libssh2_sftp_shutdown.
BORROWED = {"libssh2_sftp_get_channel"}

# Constant families that become C++ enums: prefix -> enum name. Enumerators are the rest
# of the macro name in lower case (LIBSSH2_ERROR_SOCKET_NONE -> errc::socket_none).
ENUMS = {
    "LIBSSH2_ERROR_": "errc",
    "LIBSSH2_FX_": "sftp_errc",
    "LIBSSH2_CALLBACK_": "callback_type",
}

# Callbacks a C++ callable can stand in for: (C++ name, callback type, LIBSSH2_CALLBACK_*
# constant for session.callback_set, whether the callable stays installed after the call
# that installed it). The headers do not say which type goes with which constant: by name.
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

# The function whose slot the callables layer borrows for its state; the method returns the
# user's own slot instead while the layer is installed (detail::abstract_slot).
ABSTRACT_SLOT = "libssh2_session_abstract"

# C++ keywords: no generated name may be one (libssh2 names are C names).
CXX_KEYWORDS = frozenset("""
    alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
    char32_t class compl concept const consteval constexpr constinit const_cast continue
    co_await co_return co_yield decltype default delete do double dynamic_cast else enum explicit
    export extern false float for friend goto if inline int long mutable namespace new noexcept
    not not_eq nullptr operator or or_eq private protected public register reinterpret_cast
    requires return short signed sizeof static static_assert static_cast struct switch template
    this thread_local throw true try typedef typeid typename union unsigned using virtual void
    volatile wchar_t while xor xor_eq""".split())

# Names every owning class defines itself.
RESERVED = {"get", "release"}

_BY_RAW = {h.raw: h for h in HANDLE_CLASSES}
_BY_NAME = {h.name: h for h in HANDLE_CLASSES}


def place(name: str) -> Tuple[str, str]:
    """(scope, method name) for a C function or macro name."""
    if name in EXACT:
        return EXACT[name]
    matches = [p for p in PREFIXES if name.startswith(p)]
    if not matches:
        raise GeneratorError(
            f"{name}: no rule in generator/grouping.py places it in a class; "
            "add its prefix to PREFIXES or its name to EXACT")
    prefix = max(matches, key=len)
    return PREFIXES[prefix], name[len(prefix):]


def build_binding(api: Api) -> Binding:
    """Place every function and call-like macro of api."""
    entries: List[Tuple[str, Method]] = []   # (scope, method) from rule 1-3
    for symbol in list(api.functions) + list(api.macros):
        scope, name = place(symbol.name)
        entries.append((scope, _method(symbol, name)))
        if symbol.name in ALIASES:
            entries.append((scope, _method(symbol, ALIASES[symbol.name])))

    instance: Dict[str, List[Method]] = {h.name: [] for h in HANDLE_CLASSES}
    static: Dict[str, List[Method]] = {s: [] for s in list(_BY_NAME) + list(NAMESPACES)}
    free: List[Method] = []
    for scope, method in entries:
        own = _BY_NAME.get(scope)
        if own and method.receiver_class == own.name:
            instance[own.name].append(method)
            continue
        if scope == FREE_FUNCTIONS:
            free.append(method)
        elif scope in static:
            static[scope].append(method)
        else:
            raise GeneratorError(f"{method.c_name}: placed in unknown scope '{scope}'")
        if method.receiver_class in BORROWING_METHODS:
            instance[method.receiver_class].append(method)   # rule 4

    classes = tuple(Scope(h.name, h, _sorted(instance[h.name]), _sorted(static[h.name]))
                    for h in HANDLE_CLASSES)
    namespaces = tuple(Scope(n, None, (), _sorted(static[n])) for n in NAMESPACES)
    binding = Binding(releases=(Release(api.version, api.version_num, len(api.functions),
                                        len(api.macros) + len(api.not_calls), len(api.not_api)),),
                      classes=classes, namespaces=namespaces, free_functions=_sorted(free),
                      symbols=_symbols(api, entries), enumerators=_enumerators(api),
                      callback_kinds=_callback_kinds(api))
    _check_unique(binding)
    return binding


def _enumerators(api: Api) -> Tuple[Enumerator, ...]:
    out: Dict[Tuple[str, str], Enumerator] = {}
    for constant in api.constants:
        prefix = next((p for p in ENUMS if constant.name.startswith(p)), None)
        if prefix is None:
            raise GeneratorError(f"{constant.name}: no enum in grouping.ENUMS takes it")
        e = Enumerator(ENUMS[prefix], constant.name[len(prefix):].lower(), constant.name, constant.value)
        other = out.get((e.enum, e.name))
        if other is None:
            out[(e.enum, e.name)] = e
        elif other.value != e.value:
            raise GeneratorError(f"{other.constant} and {e.constant} would both be {e.enum}::{e.name}")
        elif e.constant == e.constant.upper():
            # LIBSSH2_FX_LOCK_CONFlICT, libssh2's "initial mis-spelling", gives way.
            out[(e.enum, e.name)] = e
    return tuple(out.values())


def _callback_kinds(api: Api) -> Tuple[CallbackKind, ...]:
    callbacks = {c.name: c for c in api.callbacks}
    constants = {c.name for c in api.constants}
    kinds = []
    for name, callback, constant, persistent in CALLBACK_KINDS:
        if callback not in callbacks or (constant and constant not in constants):
            continue  # not in this release
        signature = callbacks[callback]
        kinds.append(CallbackKind(name, signature, constant, persistent=persistent,
                                  state_param=_state_param(signature)))
    known = {k[1] for k in CALLBACK_KINDS} | {"LIBSSH2_CHANNEL_CLOSE_FUNC"}  # unused by any API
    unknown = sorted(set(callbacks) - known)
    if unknown:
        raise GeneratorError(f"callback types no row of grouping.CALLBACK_KINDS covers: {unknown}")
    return tuple(kinds)


def _state_param(callback: Callback) -> Param:
    """The parameter through which a callback reaches the binding's state: libssh2 hands back
    a void **abstract slot, or (trace handler) the void *context given when installing it."""
    for p in callback.params:
        if p.type.replace(" ", "") == "void**" and p.name == "abstract":
            return p
    for p in callback.params:
        if p.type.replace(" ", "") == "void*" and not p.name.startswith(("buffer", "ptr")):
            return p
    raise GeneratorError(f"{callback.name}: no parameter carries the caller's state")


def _symbols(api: Api, entries: Sequence[Tuple[str, Method]]) -> Tuple[Symbol, ...]:
    """Every public symbol of api with the C++ entry points that forward to it."""
    bound: Dict[str, List[str]] = {}
    for scope, method in entries:
        bound.setdefault(method.c_name, []).append(f"{scope}::{method.name}")
        if method.receiver_class in BORROWING_METHODS:
            bound[method.c_name].append(f"{method.receiver_class}::{method.name}")
    symbols = [Symbol(s.name, "macro" if isinstance(s, Macro) else "function", (api.version,),
                      tuple(sorted(set(bound[s.name]))))
               for s in api.functions + api.macros]
    symbols += [Symbol(u.name, u.kind, (api.version,), (), u.reason) for u in api.not_calls + api.not_api]
    return tuple(sorted(symbols, key=lambda s: s.name))


def _sorted(methods: Sequence[Method]) -> Tuple[Method, ...]:
    return tuple(sorted(methods, key=lambda m: (m.name, m.c_name)))


def _method(symbol, name: str) -> Method:
    params = symbol.params
    receiver = params[0] if params and params[0].raw_handle in _BY_RAW else None
    rest = params[1:] if receiver else params
    receiver_class = _BY_RAW[receiver.raw_handle].name if receiver else ""
    is_macro = isinstance(symbol, Macro)
    target = symbol.target if is_macro else symbol.name
    returns = _BY_RAW.get(_pointee(symbol.result))
    releases = bool(receiver) and _BY_RAW[receiver.raw_handle].release == target
    call_args: Tuple[CallArg, ...] = ()
    via_macro = True
    if is_macro:
        call_args = tuple(_call_arg(a, params) for a in symbol.call_args)
        # strlen() of an unsigned char * compiles in C but not in C++: call the function.
        via_macro = not any(a.length_of for a in call_args)
    callable_param, callable_kind, state_arg = _callable(symbol)
    return Method(
        callable_param=callable_param, callable_kind=callable_kind, state_arg=state_arg,
        abstract_slot=target == ABSTRACT_SLOT,
        name=name, c_name=symbol.name, is_macro=is_macro, target=target,
        result=symbol.result, params=rest, receiver=receiver, receiver_class=receiver_class,
        receiver_has_method=receiver_class in BORROWING_METHODS,
        returns_class=returns.name if returns else "",
        returns_view=target in BORROWED,
        parent_is_receiver=target in BORROWED or bool(returns) and returns.parent not in ("", "session"),
        releases=releases, result_is_void=symbol.result == "void",
        deprecated=symbol.deprecated, call_args=call_args, via_macro=via_macro)


def _callable(symbol) -> Tuple[str, str, str]:
    """(parameter, callback kind, state parameter) when one callback parameter of symbol can
    take a C++ callable; functions taking several (init_ex's allocator) are left out."""
    kinds = {callback: name for name, callback, _, _ in CALLBACK_KINDS}
    callbacks = [p for p in symbol.params if (p.declarator or p.type) in kinds]
    if len(callbacks) != 1:
        return "", "", ""
    param = callbacks[0]
    state = next((p.name for p in symbol.params if p.type.replace(" ", "") == "void**"
                  and p.name == "abstract"), "")
    state = state or next((p.name for p in symbol.params if p.type.replace(" ", "") == "void*"
                           and p.name == "context"), "")
    return param.name, kinds[param.declarator or param.type], state


def _pointee(ctype: str) -> str:
    text = ctype.strip()
    return text[:-1].strip() if text.endswith("*") else ""


def _call_arg(text: str, params: Sequence[Param]) -> CallArg:
    """One macro argument; strlen() of a non-char string parameter is marked as such."""
    m = re.fullmatch(r"(\((?P<cast>[\w ]+)\))?\s*strlen\(\s*\(?(?P<name>\w+)\)?\s*\)", text)
    if m:
        param = next((p for p in params if p.name == m.group("name")), None)
        if param and param.type.replace(" ", "") not in ("constchar*", "char*"):
            return CallArg(text=text, length_of=param.name, length_cast=m.group("cast") or "")
    bare = text.strip("() ")
    if any(p.name == bare for p in params) and re.fullmatch(r"\(*\s*\w+\s*\)*", text):
        return CallArg(text=text, param=bare)
    return CallArg(text=text)


def _check_unique(binding: Binding) -> None:
    """Two C symbols must never become the same C++ overload."""
    for scope in binding.classes + binding.namespaces:
        for kind, methods in (("instance", scope.instance_methods),
                              ("static", scope.static_methods)):
            seen: Dict[Tuple[str, Tuple[str, ...]], str] = {}
            for m in methods:
                key = (m.name, tuple(p.type for p in m.params))
                if key in seen:
                    raise GeneratorError(
                        f"{m.c_name} and {seen[key]} would both be {scope.name}::{m.name} "
                        "with the same parameters; rename one in grouping.EXACT")
                seen[key] = m.c_name
                if scope.handle and kind == "instance" and m.name in RESERVED and not m.params:
                    raise GeneratorError(f"{m.c_name} would hide {scope.name}::{m.name}()")
    names = [(m.c_name, m.name) for scope in binding.classes + binding.namespaces
             for m in scope.instance_methods + scope.static_methods]
    names += [(m.c_name, m.name) for m in binding.free_functions]
    names += [(e.constant, e.name) for e in binding.enumerators]
    for c_name, name in names:
        if name in CXX_KEYWORDS:
            raise GeneratorError(f"{c_name} would be named '{name}', a C++ keyword; rename it in grouping.py")
    seen_free: Dict[str, str] = {}
    for m in binding.free_functions:
        if m.name in seen_free:
            raise GeneratorError(f"{m.c_name} and {seen_free[m.name]} are both libssh2::{m.name}")
        seen_free[m.name] = m.c_name
