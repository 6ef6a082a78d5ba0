"""The plain data model: what libssh2's headers declare, and where each piece lives in C++.

Everything here is frozen, picklable and free of libclang objects. The pipeline:
parse.py (one Api per release) -> releases.py (one Api whose symbols carry their
Availability) -> grouping.py and callables.py (the Binding) -> render.py (C++ text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Tuple


class GeneratorError(Exception):
    """A problem the user must fix (bad input, missing tool, unknown construct)."""


# --- What the headers declare -------------------------------------------------------

@dataclass(frozen=True)
class Availability:
    """Which releases declare something, as LIBSSH2_VERSION_NUM bounds (0: no bound).

    The one availability mechanism for functions, macros, constants and callback types."""
    since: int = 0                       # first release that has it, if not the oldest served
    before: int = 0                      # first release that no longer has it (this form of it)
    no_deprecated_since: int = 0         # from this release on, gone under LIBSSH2_NO_DEPRECATED

    @property
    def always(self) -> bool:
        return not (self.since or self.before or self.no_deprecated_since)


ALWAYS = Availability()

@dataclass(frozen=True)
class Param:
    """One parameter: libssh2's name and type (typedef names kept, parentheses around
    declarators dropped: "void *(*)(size_t, void **)")."""
    name: str
    type: str                # e.g. "const char *", "LIBSSH2_SESSION *", "libssh2_socket_t"
    callback: str = ""       # a function pointer's callback type: "LIBSSH2_ALLOC_FUNC", a typedef, or ""
    array: bool = False      # declared as "type name[]"
    canonical: str = ""      # the type with every typedef resolved: what releases are compared on

    @property
    def raw_handle(self) -> str:
        """The opaque handle type this parameter points to ("LIBSSH2_CHANNEL"), or ""."""
        text = self.type.strip()
        if text.endswith("*") and not self.callback and not self.array:
            inner = text[:-1].strip()
            if inner.startswith("LIBSSH2_") and " " not in inner and "*" not in inner:
                return inner
        return ""


@dataclass(frozen=True)
class Function:
    """A LIBSSH2_API function."""
    name: str
    result: str
    params: Tuple[Param, ...]
    header: str
    deprecated: str = ""     # why, if libssh2 marks it deprecated
    availability: Availability = ALWAYS  # set by releases.merge
    releases: Tuple[str, ...] = ()       # versions that declare it in this form
    description: str = ""                # its man page's one-line description (releases.merge)
    undocumented_in: Tuple[str, ...] = ()  # releases that declare it but have no page for it
    nodiscard: bool = False              # declared warn_unused_result (an attribute macro)


@dataclass(frozen=True)
class Macro:
    """A function-like libssh2_* macro whose body is one call of a LIBSSH2_API function.

    params are typed from the called function: each macro parameter takes the type of
    the first argument position where it is passed as itself. call_args keeps every
    argument exactly as the macro passes it (literals such as sizeof("exec") - 1 too),
    after following macros that expand to other macros.
    """
    name: str
    params: Tuple[Param, ...]
    target: str
    call_args: Tuple[str, ...]
    result: str
    header: str
    deprecated: str = ""
    availability: Availability = ALWAYS
    releases: Tuple[str, ...] = ()
    arg_types: Tuple[str, ...] = ()      # the target's parameter type at each call argument
    description: str = ""
    undocumented_in: Tuple[str, ...] = ()
    arg_canonical: Tuple[str, ...] = ()  # arg_types with every typedef resolved: what releases compare
    nodiscard: bool = False              # its target is declared warn_unused_result


@dataclass(frozen=True)
class OpaqueType:
    """An incomplete struct typedef: LIBSSH2_X, a handle libssh2 makes and frees."""
    name: str                # "LIBSSH2_CHANNEL"
    availability: Availability = ALWAYS


@dataclass(frozen=True)
class Unbound:
    """A public symbol the binding does not wrap, and why."""
    name: str
    kind: str                # "function" or "macro"
    reason: str
    availability: Availability = ALWAYS
    releases: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Constant:
    """An integer constant the binding turns into C++: LIBSSH2_ERROR_*, LIBSSH2_FX_*, ..."""
    name: str
    value: int
    availability: Availability = ALWAYS


@dataclass(frozen=True)
class Callback:
    """A callback type: a LIBSSH2_*_FUNC(name) macro or a function pointer typedef.
    Only its meaning is kept (result and parameter types); the binding declares its own
    functions of this type, never through libssh2's macro."""
    name: str                # "LIBSSH2_DEBUG_FUNC", "libssh2_trace_handler_func"
    result: str
    params: Tuple[Param, ...]
    via_macro: bool          # declared through a macro (else a typedef)
    availability: Availability = ALWAYS

    @property
    def pointer_type(self) -> str:
        """Its function pointer type: "void *(*)(size_t, void **)"."""
        args = ", ".join(p.type for p in self.params) or "void"
        return f"{self.result}{'' if self.result.endswith('*') else ' '}(*)({args})"


