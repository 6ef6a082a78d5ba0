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
6. A function no rule places is bound anyway, with a warning that names it and the table
   to extend: an instance method of the class whose handle its first parameter is, or a
   free function in namespace libssh2.

Owning classes are read from the declarations (infer_handles): an incomplete LIBSSH2_X
typedef that a function returns and another frees (X_free, X_shutdown, X_close...) is class
x, prefix libssh2_x_, guarded by the releases that declare it, with rule 4 for functions
elsewhere that take it first. HANDLE_OVERRIDES names the classes whose name, parent or order
the declarations do not give.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Dict, List, Optional, Sequence, Tuple

from .callables import callable_param, callback_kinds
from .views import add_views
from .releases import merge
from .model import (ALWAYS, Api, Availability, Binding, CallArg, Enumerator, Function,
                    GeneratorError, HandleClass, Macro, Method, Param, Scope, Symbol, Unbound)

# Overrides of what infer_handles reads from the declarations, each with its reason; these
# classes exist whatever the headers declare, declared first, in this order (the Lua seed's
# order, which the committed header keeps). parent: the class whose node a new handle keeps
# alive; the session is the root of every tree.
HANDLE_OVERRIDES = (
    (HandleClass("session", "LIBSSH2_SESSION", "libssh2_session_free", ""),
     "the root: libssh2_session_init_ex takes no handle to be a child of"),
    (HandleClass("channel", "LIBSSH2_CHANNEL", "libssh2_channel_free", "session"),
     "libssh2_channel_close only sends a close: libssh2_channel_free is what frees it"),
    (HandleClass("listener", "LIBSSH2_LISTENER", "libssh2_channel_forward_cancel", "session"),
     "no libssh2_listener_ prefix: its functions live under libssh2_channel_ (rule 4)"),
    (HandleClass("sftp", "LIBSSH2_SFTP", "libssh2_sftp_shutdown", "session"),
     "the Lua seed's name and order"),
    (HandleClass("sftp_handle", "LIBSSH2_SFTP_HANDLE", "libssh2_sftp_close_handle", "sftp"),
     "no libssh2_sftp_handle_ prefix: its functions live under libssh2_sftp_ (rule 4)"),
    (HandleClass("agent", "LIBSSH2_AGENT", "libssh2_agent_free", "session"),
     "the Lua seed's name and order"),
    (HandleClass("knownhost", "LIBSSH2_KNOWNHOSTS", "libssh2_knownhost_free", "session"),
     "the type is plural, its prefix (libssh2_knownhost_) and the Lua seed's name singular"),
    (HandleClass("publickey", "LIBSSH2_PUBLICKEY", "libssh2_publickey_shutdown", "session"),
     "the Lua seed's name and order"),
)
HANDLE_CLASSES = tuple(h for h, _ in HANDLE_OVERRIDES)

# Classes with no prefix of their own: rule 4 (inferred classes get it too).
BORROWING_METHODS = ("listener", "sftp_handle")

# How a function that frees a handle is named, most final first: the one an inferred class's
# destructor calls (libssh2_channel_close only asks the peer; _free would win over it).
RELEASE_SUFFIXES = ("_free", "_shutdown", "_close_handle", "_close", "_cancel")

# Namespaces of functions that take a session but have no handle of their own.
NAMESPACES = ("base64", "hostkey", "keepalive", "scp", "trace", "userauth")

FREE_FUNCTIONS = "libssh2"   # scope name for namespace-level functions

# Rule 2: the overridden classes' and the namespaces' prefixes (an inferred class adds its own,
# libssh2_<name>_). listener and sftp_handle have none: rule 4.
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

