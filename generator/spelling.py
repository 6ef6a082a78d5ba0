"""Small C++ spellings, as pure functions: the Jinja filters the templates use.

Templates lay out declarations and lines; these spell the fragments (a declaration of a
parameter, a call's arguments, an #if condition), so that each is unit-tested here rather
than seen only as a diff in a generated header.
"""
from __future__ import annotations

import re
import textwrap
from typing import Any, Dict, Iterable, List, NamedTuple, Optional

from .model import Availability, CallbackKind, Method, Param, View


def declare(ctype: str, name: str) -> str:
    """A declaration of `name` with type `ctype`: "const char *path", "int n",
    "void *(*my_alloc)(size_t, void **)" (the name goes inside a function pointer's "(*)")."""
    if "(*)" in ctype:
        return ctype.replace("(*)", f"(*{name})", 1)
    return f"{ctype}{'' if ctype.endswith('*') else ' '}{name}"


def param_decl(p: Param) -> str:
    """One parameter as the binding declares it (callbacks as plain function pointers)."""
    if p.array:
        return f"{p.type} {p.name}[]"
    return declare(p.type, p.name)


def param_type(p: Param) -> str:
    """A parameter's type as it appears in a function type (arrays decay)."""
    return f"{p.type} *" if p.array else p.type


def params_to_c(params: Iterable[Param], receiver: str = "") -> str:
    """A parameter list: the receiver's declaration (if any), then each parameter."""
    return ", ".join(([receiver] if receiver else []) + [param_decl(p) for p in params])


def param_types(params: Iterable[Param], first: str = "") -> str:
    return ", ".join(([first] if first else []) + [param_type(p) for p in params])


def arg_names(params: Iterable[Param]) -> str:
    return ", ".join(p.name for p in params)


def c_call(m: Method, receiver: str = "", replace: Optional[Dict[str, str]] = None,
           sizes: Optional[Dict[str, str]] = None) -> str:
    """The C call a method forwards to, with `receiver` as the receiver's expression and
    `replace` giving other parameters' expressions (callables passed as trampolines).

    A macro is called by its own name when the binding can pass its arguments as they are;
    otherwise (it computes a length with strlen()) its target is called with the macro's
    arguments, each length computed with an explicit cast to the target's parameter type.
    `sizes` gives a length the caller already has for a parameter such a macro measures: the
    target is then called with it instead of strlen()."""
    values = {p.name: p.name for p in m.params}
    if m.receiver:
        values[m.receiver.name] = receiver
    values.update(replace or {})
    sizes = sizes or {}
    if not m.is_macro or (m.via_macro and not any(a.length_of in sizes for a in m.call_args)):
        names = ([m.receiver.name] if m.receiver else []) + [p.name for p in m.params]
        return f"{m.c_name}({', '.join(values[n] for n in names)})"
    args: List[str] = []
    for a in m.call_args:
        if a.length_of in sizes:
            args.append(_cast(sizes[a.length_of], a.length_type))
        elif a.length_of:
            param = next(p for p in m.params if p.name == a.length_of)
            text = values[a.length_of]
            if param.type.replace(" ", "") not in ("constchar*", "char*"):
                text = f"reinterpret_cast<const char *>({text})"
            args.append(_cast(f"std::strlen({text})", a.length_type))
        elif a.param:
            args.append(values[a.param])
        else:
            args.append(a.text)
    return f"{m.target}({', '.join(args)})"


def _cast(size: str, length_type: str) -> str:
    """A std::size_t expression passed as a parameter of length_type."""
    return size if length_type in ("size_t", "std::size_t") else f"static_cast<{length_type}>({size})"


def about(m: Method, descriptions: Optional[Dict[str, str]] = None) -> str:
    """What the man pages say a method's C function does, for its comment: the description,
    and the releases that have no page for it ("" when nothing is known). A macro's is its
    target's (descriptions: C function -> description), never its own page's "convenience
    macro for libssh2_x_ex(3) calls"."""
    description = m.description
    if m.is_macro:
        description = (descriptions or {}).get(m.target, "")
        if not description and not m.description.lower().startswith("convenience macro"):
            description = m.description
    missing = ""
    if m.undocumented_in:
        missing = f"no man page in libssh2 {', '.join(m.undocumented_in)}"
    if description and missing:
        return f"{description} ({missing})"
    return description or missing


def doc_text(m: Method, descriptions: Optional[Dict[str, str]] = None) -> str:
    """The text of the comment above a method: the C function or macro it forwards to, and
    what it does: "libssh2_channel_read (macro for libssh2_channel_read_ex): read data..."."""
    text = m.c_name + (f" (macro for {m.target})" if m.is_macro else "")
    description = about(m, descriptions)
    return f"{text}: {description}" if description else text