@dataclass(frozen=True)
class Api:
    """Everything public in one libssh2 release's headers (parse.py), or in several
    (releases.merge: each symbol then carries its Availability)."""
    version: str             # LIBSSH2_VERSION, e.g. "1.10.0"
    version_num: int         # LIBSSH2_VERSION_NUM
    functions: Tuple[Function, ...]
    macros: Tuple[Macro, ...]
    not_calls: Tuple[Unbound, ...] = ()   # function-like macros that are not a call
    not_api: Tuple[Unbound, ...] = ()     # libssh2_* functions declared without LIBSSH2_API
    # Declared only while LIBSSH2_NO_DEPRECATED is not defined (1.11's #ifndef blocks).
    hidden_without_deprecated: Tuple[str, ...] = ()
    constants: Tuple[Constant, ...] = ()
    callbacks: Tuple[Callback, ...] = ()
    opaque_types: Tuple[OpaqueType, ...] = ()  # incomplete LIBSSH2_* struct typedefs, header order
    warnings: Tuple[str, ...] = ()        # what the generator bound anyway, and how
    releases: Tuple["Release", ...] = ()  # merged: every release, oldest first
    # One release: name -> its man page's description (generator/manpages.py); None when the
    # release came without man pages.
    pages: Optional[Tuple[Tuple[str, str], ...]] = None

    @property
    def snapshot(self) -> bool:
        """A development snapshot: LIBSSH2_VERSION carries a suffix ("1.11.2_DEV")."""
        return not re.fullmatch(r"\d+\.\d+\.\d+", self.version)

    def function(self, name: str) -> Function:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class Release:
    """One libssh2 release (or development snapshot) the binding serves."""
    version: str
    version_num: int
    functions: int           # LIBSSH2_API functions in its headers
    macros: int              # function-like libssh2_* macros in its headers
    unexported: int = 0      # libssh2_* functions declared without LIBSSH2_API (not counted above)
    # A snapshot sharing the last release's LIBSSH2_VERSION_NUM: what it adds is guarded by
    # the next number (since_num), so it stays hidden against its own headers.
    since_num: int = 0


# --- Where it lives in C++ ----------------------------------------------------------

@dataclass(frozen=True)
class HandleClass:
    """An owning C++ class for one opaque libssh2 handle type."""
    name: str                # C++ class name, e.g. "channel"
    raw: str                 # e.g. "LIBSSH2_CHANNEL"
    release: str             # C function that frees it, e.g. "libssh2_channel_free"
    parent: str              # class whose node it keeps alive ("" for the session)
    availability: Availability = ALWAYS  # inferred classes: the releases that declare the type
    prefix: str = ""         # inferred classes: "libssh2_widget_", the functions that are its methods


@dataclass(frozen=True)
class CallArg:
    """One argument a macro passes to its function, as written in the macro."""
    text: str
    param: str = ""          # set when text is this parameter, passed as itself
    length_of: str = ""      # set when text is strlen() of this non-char string parameter
    length_type: str = ""    # the type that length is passed as (the target's parameter type)




@dataclass(frozen=True)
class View:
    """One parameter of a method's convenience overload standing for one or two C ones
    (generator/views.py; the C++ types are in templates/cpp/views.hpp)."""
    kind: str                # "text", "c_string" or "span"
    pointer: str             # the C pointer (or array) parameter it replaces
    length: str = ""         # the C length (or count) parameter it replaces, if any
    element: str = ""        # span: the element type, e.g. "const unsigned char"