# Rule 1: names whose prefix says nothing, each with its reason.
EXACT = {
    # libssh2-wide, no handle: namespace libssh2 (the Lua seed's libssh2.init(), ...)
    "libssh2_init": (FREE_FUNCTIONS, "init"),
    "libssh2_exit": (FREE_FUNCTIONS, "exit"),
    "libssh2_free": (FREE_FUNCTIONS, "free"),
    "libssh2_version": (FREE_FUNCTIONS, "version"),
    "libssh2_poll": (FREE_FUNCTIONS, "poll"),
    # one function under libssh2_crypto_: no namespace for it
    "libssh2_crypto_engine": (FREE_FUNCTIONS, "crypto_engine"),
    # Deprecated twin of libssh2_session_banner_set, which owns session.banner_set.
    "libssh2_banner_set": (FREE_FUNCTIONS, "banner_set"),
    # takes a channel; libssh2_poll_ is no namespace of its own
    "libssh2_poll_channel_read": ("channel", "poll_channel_read"),
    # the trace namespace's own name: libssh2::trace::trace
    "libssh2_trace": ("trace", "trace"),
}

# Second names the Lua seed's users know a function by (its README lists session:timeout()).
ALIASES = {
    "libssh2_session_get_timeout": "timeout",
}

# Functions that start a session on a socket: the binding remembers it, to shut it down when
# a teardown would otherwise wait on a stuck peer (detail::cut).
TAKES_SOCKET = {"libssh2_session_handshake", "libssh2_session_startup"}

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

class Handles:
    """The owning classes of one binding: the overrides, then those inferred."""

    def __init__(self, classes: Sequence[HandleClass] = HANDLE_CLASSES):
        self.classes = tuple(classes)
        self.by_raw = {h.raw: h for h in self.classes}
        self.by_name = {h.name: h for h in self.classes}
        inferred = [h for h in self.classes if h.prefix]
        self.prefixes = dict(PREFIXES, **{h.prefix: h.name for h in inferred})
        self.borrowing = frozenset(BORROWING_METHODS) | {h.name for h in inferred}


_OVERRIDDEN = Handles()


def _pointee(ctype: str) -> str:
    text = ctype.strip()
    return text[:-1].strip() if text.endswith("*") else ""


def infer_handles(api: Api) -> Tuple[Handles, Tuple[str, ...]]:
    """The owning classes: HANDLE_OVERRIDES, then one per opaque LIBSSH2_X of api that a
    function returns and another frees, in header order; a warning for an opaque type that
    functions take but no class can own."""
    classes: List[HandleClass] = list(HANDLE_CLASSES)
    warnings: List[str] = []
    known = {h.raw for h in classes}
    functions: Dict[str, Function] = {}
    for f in api.functions:
        functions[f.name] = f   # the newest form of each
    for opaque in api.opaque_types:
        if opaque.name in known:
            continue
        makers = [f for f in functions.values() if _pointee(f.result) == opaque.name]
        freers = sorted((f for f in functions.values()
                         if len(f.params) == 1 and f.params[0].raw_handle == opaque.name
                         and any(f.name.endswith(s) for s in RELEASE_SUFFIXES)),
                        key=lambda f: (next(i for i, s in enumerate(RELEASE_SUFFIXES) if f.name.endswith(s)), f.name))
        owners = [f.params[0].raw_handle for f in makers if f.params and f.params[0].raw_handle]
        parent = next((o for o in owners if o == "LIBSSH2_SESSION"), owners[0] if owners else "")
        if not (makers and freers and parent in known):
            taken = any(p.raw_handle == opaque.name for f in functions.values() for p in f.params)
            if makers or taken:
                missing = ("no function returns it" if not makers else
                           "no function frees it (one parameter, a name ending in "
                           + ", ".join(RELEASE_SUFFIXES) + ")" if not freers else
                           "the function returning it takes no handle of an owning class first")
                warnings.append(f"{opaque.name}: an opaque handle type, but {missing}: no owning class; "
                                "functions taking it are bound with the raw pointer (add a row to "
                                "generator/grouping.py HANDLE_OVERRIDES to own it)")
            continue
        name = opaque.name[len("LIBSSH2_"):].lower()
        if name in CXX_KEYWORDS or name in NAMESPACES or name == FREE_FUNCTIONS:
            warnings.append(f"{opaque.name}: its class would be named '{name}', which is taken; no owning "
                            "class (add a row to generator/grouping.py HANDLE_OVERRIDES to name it)")
            continue
        freer = freers[0]
        # guarded where the type and its free function both are (any form of the function)
        availability = opaque.availability
        freed_since = min(f.availability.since for f in api.functions if f.name == freer.name)
        if freed_since > availability.since:
            availability = dataclasses.replace(availability, since=freed_since)
        classes.append(HandleClass(name, opaque.name, freer.name, next(h.name for h in classes if h.raw == parent),
                                   availability=availability, prefix=f"libssh2_{name}_"))
        known.add(opaque.name)
    return Handles(classes), tuple(warnings)


