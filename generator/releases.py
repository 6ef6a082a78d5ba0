"""Several releases' Bindings -> one Binding whose methods know which releases have them.

A method is the same across releases when everything C++ sees of it is the same (name,
function called, result and parameter types, deprecation). Otherwise each form becomes its
own method, available in the releases that declare it in that form; the guards of the forms
of one method are complementary, so every release sees exactly one.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, FrozenSet, List, Sequence, Tuple

from .model import (Api, Availability, Binding, GeneratorError, Method, Scope,
                    Symbol)


def merge(apis_and_bindings: Sequence[Tuple[Api, Binding]]) -> Binding:
    """Merge per-release bindings (any order) into one, oldest release first."""
    pairs = sorted(apis_and_bindings, key=lambda p: p[0].version_num)
    versions = [api.version_num for api, _ in pairs]
    if len(set(versions)) != len(versions):
        raise GeneratorError("the same libssh2 release was given twice: "
                             + ", ".join(api.version for api, _ in pairs))
    hidden = [frozenset(api.hidden_without_deprecated) for api, _ in pairs]
    bindings = [b for _, b in pairs]
    newest = bindings[-1]

    def merged_methods(per_release: Sequence[Sequence[Method]]) -> Tuple[Method, ...]:
        forms: Dict[tuple, List[Tuple[int, Method]]] = {}
        for index, methods in enumerate(per_release):
            for m in methods:
                forms.setdefault(_form(m), []).append((index, m))
        out = []
        for occurrences in forms.values():
            indices = [i for i, _ in occurrences]
            latest = occurrences[-1][1]
            out.append(dataclasses.replace(
                latest, availability=_availability(latest.c_name, indices, versions, hidden)))
        return tuple(sorted(out, key=lambda m: (m.name, m.c_name, m.availability.since)))

    def merged_scopes(attr: str) -> Tuple[Scope, ...]:
        scopes = []
        for position, scope in enumerate(getattr(newest, attr)):
            same = [getattr(b, attr)[position] for b in bindings]
            if any(s.name != scope.name for s in same):
                raise GeneratorError(f"releases disagree on the {attr} of the binding")
            scopes.append(dataclasses.replace(
                scope,
                instance_methods=merged_methods([s.instance_methods for s in same]),
                static_methods=merged_methods([s.static_methods for s in same])))
        return tuple(scopes)

    return Binding(
        releases=tuple(r for b in bindings for r in b.releases),
        classes=merged_scopes("classes"),
        namespaces=merged_scopes("namespaces"),
        free_functions=merged_methods([b.free_functions for b in bindings]),
        symbols=_merged_symbols(bindings, versions, hidden),
        enumerators=_merged_everywhere(bindings, "enumerators", lambda e: e.constant),
        callback_kinds=_merged_everywhere(bindings, "callback_kinds", lambda k: k.name))


def _merged_everywhere(bindings: Sequence[Binding], attr: str, key) -> tuple:
    """The union of each release's items (newest form kept, in first-seen order), each
    marked with whether every release has it."""
    items: Dict[str, List] = {}
    for binding in bindings:
        for item in getattr(binding, attr):
            items.setdefault(key(item), []).append(item)
    return tuple(dataclasses.replace(found[-1], everywhere=len(found) == len(bindings))
                 for found in items.values())


def _form(m: Method) -> tuple:
    """What must be equal for two releases to share one C++ method."""
    return (m.name, m.c_name, m.result, m.returns_class,
            tuple((p.type, p.declarator, p.array) for p in m.params),
            m.receiver.type if m.receiver else "", bool(m.deprecated), m.via_macro,
            () if m.via_macro else m.call_args)


def _availability(name: str, indices: Sequence[int], versions: Sequence[int],
                  hidden: Sequence[FrozenSet[str]]) -> Availability:
    first, last = min(indices), max(indices)
    if sorted(set(indices)) != list(range(first, last + 1)):
        raise GeneratorError(f"{name}: present in releases {[versions[i] for i in indices]} "
                             "but not in those between; the guards cannot express that")
    hidden_in = [i for i in range(first, last + 1) if name in hidden[i]]
    if hidden_in and hidden_in != list(range(hidden_in[0], last + 1)):
        raise GeneratorError(f"{name}: hidden by LIBSSH2_NO_DEPRECATED in some releases only")
    return Availability(
        since=versions[first] if first > 0 else 0,
        before=versions[last + 1] if last + 1 < len(versions) else 0,
        no_deprecated_since=versions[hidden_in[0]] if hidden_in else 0)


def _merged_symbols(bindings: Sequence[Binding], versions: Sequence[int],
                    hidden: Sequence[FrozenSet[str]]) -> Tuple[Symbol, ...]:
    seen: Dict[str, List[Tuple[int, Symbol]]] = {}
    for index, binding in enumerate(bindings):
        for symbol in binding.symbols:
            seen.setdefault(symbol.name, []).append((index, symbol))
    out = []
    for name, occurrences in seen.items():
        indices = [i for i, _ in occurrences]
        latest = occurrences[-1][1]
        out.append(dataclasses.replace(
            latest,
            releases=tuple(r for _, s in occurrences for r in s.releases),
            bound_as=tuple(sorted({b for _, s in occurrences for b in s.bound_as})),
            availability=_availability(name, indices, versions, hidden)))
    return tuple(sorted(out, key=lambda s: s.name))