@dataclass(frozen=True)
class Method:
    """One C++ entry point forwarding to one C function or macro."""
    name: str                # C++ name
    c_name: str              # the function or macro called
    is_macro: bool
    target: str              # the LIBSSH2_API function finally called
    result: str              # C return type
    params: Tuple[Param, ...]            # every parameter but the receiver
    receiver: Optional[Param] = None     # first C parameter when it is a handle
    receiver_class: str = ""             # C++ class wrapping the receiver's handle, if any
    receiver_has_method: bool = False    # receiver_class has this as an instance method too
    returns_class: str = ""              # C++ class the result is wrapped in (factories)
    returns_view: bool = False           # the result is borrowed: never freed by the binding
    parent_is_receiver: bool = False     # new handle keeps the receiver (not the session) alive
    releases: bool = False               # frees the receiver's handle
    remembers_socket: bool = False       # its first parameter is the session's socket
    result_is_void: bool = False
    deprecated: str = ""
    call_args: Tuple[CallArg, ...] = ()  # macros: the arguments passed to target
    via_macro: bool = True               # macros: call the macro itself, not target
    availability: Availability = ALWAYS  # set by releases.merge
    # The callables layer's overload: this parameter becomes a C++ callable of this kind;
    # state_arg is the C parameter that then carries the binding's state ("" when the
    # callback finds it through the session's abstract slot) and is dropped from it.
    abstract_slot: bool = False          # returns the session's abstract slot (ABSTRACT_SLOT)
    callable_param: str = ""
    callable_kind: str = ""
    state_arg: str = ""
    views: Tuple[View, ...] = ()         # its convenience overload's views; () when it has none
    description: str = ""                # the C function's man page, one line
    undocumented_in: Tuple[str, ...] = ()  # releases without a man page for it
    nodiscard: bool = False              # the C function is declared warn_unused_result


@dataclass(frozen=True)
class Symbol:
    """One public C symbol of any served release: where the binding puts it, or why not.
    A symbol bound in some releases and not in others (declared without LIBSSH2_API in
    one, with it in the next) is two Symbols, each with its own releases."""
    name: str
    kind: str                            # "function" or "macro"
    releases: Tuple[str, ...]            # versions that declare it
    bound_as: Tuple[str, ...]            # "scope::method" entries forwarding to it
    reason: str = ""                     # why it is not bound, when bound_as is empty
    availability: Availability = ALWAYS  # where some form of it is declared, when that is one range
    # Where each form is declared: has_* is true where any is (forms may differ in when
    # LIBSSH2_NO_DEPRECATED hides them, so one Availability cannot always say it).
    forms: Tuple[Availability, ...] = ()

    @property
    def declared(self) -> Tuple[Availability, ...]:
        """Where some form of it is declared: its forms' availabilities."""
        return self.forms or (self.availability,)

    @property
    def flag(self) -> str:
        """Name of its libssh2::has_* feature flag."""
        return "has_" + self.name[len("libssh2_"):]


@dataclass(frozen=True)
class Enumerator:
    """A C constant as an enumerator of a generated C++ enum."""
    enum: str                            # "errc", "sftp_errc", "callback_type"
    name: str                            # C++ name, e.g. "socket_none"
    constant: str                        # C macro, e.g. "LIBSSH2_ERROR_SOCKET_NONE"
    value: int
    availability: Availability = ALWAYS


@dataclass(frozen=True)
class CallbackKind:
    """A callback a C++ callable can be installed for."""
    name: str                            # C++ name: "debug", "keyboard_interactive", ...
    callback: Callback                   # its C signature
    constant: str = ""                   # LIBSSH2_CALLBACK_* for session.callback_set kinds
    persistent: bool = True              # stays installed after the call that installs it
    state_param: Optional[Param] = None  # the parameter that leads back to the binding's state
    availability: Availability = ALWAYS


@dataclass(frozen=True)
class Scope:
    """A C++ class or namespace and its methods."""
    name: str
    handle: Optional[HandleClass]                # None: a namespace of functions
    instance_methods: Tuple[Method, ...] = ()
    static_methods: Tuple[Method, ...] = ()


@dataclass(frozen=True)
class Binding:
    """The whole C++ binding of one or more releases."""
    releases: Tuple[Release, ...]                # oldest first
    classes: Tuple[Scope, ...]                   # handle classes, in declaration order
    namespaces: Tuple[Scope, ...]                # userauth, scp, ...
    free_functions: Tuple[Method, ...]           # libssh2::init, ...
    symbols: Tuple[Symbol, ...] = field(default=())
    enumerators: Tuple[Enumerator, ...] = field(default=())
    callback_kinds: Tuple[CallbackKind, ...] = field(default=())
    warnings: Tuple[str, ...] = field(default=())  # what the generator bound anyway, and how
    # Every incomplete LIBSSH2_* type, owned by a class or not: a pointer to one is an object,
    # never an array (no span<> view).
    opaque_types: Tuple[str, ...] = field(default=())

    @property
    def handle_classes(self) -> Tuple[HandleClass, ...]:
        return tuple(scope.handle for scope in self.classes if scope.handle)