def place(name: str, params: Sequence[Param] = (), handles: Optional[Handles] = None) -> Tuple[str, str, str]:
    """(scope, method name, warning) for a C function or macro name and its parameters."""
    handles = handles or _OVERRIDDEN
    if name in EXACT:
        return EXACT[name] + ("",)
    matches = [p for p in handles.prefixes if name.startswith(p)]
    if matches:
        prefix = max(matches, key=len)
        return handles.prefixes[prefix], name[len(prefix):], ""
    short = name[len("libssh2_"):] if name.startswith("libssh2_") else name
    owner = handles.by_raw.get(params[0].raw_handle) if params else None
    where = f"{owner.name}::{short}" if owner else f"libssh2::{short}"
    warning = (f"{name}: no rule in generator/grouping.py places it; bound as {where} "
               "(add its prefix to PREFIXES or its name to EXACT to choose)")
    return (owner.name if owner else FREE_FUNCTIONS), short, warning


def build_binding(api: Api) -> Binding:
    """Place every function and call-like macro of api (merged by releases.merge; one
    release's Api is merged on its own first)."""
    if not api.releases:
        api = merge([api])
    kinds, warnings = callback_kinds(api)
    handles, handle_warnings = infer_handles(api)
    warnings = list(api.warnings) + list(warnings) + list(handle_warnings)
    for name in dict.fromkeys(f.name for f in api.functions if f.nodiscard):
        # An attribute macro the binding knows the meaning of; any other is left to C.
        warnings.append(f"{name}: declared warn_unused_result (an attribute macro); its methods "
                        "are [[nodiscard]]")
    entries: List[Tuple[str, Method]] = []   # (scope, method) from rules 1-3 and 6
    for symbol in list(api.functions) + list(api.macros):
        scope, name, warning = place(symbol.name, symbol.params, handles)
        for note in [warning] + _inline_callbacks(symbol):
            if note and note not in warnings:
                warnings.append(note)
        entries.append((scope, _method(symbol, name, kinds, handles, scope)))
        if symbol.name in ALIASES:
            entries.append((scope, _method(symbol, ALIASES[symbol.name], kinds, handles, scope)))

    instance: Dict[str, List[Method]] = {h.name: [] for h in handles.classes}
    static: Dict[str, List[Method]] = {s: [] for s in list(handles.by_name) + list(NAMESPACES)}
    free: List[Method] = []
    for scope, method in entries:
        own = handles.by_name.get(scope)
        if own and method.receiver_class == own.name:
            instance[own.name].append(method)
            continue
        if scope == FREE_FUNCTIONS:
            free.append(method)
        elif scope in static:
            static[scope].append(method)
        else:
            raise GeneratorError(f"{method.c_name}: placed in unknown scope '{scope}'")
        if method.receiver_class in handles.borrowing:
            instance[method.receiver_class].append(method)   # rule 4

    classes = tuple(Scope(h.name, h, _sorted(instance[h.name]), _sorted(static[h.name]))
                    for h in handles.classes)
    namespaces = tuple(Scope(n, None, (), _sorted(static[n])) for n in NAMESPACES)
    binding = Binding(releases=api.releases, classes=classes, namespaces=namespaces,
                      free_functions=_sorted(free), symbols=_symbols(api, entries, handles),
                      enumerators=_enumerators(api), callback_kinds=kinds,
                      warnings=tuple(warnings),
                      opaque_types=tuple(o.name for o in api.opaque_types))
    _check_unique(binding)
    return add_views(binding)