COLUMN_LIMIT = 120   # .clang-format's ColumnLimit


def comment(text: str, indent: int = 0) -> str:
    """text as // lines that fit the column limit at this indent, the first without its indent
    (the template puts it). clang-format then has no line to reflow: its reflow joins a broken
    line's end with the next comment line, merging two comments into one sentence."""
    kept = re.sub(r"<[^<>]*>", lambda t: t.group(0).replace(" ", _NO_BREAK), text)   # span<const char>
    lines = textwrap.wrap(kept, COLUMN_LIMIT - indent - 3, break_long_words=False, break_on_hyphens=False) or [""]
    return ("\n" + " " * indent).join("// " + line.replace(_NO_BREAK, " ") for line in lines)


_NO_BREAK = "\u00a0"


def view_type(v: View) -> str:
    """The C++ type a view parameter is declared with."""
    return {"text": "text_view", "c_string": "c_string"}.get(v.kind) or f"span<{v.element}>"


def view_params(m: Method, receiver: str = "") -> str:
    """The parameter list of a method's convenience overload: each view in place of its
    pointer (a count before an array goes with it), the others as they are."""
    by_pointer = {v.pointer: v for v in m.views}
    lengths = {v.length for v in m.views if v.length}
    decls = [f"{view_type(by_pointer[p.name])} {p.name}" if p.name in by_pointer else param_decl(p)
             for p in m.params if p.name not in lengths]
    return ", ".join(([receiver] if receiver else []) + decls)


def view_arg_names(m: Method) -> str:
    """The arguments of a convenience overload passed on as they are (to the same overload
    of the receiver's class)."""
    lengths = {v.length for v in m.views if v.length}
    return ", ".join(p.name for p in m.params if p.name not in lengths)


def view_test_args(m: Method) -> str:
    """Arguments for a compile check of a convenience overload: a standard-library object
    for each view (a std::vector<char> lvalue named `buffer` for a span<char>), {} for the
    rest."""
    by_pointer = {v.pointer: v for v in m.views}
    lengths = {v.length for v in m.views if v.length}
    args = []
    for p in m.params:
        if p.name in lengths:
            continue
        v = by_pointer.get(p.name)
        if v is None:
            args.append("{}")
        elif v.kind == "text":
            args.append('std::string_view("text")')
        elif v.kind == "c_string":
            args.append('std::string("text")')
        elif v.element == "char":
            args.append("buffer")
        else:
            args.append(f"std::vector<{v.element.replace('const ', '', 1)}>()")
    return ", ".join(args)


def view_summary(m: Method) -> str:
    """What a convenience overload's views take, for its comment: "path as text_view"."""
    by_type: Dict[str, List[str]] = {}
    for v in m.views:
        by_type.setdefault(view_type(v), []).append(v.pointer)
    parts = []
    for type_, names in by_type.items():
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        parts.append(f"{listed} as {type_}")
    return "; ".join(parts)


def view_doc_text(m: Method) -> str:
    """The text of the comment above a convenience overload: "libssh2_x, taking path as c_string"."""
    return f"{m.c_name}, taking {view_summary(m)}"


def view_call(m: Method, receiver: str = "", replace: Optional[Dict[str, str]] = None) -> str:
    """The C call of a method's convenience overload: each view passed as the pointer (and
    length) it stands for; `replace` as c_call's, for the parameters that are no view."""
    params = {p.name: p for p in m.params}
    replace = dict(replace or {})
    sizes: Dict[str, str] = {}
    for v in m.views:
        pointer = params[v.pointer]
        data = f"{v.pointer}.c_str()" if v.kind == "c_string" else f"{v.pointer}.data()"
        if v.kind == "text" and pointer.type.replace(" ", "") != "constchar*":
            data = f"reinterpret_cast<{pointer.type}>({data})"   # a name libssh2 takes as bytes
        replace[v.pointer] = data
        if v.length:
            replace[v.length] = _cast(f"{v.pointer}.size()", params[v.length].type)
        elif v.kind == "text":
            sizes[v.pointer] = f"{v.pointer}.size()"
    return c_call(m, receiver, replace, sizes)


def c_param_types(m: Method) -> str:
    """The parameter types of the C function or macro a method forwards to, receiver first."""
    return param_types(m.params, m.receiver.type if m.receiver else "")


def value_args(params: Iterable[Param]) -> str:
    """A value-initialised argument per parameter: "{}, {}"."""
    return ", ".join("{}" for _ in params)


def wrapper_receiver(m: Method, qualified: bool = False) -> str:
    """The receiver parameter of an overload taking the owning class: "channel &channel"."""
    return f"{'::libssh2::' if qualified else ''}{m.receiver_class} &{m.receiver.name}"


def wrapper_call(m: Method, scope: str) -> str:
    """The C call of an overload taking the owning class, through the wrapper's handle."""
    return c_call(m, wrapper_handle(m, scope))


