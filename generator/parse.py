"""libclang cursors -> model.Api. The only module that imports clang.

libssh2 marks its exports with LIBSSH2_API, which expands to nothing on ELF
platforms, so the parser reads each declaration's own tokens from the header text:
they show LIBSSH2_API, LIBSSH2_DEPRECATED and the callback macros parameters are
declared through, none of which survive preprocessing.
"""
from __future__ import annotations

import bisect
import dataclasses
import os
import re
from typing import Dict, List, Optional, Sequence, Tuple

from .model import Api, Callback, Constant, Function, GeneratorError, Macro, OpaqueType, Param, Unbound

HEADERS = ("libssh2.h", "libssh2_sftp.h", "libssh2_publickey.h")

try:
    import clang.cindex as ci
except ImportError as exc:  # pragma: no cover - depends on the machine
    raise GeneratorError(
        "the Python bindings of libclang are missing (import clang.cindex failed: "
        f"{exc}); on Debian/Ubuntu: apt-get install python3-clang-14 libclang1-14, "
        "and run the generator with /usr/bin/python3") from exc

_LIBCLANG_CANDIDATES = (
    "/usr/lib/llvm-14/lib/libclang.so.1",
    "/usr/lib/x86_64-linux-gnu/libclang-14.so.1",
    "/usr/lib/aarch64-linux-gnu/libclang-14.so.1",
)


def _index() -> "ci.Index":
    if not ci.Config.loaded:
        for candidate in _LIBCLANG_CANDIDATES:
            if os.path.exists(candidate):
                ci.Config.set_library_file(candidate)
                break
    try:
        return ci.Index.create()
    except Exception as exc:  # libclang's own error type varies between releases
        raise GeneratorError(
            f"libclang could not be loaded ({exc}); on Debian/Ubuntu: "
            "apt-get install libclang1-14 python3-clang-14") from exc