def _enumerators(api: Api) -> Tuple[Enumerator, ...]:
    out: Dict[tuple, Enumerator] = {}
    for constant in api.constants:
        prefix = next((p for p in ENUMS if constant.name.startswith(p)), None)
        if prefix is None:
            raise GeneratorError(f"{constant.name}: no enum in grouping.ENUMS takes it")
        e = Enumerator(ENUMS[prefix], constant.name[len(prefix):].lower(), constant.name, constant.value,
                       availability=constant.availability)
        same_name = [k for k in out if k[:2] == (e.enum, e.name)]
        alias = next((k for k in same_name if out[k].value == e.value), None)
        if alias is not None:
            if e.constant == e.constant.upper():
                # LIBSSH2_FX_LOCK_CONFlICT, libssh2's "initial mis-spelling", gives way.
                out[alias] = e
        elif any(out[k].availability == e.availability for k in same_name):
            other = next(out[k] for k in same_name if out[k].availability == e.availability)
            raise GeneratorError(f"{other.constant} and {e.constant} would both be {e.enum}::{e.name}")
        else:
            out[(e.enum, e.name, e.availability)] = e   # a value that changed: one per release range
    return tuple(out.values())


def _inline_callbacks(symbol) -> List[str]:
    """A warning per function pointer parameter declared inline (no LIBSSH2_*_FUNC macro, no
    typedef): no callback kind can say what a C++ callable for it would be."""
    if isinstance(symbol, Macro):
        return []
    return [f"{symbol.name}: parameter '{p.name}' is a function pointer declared inline ({p.type}); "
            "bound with the raw function pointer, without a C++ callable overload (declare a "
            "callback type for it, or add a row to generator/callables.py CALLBACK_KINDS)"
            for p in symbol.params if not p.callback and "(*)" in p.type]


def _symbols(api: Api, entries: Sequence[Tuple[str, Method]], handles: Handles = _OVERRIDDEN) -> Tuple[Symbol, ...]:
    """Every public symbol of api with the C++ entry points that forward to it. The forms
    of one symbol are one Symbol; bound and not bound (LIBSSH2_API in some releases only)
    are two."""
    bound: Dict[str, List[str]] = {}
    for scope, method in entries:
        bound.setdefault(method.c_name, []).append(f"{scope}::{method.name}")
        if method.receiver_class in handles.borrowing and method.receiver_class != scope:
            bound[method.c_name].append(f"{method.receiver_class}::{method.name}")
    groups: Dict[Tuple[str, str, bool], list] = {}
    for s in api.functions + api.macros + api.not_calls + api.not_api:
        if isinstance(s, Unbound):
            groups.setdefault((s.name, s.kind, False), []).append(s)
        else:
            groups.setdefault((s.name, "macro" if isinstance(s, Macro) else "function", True), []).append(s)
    symbols = []
    for (name, kind, is_bound), forms in groups.items():
        releases = tuple(r.version for r in api.releases if any(r.version in f.releases for f in forms))
        union = spanning([f.availability for f in forms])
        symbols.append(Symbol(name, kind, releases, tuple(sorted(set(bound[name]))) if is_bound else (),
                              "" if is_bound else forms[-1].reason, union[0], forms=union))
    return tuple(sorted(symbols, key=lambda s: (s.name, s.availability.since)))


def spanning(availabilities: Sequence[Availability]) -> Tuple[Availability, ...]:
    """Where any of a symbol's forms is declared, as few Availabilities as say it exactly
    (each form's own LIBSSH2_NO_DEPRECATED bound kept: a form that hides from release N on
    and one that never hides are not one that hides from N)."""
    def hidden_from(a: Availability) -> int:
        # the first release this form is hidden in, or 0 if none of its own
        if not a.no_deprecated_since or (a.before and a.no_deprecated_since >= a.before):
            return 0
        return max(a.no_deprecated_since, a.since)
    out: List[Availability] = []
    for a in sorted(set(availabilities), key=lambda a: (a.since, a.before)):
        last = out[-1] if out else None
        if last is not None and last.before and last.before == a.since:
            first, second = hidden_from(last), hidden_from(a)
            if not first:
                out[-1] = Availability(last.since, a.before, second)
                continue
            if first and second == a.since:
                out[-1] = Availability(last.since, a.before, first)
                continue
        out.append(a)
    return tuple(out) or (ALWAYS,)