def adopt(m: Method, receiver_node: str, raw: str) -> str:
    """The expression that wraps a factory's new raw handle into its owning class. The new
    handle keeps the session's node alive, or the receiver's when the model says so."""
    if m.returns_class == "session":
        return f"detail::access::make<session>(nullptr, {raw}, true)"
    parent = receiver_node if m.parent_is_receiver else f"detail::root({receiver_node})"
    return f"detail::access::make<{m.returns_class}>({parent}, {raw}, {'false' if m.returns_view else 'true'})"


def callable_params(kind: CallbackKind) -> List[Param]:
    """What a C++ callable of a kind receives: the callback's parameters but the state's."""
    return [p for p in kind.callback.params if p is not kind.state_param and p != kind.state_param]


def callable_overload_params(m: Method, with_views: bool = False) -> str:
    """The parameters of a method's callable overload after the session: the callback becomes
    `Callable &&`, and the parameter that carried the caller's state is gone; with_views:
    each view in place of its pointer and length, as view_params has them."""
    by_pointer = {v.pointer: v for v in m.views} if with_views else {}
    lengths = {v.length for v in m.views if v.length} if with_views else set()

    def decl(p: Param) -> str:
        if p.name == m.callable_param:
            return f"Callable &&{p.name}"
        if p.name in by_pointer:
            return f"{view_type(by_pointer[p.name])} {p.name}"
        return param_decl(p)
    return ", ".join(decl(p) for p in m.params if p.name != m.state_arg and p.name not in lengths)


def callable_call(m: Method, kind: CallbackKind, receiver: str, with_views: bool = False) -> str:
    """The C call of a method's callable overload: the trampoline for the callable, the
    binding's state for the caller's, and with_views, each view as its pointer and length."""
    args = trampoline_args(m, kind)
    return view_call(m, receiver, args) if with_views else c_call(m, receiver, args)


def trampoline_args(m: Method, kind: CallbackKind) -> Dict[str, str]:
    """What a callable overload passes instead of the user's arguments: the trampoline, and
    the binding's state where the caller's state would go."""
    args = {m.callable_param: f"&detail::{trampoline(kind)}"}
    if m.state_arg:
        state = next(p for p in m.params if p.name == m.state_arg)
        args[m.state_arg] = "&state_pointer" if state.type.replace(" ", "").endswith("**") else "state_pointer"
    return args


def trampoline(kind: CallbackKind) -> str:
    """The name of the C function the binding installs for a callback kind: "debug_trampoline"."""
    return f"{kind.name}_trampoline"


def is_pointer(ctype: str) -> bool:
    """Whether a C type, as the model spells it, is a pointer (a function pointer included)."""
    return ctype.replace(" ", "").endswith("*") or "(*)" in ctype


def failure_value(ctype: str, error: str) -> str:
    """What a function returning ctype returns to say it failed: nullptr for a pointer, else
    error (an int's LIBSSH2_ERROR_* or -1)."""
    return "nullptr" if is_pointer(ctype) else error


def state_value(kind: CallbackKind) -> str:
    """The expression a trampoline finds the binding's state in: what the void ** slot
    libssh2 hands back points to ("*abstract"), or the void * context itself ("context")."""
    p = kind.state_param
    return f"*{p.name}" if p.type.replace(" ", "").endswith("**") else p.name


def receiver_node(m: Method) -> str:
    """The node of the wrapper a static method takes as its receiver."""
    return f"detail::access::node_of({m.receiver.name})"


def receiver_handle(m: Method) -> str:
    """The raw handle of the wrapper a static method takes as its receiver, unchecked."""
    return f"{m.receiver.name}.get()"


def qualified(name: str, scope: str = "") -> str:
    """A name in the binding's namespace: "libssh2::channel::open_session", "libssh2::init"."""
    return "::".join(["libssh2"] + ([scope] if scope else []) + [name])


def pointer_result(m: Method, wrapped: bool) -> str:
    """The result type of a pointer to a method: the owning class where the overload taking
    wrappers returns one (wrapped), else the C result."""
    return qualified(m.returns_class) if wrapped and m.returns_class else m.result


def view_check_args(m: Method, first: str = "") -> str:
    """The arguments of a compile check of a convenience overload: first (the receiver), then
    view_test_args."""
    rest = view_test_args(m)
    return ", ".join(a for a in (first, rest) if a)


def checked_handle(m: Method, scope: str) -> str:
    """The receiver's handle for an instance method: checked for emptiness in debug builds,
    naming the method (LIBSSH2_HPP_ASSERT)."""
    return f'checked("{scope}::{m.name}")'


def wrapper_handle(m: Method, scope: str) -> str:
    """The handle of a wrapper passed as the receiver, checked as checked_handle does."""
    return f'detail::access::checked({m.receiver.name}, "{scope}::{m.name}")'


