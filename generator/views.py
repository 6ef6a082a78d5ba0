"""Which parameters of a method its convenience overload takes as a view.

A method's C parameters include (pointer, length) pairs and NUL-terminated strings; its
convenience overload takes each as one C++ view (templates/cpp/views.hpp):

- text: a `const char *` and its length, or a string a macro measures with strlen()
  (the overload then passes the view's size instead);
- c_string: any other `const char *` (NUL-terminated: the C side takes no length);
- span: a pointer to other data and its count (`char *` buffers to fill, `const unsigned
  char *` bytes, arrays of structures), in either order.

Decided by meaning, never by names: a length is an unsigned integer right after its pointer
in the C call (for a macro, in the call it expands to), or right before an array.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, FrozenSet, List, Optional, Tuple

from .model import Binding, Method, Param, Scope, View

_UNSIGNED = {"unsigned int", "unsigned long", "unsigned long long", "size_t"}
_TEXT_POINTEES = {"char", "unsigned char"}


def _unsigned(p: Param) -> bool:
    return (p.canonical or p.type).strip() in _UNSIGNED and not p.callback and not p.array


def _pointee(p: Param, handles: FrozenSet[str]) -> Optional[Tuple[bool, str]]:
    """(const?, element type) of a single-level pointer parameter that may carry data; None
    for anything else (the binding's handles, callbacks, pointers to pointers, void *)."""
    text = p.type.strip()
    if p.callback or p.array or not text.endswith("*") or p.raw_handle in handles:
        return None
    inner = text[:-1].strip()
    if inner.endswith("*"):
        return None
    const = inner.startswith("const ")
    element = inner[len("const "):].strip() if const else inner
    if element == "void":
        return None
    return const, element


def _call_order(m: Method) -> List[Optional[str]]:
    """The names of m's parameters in the order the C function receives them; None where a
    macro passes something else (a literal, a computed length)."""
    if not m.is_macro:
        return [p.name for p in m.params]
    own = {p.name for p in m.params}
    return [a.param if a.param in own else None for a in m.call_args]


def views(m: Method, handles: FrozenSet[str] = frozenset()) -> Tuple[View, ...]:
    """The views of m's convenience overload, in parameter order; () when it needs none.
    handles: the raw handle types the binding owns ("LIBSSH2_CHANNEL"): a pointer to one is
    an object, not data (an array of LIBSSH2_POLLFD is data)."""
    params: Dict[str, Param] = {p.name: p for p in m.params}
    order = _call_order(m)
    measured = {a.length_of for a in m.call_args if a.length_of}
    found: Dict[str, View] = {}
    used = set()
    for index, name in enumerate(order):
        if name is None or name in used:
            continue
        p = params[name]
        after = order[index + 1] if index + 1 < len(order) else None
        pointee = _pointee(p, handles)
        if p.array and index > 0 and order[index - 1] and _unsigned(params[order[index - 1]]):
            count = order[index - 1]
            if count not in used:
                found[name] = View("span", name, count, p.type.strip())
                used.update((name, count))
            continue
        if pointee is None:
            continue
        const, element = pointee
        if after is not None and after not in used and _unsigned(params[after]):
            kind = "text" if (const and element == "char") else "span"
            found[name] = View(kind, name, after, "" if kind == "text" else f"{'const ' if const else ''}{element}")
            used.update((name, after))
        elif name in measured and const and element in _TEXT_POINTEES:
            found[name] = View("text", name, "")
            used.add(name)
        elif const and element == "char":
            found[name] = View("c_string", name, "")
            used.add(name)
    return tuple(found[p.name] for p in m.params if p.name in found)


def _with_views(m: Method, handles: FrozenSet[str]) -> Method:
    # Only the methods that forward plainly (or make a handle) get one: a method that frees
    # its handle or remembers the socket takes no text or buffer.
    if m.releases or m.remembers_socket or m.abstract_slot:
        return m
    return dataclasses.replace(m, views=views(m, handles))


def _scope_with_views(scope: Scope, handles: FrozenSet[str]) -> Scope:
    return dataclasses.replace(scope,
                               instance_methods=tuple(_with_views(m, handles) for m in scope.instance_methods),
                               static_methods=tuple(_with_views(m, handles) for m in scope.static_methods))


def add_views(binding: Binding) -> Binding:
    """The binding with each method's views set. A pointer to any opaque type (owned by a
    class or not) is an object, never an array of an incomplete type."""
    handles = frozenset(h.raw for h in binding.handle_classes) | frozenset(binding.opaque_types)
    return dataclasses.replace(binding,
                               classes=tuple(_scope_with_views(s, handles) for s in binding.classes),
                               namespaces=tuple(_scope_with_views(s, handles) for s in binding.namespaces),
                               free_functions=tuple(_with_views(m, handles) for m in binding.free_functions))