def _sorted(methods: Sequence[Method]) -> Tuple[Method, ...]:
    return tuple(sorted(methods, key=lambda m: (m.name, m.c_name)))


def _method(symbol, name: str, kinds, handles: Handles = _OVERRIDDEN, scope: str = "") -> Method:
    params = symbol.params
    receiver = params[0] if params and params[0].raw_handle in handles.by_raw else None
    rest = params[1:] if receiver else params
    receiver_class = handles.by_raw[receiver.raw_handle].name if receiver else ""
    is_macro = isinstance(symbol, Macro)
    target = symbol.target if is_macro else symbol.name
    returns = handles.by_raw.get(_pointee(symbol.result))
    releases = bool(receiver) and handles.by_raw[receiver.raw_handle].release == target
    call_args: Tuple[CallArg, ...] = ()
    via_macro = True
    if is_macro:
        call_args = tuple(_call_arg(a, params, t) for a, t in zip(symbol.call_args, symbol.arg_types))
        # A length the macro computes with strlen() is passed by the binding itself, with an
        # explicit cast to the parameter's type: strlen() of an unsigned char * does not
        # compile in C++, and an implicit narrowing warns under -Wconversion in users' builds.
        via_macro = not any(a.length_of for a in call_args)
    callable_param_, callable_kind, state_arg = callable_param(symbol.params, kinds)
    return Method(
        callable_param=callable_param_, callable_kind=callable_kind, state_arg=state_arg,
        availability=symbol.availability,
        abstract_slot=target == ABSTRACT_SLOT,
        name=name, c_name=symbol.name, is_macro=is_macro, target=target,
        result=symbol.result, params=rest, receiver=receiver, receiver_class=receiver_class,
        receiver_has_method=receiver_class in handles.borrowing and receiver_class != scope,
        returns_class=returns.name if returns else "",
        returns_view=target in BORROWED,
        parent_is_receiver=target in BORROWED or bool(returns) and returns.parent not in ("", "session"),
        releases=releases, result_is_void=symbol.result == "void",
        remembers_socket=target in TAKES_SOCKET,
        deprecated=symbol.deprecated, call_args=call_args, via_macro=via_macro,
        description=symbol.description, undocumented_in=symbol.undocumented_in,
        nodiscard=symbol.nodiscard)


def _call_arg(text: str, params: Sequence[Param], target_type: str) -> CallArg:
    """One macro argument; strlen() of a parameter is marked as such, with the type of the
    target's parameter it is passed as."""
    m = re.fullmatch(r"(\((?P<cast>[\w ]+)\))?\s*strlen\(\s*\(?(?P<name>\w+)\)?\s*\)", text)
    if m:
        param = next((p for p in params if p.name == m.group("name")), None)
        if param:
            return CallArg(text=text, length_of=param.name, length_type=target_type)
    bare = text.strip("() ")
    if any(p.name == bare for p in params) and re.fullmatch(r"\(*\s*\w+\s*\)*", text):
        return CallArg(text=text, param=bare)
    return CallArg(text=text)


def _check_unique(binding: Binding) -> None:
    """Two C symbols must never become the same C++ overload."""
    for scope in binding.classes + binding.namespaces:
        for kind, methods in (("instance", scope.instance_methods),
                              ("static", scope.static_methods)):
            seen: Dict[tuple, str] = {}
            for m in methods:
                key = (m.name, tuple(p.type for p in m.params), m.availability)
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
    seen_free: Dict[tuple, str] = {}
    for m in binding.free_functions:
        if (m.name, m.availability) in seen_free:
            raise GeneratorError(f"{m.c_name} and {seen_free[m.name, m.availability]} are both libssh2::{m.name}")
        seen_free[m.name, m.availability] = m.c_name