def version_hex(num: int) -> str:
    return f"0x{num:06x}"


def guard(a: Availability) -> str:
    """The preprocessor condition under which the headers in use have something; "" if all.

    Simplified: a range's two ends only where they bound it, and the LIBSSH2_NO_DEPRECATED
    part without a version test the range already implies (no ">= X && (... || < X)")."""
    conds = []
    if a.since:
        conds.append(f"LIBSSH2_VERSION_NUM >= {version_hex(a.since)}")
    if a.before:
        conds.append(f"LIBSSH2_VERSION_NUM < {version_hex(a.before)}")
    if a.no_deprecated_since:
        if a.no_deprecated_since <= a.since:
            conds.append("!defined(LIBSSH2_NO_DEPRECATED)")
        elif a.before and a.no_deprecated_since >= a.before:
            pass   # hidden only in releases the range already excludes
        else:
            conds.append(f"(!defined(LIBSSH2_NO_DEPRECATED) || LIBSSH2_VERSION_NUM < "
                         f"{version_hex(a.no_deprecated_since)})")
    if len(conds) == 1 and conds[0].startswith("("):
        return conds[0][1:-1]
    return " && ".join(conds)


def guard_any(availabilities: Iterable[Availability]) -> str:
    """The condition under which any of several availabilities holds; "" if one always does."""
    conditions = [guard(a) for a in availabilities]
    if not conditions or "" in conditions:
        return ""
    unique = list(dict.fromkeys(conditions))
    return unique[0] if len(unique) == 1 else " || ".join(f"({c})" for c in unique)


def complementary(first: Availability, second: Availability) -> bool:
    """Whether `second` holds exactly where `first` does not: then the two become #if/#else.
    True for a form replaced by another at one release, neither hidden by
    LIBSSH2_NO_DEPRECATED."""
    if first.no_deprecated_since or second.no_deprecated_since:
        return False
    return (not first.since and first.before and second.since == first.before and not second.before)


class Guarded(NamedTuple):
    """One item of a sequence with the preprocessor lines around it."""
    item: Any
    open: str    # "#if ...\n", "" or, for the second of a complementary pair, ""
    close: str   # "#endif\n", "#else\n" (first of a pair) or ""
    blank: str   # "\n" to separate it from the previous item; "" right after an #else


def guarded(items: Iterable[Any]) -> List[Guarded]:
    """Items (methods, kinds, ... anything with .name and .availability) with their guards;
    two forms of one name whose availabilities are complementary become #if/#else/#endif."""
    items = list(items)
    out: List[Guarded] = []
    index = 0
    while index < len(items):
        item = items[index]
        after = items[index + 1] if index + 1 < len(items) else None
        if after is not None and after.name == item.name and complementary(item.availability, after.availability):
            out.append(Guarded(item, guard_open(item.availability), "#else\n", "\n"))
            out.append(Guarded(after, "", "#endif\n", ""))
            index += 2
            continue
        out.append(Guarded(item, guard_open(item.availability), guard_close(item.availability), "\n"))
        index += 1
    return out


def guard_open(a: Availability) -> str:
    """"#if ...\\n" in front of something only some releases have, or ""."""
    condition = guard(a)
    return f"#if {condition}\n" if condition else ""


def guard_close(a: Availability) -> str:
    return "#endif\n" if guard(a) else ""


def cxx_string(text: str) -> str:
    """A C++ string literal's contents: backslashes and quotes escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def md_cell(text: str) -> str:
    """Text inside a Markdown table cell."""
    return text.replace("|", "\\|")


def result_or_class(m: Method) -> str:
    """The C++ result of a method called on a wrapper: the owning class, or the C type."""
    return m.returns_class or m.result


FILTERS = {f.__name__: f for f in (declare, param_decl, param_type, params_to_c, param_types,
                                   arg_names, c_call, guard, guard_open, guard_close, cxx_string,
                                   md_cell, version_hex, result_or_class, guarded, c_param_types, guard_any,
                                   value_args, wrapper_receiver, wrapper_call, adopt, callable_params,
                                   callable_overload_params, callable_call, trampoline_args, checked_handle,
                                   wrapper_handle, view_type, view_params, view_call,
                                   view_arg_names, view_summary, view_test_args, about, doc_text, view_doc_text, trampoline,
                                   failure_value, state_value, receiver_node, receiver_handle,
                                   qualified, pointer_result, view_check_args,
                                   comment)}
def factory_or_receiver(m: Method) -> bool:
    """A static method defined out of its class: it takes a wrapper or returns one."""
    return bool(m.receiver or m.returns_class)


TESTS = {"complementary": complementary, "factory_or_receiver": factory_or_receiver}