def parse_api(include_dir: str, extra_args: Sequence[str] = (),
              unsaved: Optional[Dict[str, str]] = None) -> Api:
    """Parse the three public headers found in include_dir into an Api.

    unsaved maps header file names to contents to parse instead of files on disk
    (used by the generator's own tests).
    """
    include_dir = os.path.abspath(include_dir)
    unsaved = dict(unsaved or {})
    headers = []
    for name in HEADERS:
        path = os.path.join(include_dir, name)
        if name not in unsaved and not os.path.isfile(path):
            raise GeneratorError(
                f"{path} not found: pass the directory holding libssh2's headers with "
                "--include-dir (Debian: apt-get install libssh2-1-dev)")
        headers.append(path)

    main = os.path.join(include_dir, "__libssh2_hpp_parse__.c")
    includes = "".join(f'#include "{name}"\n' for name in HEADERS)
    header_files = [(os.path.join(include_dir, name), text) for name, text in unsaved.items()]

    def parse(main_text: str):
        files = [(main, main_text)] + header_files
        args = ["-x", "c", "-std=gnu11", f"-I{include_dir}", *extra_args]
        options = (ci.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD
                   | ci.TranslationUnit.PARSE_SKIP_FUNCTION_BODIES)
        try:
            tu = _index().parse(main, args=args, unsaved_files=files, options=options)
        except ci.TranslationUnitLoadError as exc:
            raise GeneratorError(f"libclang could not parse the headers in {include_dir}: {exc}")
        errors = [d for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
        if errors:
            details = "\n".join(f"  {d.location.file}:{d.location.line}: {d.spelling}" for d in errors)
            raise GeneratorError(f"parse errors in libssh2's headers ({include_dir}):\n{details}")
        return tu, files

    tu, files = parse(includes)

    sources = _Sources(dict(files))
    declarations = _Declarations(tu, sources)
    own = {os.path.realpath(h) for h in headers}
    functions: Dict[str, Function] = {}
    not_api: Dict[str, Unbound] = {}
    macro_defs: List["ci.Cursor"] = []
    version, version_num = "", 0
    for cursor in tu.cursor.get_children():
        location = cursor.location
        if location.file is None or os.path.realpath(location.file.name) not in own:
            continue
        if cursor.kind == ci.CursorKind.FUNCTION_DECL:
            tokens = declarations.tokens(cursor)
            if "LIBSSH2_API" in tokens:
                functions.setdefault(cursor.spelling, _function(cursor, tokens, sources))
            elif cursor.spelling.startswith("libssh2_"):
                not_api.setdefault(cursor.spelling, Unbound(
                    cursor.spelling, "function",
                    "declared without LIBSSH2_API: not part of the exported API the headers promise"))
        elif cursor.kind == ci.CursorKind.MACRO_DEFINITION:
            if cursor.spelling == "LIBSSH2_VERSION":
                version = _macro_value(cursor).strip('"')
            elif cursor.spelling == "LIBSSH2_VERSION_NUM":
                version_num = int(_macro_value(cursor), 0)
            elif cursor.spelling.startswith("libssh2_"):
                macro_defs.append(cursor)
    if not version:
        raise GeneratorError(f"no LIBSSH2_VERSION in {headers[0]}: is this libssh2's header?")

    # A macro the parser cannot follow is listed as not bound, with a warning: a new
    # construct in the next release is something to read, not a stop.
    raw_macros, macros, not_calls, warnings = {}, [], [], []
    for cursor in macro_defs:
        try:
            raw = _raw_macro(cursor, sources)
        except GeneratorError as exc:
            not_calls.append(Unbound(cursor.spelling, "macro", str(exc).split(": ", 1)[-1]))
            warnings.append(f"{exc}; not bound")
            continue
        if raw is not None:
            raw_macros[raw.name] = raw
    for raw in raw_macros.values():
        if raw.callee is None:
            not_calls.append(Unbound(raw.name, "macro", raw.not_call_reason))
            continue
        try:
            macros.append(_resolve_macro(raw, raw_macros, functions))
        except GeneratorError as exc:
            not_calls.append(Unbound(raw.name, "macro", str(exc).split(": ", 1)[-1]))
            warnings.append(f"{exc}; not bound")
    constants, callbacks = _probe(parse, includes, macro_defs, own, tu)
    return Api(version=version, version_num=version_num, opaque_types=_opaque_types(tu, own),
               functions=tuple(sorted(functions.values(), key=lambda f: f.name)),
               macros=tuple(sorted(macros, key=lambda m: m.name)),
               not_calls=tuple(sorted(not_calls, key=lambda u: u.name)),
               not_api=tuple(sorted(not_api.values(), key=lambda u: u.name)),
               constants=constants, callbacks=callbacks,
               warnings=tuple(f"libssh2 {version}: {w}" for w in warnings))


def _opaque_types(tu, own) -> Tuple[OpaqueType, ...]:
    """The LIBSSH2_* typedefs of a struct the headers never define, in header order: the
    handles libssh2 makes and frees (LIBSSH2_SESSION, LIBSSH2_CHANNEL, ...)."""
    out: Dict[str, OpaqueType] = {}
    for cursor in tu.cursor.get_children():
        location = cursor.location
        if cursor.kind != ci.CursorKind.TYPEDEF_DECL or location.file is None or \
                os.path.realpath(location.file.name) not in own or not cursor.spelling.startswith("LIBSSH2_"):
            continue
        record = cursor.underlying_typedef_type.get_canonical()
        declaration = record.get_declaration()
        if record.kind == ci.TypeKind.RECORD and declaration.get_definition() is None:
            out.setdefault(cursor.spelling, OpaqueType(cursor.spelling))
    return tuple(out.values())


_CONSTANT = re.compile(r"LIBSSH2_(ERROR|FX|CALLBACK)_\w+")
_CALLBACK_MACRO = re.compile(r"LIBSSH2_\w+_FUNC")
_PROBE = "libssh2_hpp_probe_"


def _probe(parse, includes: str, macro_defs, own, tu) -> Tuple[Tuple[Constant, ...], Tuple[Callback, ...]]:
    """Values of the error/status/callback constants and the signatures of the callback
    types, read by letting clang evaluate probes appended to the headers: the values are
    whatever the preprocessor makes of them (aliases, suffixes, casts)."""
    constant_names, callback_macros = [], []
    for cursor in tu.cursor.get_children():
        location = cursor.location
        if cursor.kind != ci.CursorKind.MACRO_DEFINITION or location.file is None or \
                os.path.realpath(location.file.name) not in own:
            continue
        if _CONSTANT.fullmatch(cursor.spelling):
            constant_names.append(cursor.spelling)
        elif _CALLBACK_MACRO.fullmatch(cursor.spelling):
            callback_macros.append(cursor.spelling)
    typedefs = [c.spelling for c in tu.cursor.get_children()
                if c.kind == ci.CursorKind.TYPEDEF_DECL and c.location.file is not None
                and os.path.realpath(c.location.file.name) in own
                and c.underlying_typedef_type.kind == ci.TypeKind.POINTER
                and c.underlying_typedef_type.get_pointee().kind == ci.TypeKind.FUNCTIONPROTO]
    probes = includes
    if constant_names:
        probes += "enum { " + ", ".join(f"{_PROBE}{n} = ({n})" for n in constant_names) + " };\n"
    probes += "".join(f"typedef {m}((*{_PROBE}{m}));\n" for m in callback_macros)
    probed, _ = parse(probes)
    values: Dict[str, int] = {}
    signatures: Dict[str, Callback] = {}
    for cursor in probed.cursor.walk_preorder():
        if cursor.kind == ci.CursorKind.ENUM_CONSTANT_DECL and cursor.spelling.startswith(_PROBE):
            values[cursor.spelling[len(_PROBE):]] = cursor.enum_value
        elif cursor.kind == ci.CursorKind.TYPEDEF_DECL and (
                cursor.spelling.startswith(_PROBE) or cursor.spelling in typedefs):
            name = cursor.spelling[len(_PROBE):] if cursor.spelling.startswith(_PROBE) else cursor.spelling
            proto = cursor.underlying_typedef_type.get_pointee()
            params = tuple(Param(name=p.spelling or f"arg{i}", type=spell_type(p.type),
                                 canonical=p.type.get_canonical().spelling)
                           for i, p in enumerate(c for c in cursor.get_children()
                                                 if c.kind == ci.CursorKind.PARM_DECL))
            signatures[name] = Callback(name=name, result=spell_type(proto.get_result()),
                                        params=params, via_macro=name in callback_macros)
    constants = tuple(Constant(n, values[n]) for n in constant_names if n in values)
    return constants, tuple(signatures[n] for n in sorted(signatures))


def parse_release(include_dir: str, unsaved: Optional[Dict[str, str]] = None) -> Api:
    """parse_api, plus which symbols (functions, macros, constants, callback types) vanish
    when LIBSSH2_NO_DEPRECATED is defined."""
    api = parse_api(include_dir, unsaved=unsaved)
    lean = parse_api(include_dir, extra_args=["-DLIBSSH2_NO_DEPRECATED"], unsaved=unsaved)

    def names(a: Api):
        return {s.name for s in a.functions + a.macros + a.constants + a.callbacks}
    hidden = sorted(names(api) - names(lean))
    return dataclasses.replace(api, hidden_without_deprecated=tuple(hidden))


class _Sources:
    """Header texts, for argument spellings and the comment above a declaration."""

    def __init__(self, unsaved: Dict[str, str]):
        self._unsaved = {os.path.realpath(k): v for k, v in unsaved.items()}
        self._cache: Dict[str, bytes] = {}

    def text(self, path: str) -> bytes:
        path = os.path.realpath(path)
        if path not in self._cache:
            if path in self._unsaved:
                self._cache[path] = self._unsaved[path].encode()
            else:
                with open(path, "rb") as f:
                    self._cache[path] = f.read()
        return self._cache[path]

    def span(self, path: str, start: int, end: int) -> str:
        """Source text between two offsets, line continuations and runs of space collapsed."""
        text = self.text(path)[start:end].decode()
        return re.sub(r"\s+", " ", text.replace("\\\n", " ")).strip()

    def comment_above(self, path: str, line: int) -> str:
        """The /* ... */ comment that ends on the line just above `line`, or ""."""
        lines = self.text(path).decode().splitlines()
        index = line - 2
        if index < 0 or not lines[index].rstrip().endswith("*/"):
            return ""
        first = index
        while first >= 0 and "/*" not in lines[first]:
            first -= 1
        body = " ".join(l.strip() for l in lines[first:index + 1])
        return re.sub(r"\s+", " ", body.replace("/*", "").replace("*/", "")).strip()


class _Declarations:
    """The tokens of each top-level declaration, as written in the header.

    A declaration runs from just after the previous ';', brace or preprocessor '#'
    to its own ';'.
    """

    _STOP = {";", "{", "}", "#"}

    def __init__(self, tu, sources: "_Sources"):
        self._tu = tu
        self._sources = sources
        self._files: Dict[str, Tuple[List[str], List[int]]] = {}

    def _file_tokens(self, name: str) -> Tuple[List[str], List[int]]:
        if name not in self._files:
            source = self._tu.get_file(name)
            extent = ci.SourceRange.from_locations(
                ci.SourceLocation.from_offset(self._tu, source, 0),
                ci.SourceLocation.from_offset(self._tu, source, len(self._sources.text(name))))
            tokens = list(self._tu.get_tokens(extent=extent))
            self._files[name] = ([t.spelling for t in tokens],
                                 [t.extent.start.offset for t in tokens])
        return self._files[name]

    def tokens(self, cursor) -> List[str]:
        spellings, offsets = self._file_tokens(cursor.location.file.name)
        at = bisect.bisect_left(offsets, cursor.location.offset)
        start = at
        while start > 0 and spellings[start - 1] not in self._STOP:
            start -= 1
        end = at
        while end < len(spellings) and spellings[end] != ";":
            end += 1
        return spellings[start:end + 1]


def _macro_value(cursor) -> str:
    tokens = [t.spelling for t in cursor.get_tokens()]
    return " ".join(tokens[1:])


def _deprecation(cursor, tokens: List[str], sources: _Sources) -> str:
    """libssh2's reason for deprecating a declaration, or "" if it does not.

    1.11 writes LIBSSH2_DEPRECATED(version, "message"); older releases only say so in
    a comment directly above the declaration.
    """
    if "LIBSSH2_DEPRECATED" in tokens:
        at = tokens.index("LIBSSH2_DEPRECATED")
        close = tokens.index(")", at)
        parts = [t for t in tokens[at + 2:close] if t != ","]
        since = "".join(p for p in parts if not p.startswith('"'))
        message = " ".join(p.strip('"') for p in parts if p.startswith('"'))
        return f"since libssh2 {since}. {message}".strip()
    if cursor.availability == ci.AvailabilityKind.DEPRECATED:
        return "deprecated by libssh2"
    comment = sources.comment_above(cursor.extent.start.file.name, cursor.extent.start.line)
    if "DEPRECATED" in comment:
        return comment
    return ""


def _function(cursor, tokens: List[str], sources: _Sources) -> Function:
    params = tuple(_param(cursor.spelling, i, p, tokens) for i, p in enumerate(cursor.get_arguments()))
    # An attribute macro libssh2 may add (LIBSSH2_WARN_UNUSED_RESULT): only what it means is
    # kept; any other attribute is left to the C declaration.
    nodiscard = any(c.kind == ci.CursorKind.WARN_UNUSED_RESULT_ATTR for c in cursor.get_children())
    return Function(name=cursor.spelling, result=cursor.result_type.spelling, params=params,
                    header=os.path.basename(cursor.location.file.name),
                    deprecated=_deprecation(cursor, tokens, sources), nodiscard=nodiscard)


def _param(function: str, index: int, cursor, function_tokens: List[str]) -> Param:
    name, ctype = cursor.spelling or f"arg{index}", cursor.type
    canonical = ctype.get_canonical().spelling
    if ctype.kind in (ci.TypeKind.INCOMPLETEARRAY, ci.TypeKind.CONSTANTARRAY):
        if ctype.kind == ci.TypeKind.CONSTANTARRAY:
            # A fixed-size array parameter is a pointer in C and C++ alike.
            return Param(name=name, type=spell_type(ctype.element_type) + " *", canonical=canonical)
        return Param(name=name, type=spell_type(ctype.element_type), array=True, canonical=canonical)
    callback = ""
    if _is_function_pointer(ctype):
        # Its callback type: the LIBSSH2_*_FUNC macro it is declared through, however the
        # declarator inside is written ("((*name))", "(*name)"), or its typedef, or none.
        callback = _callback_declarator(name, function_tokens) or (
            ctype.spelling if ctype.kind == ci.TypeKind.TYPEDEF else "")
    return Param(name=name, type=spell_type(ctype), callback=callback, canonical=canonical)


def _is_function_pointer(ctype) -> bool:
    canonical = ctype.get_canonical()
    return canonical.kind == ci.TypeKind.POINTER and canonical.get_pointee().kind in (
        ci.TypeKind.FUNCTIONPROTO, ci.TypeKind.FUNCTIONNOPROTO)


def spell_type(ctype) -> str:
    """A type as libssh2 names it (typedefs kept), without the parentheses clang keeps
    from a declarator: "void (*(*)(size_t, void **))" is "void *(*)(size_t, void **)"."""
    if "(" not in ctype.spelling:
        return ctype.spelling
    if ctype.kind == ci.TypeKind.POINTER:
        pointee = ctype.get_pointee()
        if pointee.kind == ci.TypeKind.FUNCTIONPROTO:
            args = ", ".join(spell_type(a) for a in pointee.argument_types()) or "void"
            result = spell_type(pointee.get_result())
            return f"{result}{'' if result.endswith('*') else ' '}(*)({args})"
        inner = spell_type(pointee)
        return inner + ("*" if inner.endswith("*") else " *")
    return ctype.spelling


def _callback_declarator(name: str, tokens: List[str]) -> str:
    """The LIBSSH2_*_FUNC macro whose parenthesised argument declares `name`, if any."""
    for i, token in enumerate(tokens[:-1]):
        if not re.fullmatch(r"LIBSSH2_\w+_FUNC", token) or tokens[i + 1] != "(":
            continue
        depth = 0
        for inner in tokens[i + 1:]:
            depth += inner == "("
            depth -= inner == ")"
            if inner == name:
                return token
            if depth == 0:
                break
    return ""


class _RawMacro:
    """A function-like macro as written: parameters, callee and argument texts."""

    def __init__(self, name, params, callee, args, header, deprecated, not_call_reason=""):
        self.name, self.params, self.callee, self.args = name, params, callee, args
        self.header, self.deprecated, self.not_call_reason = header, deprecated, not_call_reason


def _raw_macro(cursor, sources: _Sources) -> Optional[_RawMacro]:
    tokens = list(cursor.get_tokens())
    if len(tokens) < 2 or tokens[1].spelling != "(" or \
            tokens[1].extent.start.offset != tokens[0].extent.end.offset:
        return None  # object-like
    path = cursor.location.file.name
    close = next(i for i, t in enumerate(tokens) if t.spelling == ")")
    params = tuple(t.spelling for t in tokens[2:close] if t.spelling != ",")
    if "..." in params:
        raise GeneratorError(f"{cursor.spelling}: variadic macros are not supported")
    body = tokens[close + 1:]
    header = os.path.basename(path)
    deprecated = _deprecation(cursor, [t.spelling for t in tokens], sources)
    text = sources.span(path, body[0].extent.start.offset, body[-1].extent.end.offset) if body else ""
    if body and body[0].spelling == "{":
        return _RawMacro(cursor.spelling, params, None, (), header, deprecated,
                         f"initializer, not a call: expands to '{text}', usable as is in C++")
    if (len(body) < 3 or body[0].kind != ci.TokenKind.IDENTIFIER or body[1].spelling != "("
            or body[-1].spelling != ")" or _matching_paren(body, 1) != len(body) - 1):
        raise GeneratorError(
            f"{cursor.spelling}: unknown macro construct '{text}' (expected one call of a "
            "libssh2 function); extend parse.py or list it as unbound in grouping.py")
    args = _split_args(body[2:-1], sources, path)
    return _RawMacro(cursor.spelling, params, body[0].spelling, args, header, deprecated)


def _matching_paren(tokens, open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(tokens)):
        if tokens[i].spelling == "(":
            depth += 1
        elif tokens[i].spelling == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _split_args(tokens, sources: _Sources, path: str) -> Tuple[str, ...]:
    args, current, depth = [], [], 0
    for t in tokens:
        if t.spelling in "([{" and t.kind == ci.TokenKind.PUNCTUATION:
            depth += 1
        elif t.spelling in ")]}" and t.kind == ci.TokenKind.PUNCTUATION:
            depth -= 1
        if t.spelling == "," and depth == 0:
            args.append(current)
            current = []
        else:
            current.append(t)
    if current:
        args.append(current)
    return tuple(sources.span(path, a[0].extent.start.offset, a[-1].extent.end.offset) for a in args)


def _strip_parens(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _substitute(arg: str, values: Dict[str, str]) -> str:
    return re.sub(r"\b[A-Za-z_]\w*\b", lambda m: values.get(m.group(0), m.group(0)), arg)


def _resolve_macro(raw: _RawMacro, raw_macros: Dict[str, _RawMacro],
                   functions: Dict[str, Function], seen: Tuple[str, ...] = ()) -> Macro:
    """Follow raw's call to a LIBSSH2_API function and type its parameters from it."""
    if raw.name in seen:
        raise GeneratorError(f"{raw.name}: macros expand into each other in a cycle: {seen}")
    callee, args = raw.callee, raw.args
    chain = seen + (raw.name,)
    while callee in raw_macros:
        inner = raw_macros[callee]
        if inner.callee is None or inner.name in chain:
            raise GeneratorError(f"{raw.name}: expands to {callee}, which is not a call")
        if len(inner.params) != len(args):
            raise GeneratorError(f"{raw.name}: passes {len(args)} arguments to {callee}, "
                                 f"which takes {len(inner.params)}")
        values = {p: a if re.fullmatch(r"\w+", a) or _strip_parens(a) != a else f"({a})"
                  for p, a in zip(inner.params, args)}
        callee, args = inner.callee, tuple(_substitute(a, values) for a in inner.args)
        chain += (inner.name,)
    if callee not in functions:
        raise GeneratorError(f"{raw.name}: expands to a call of '{callee}', "
                             "which is not a LIBSSH2_API function of these headers")
    target = functions[callee]
    if len(args) != len(target.params):
        raise GeneratorError(f"{raw.name}: passes {len(args)} arguments to {callee}, "
                             f"which takes {len(target.params)}")
    params = []
    for name in raw.params:
        position = next((i for i, a in enumerate(args) if _strip_parens(a) == name), None)
        if position is None and any(re.match(rf"\(?{name}\)?\s*\?", a) for a in args):
            # Used only as the condition of ?: (libssh2_channel_ignore_extended_data):
            # C takes any scalar there; int is what the man page documents.
            params.append(Param(name=name, type="int", canonical="int"))
            continue
        if position is None:
            raise GeneratorError(
                f"{raw.name}: parameter '{name}' is never passed as a whole argument of "
                f"{callee}, so its type is unknown")
        p = target.params[position]
        params.append(dataclasses.replace(p, name=name))
    return Macro(name=raw.name, params=tuple(params), target=callee, call_args=args,
                 arg_types=tuple(p.type for p in target.params),
                 arg_canonical=tuple(p.canonical or p.type for p in target.params),
                 nodiscard=target.nodiscard,
                 result=target.result, header=raw.header,
                 deprecated=raw.deprecated or target.deprecated)
