"""Compile a codec into straight-line Python: decode functions per element class (per
namespace, for stanzas) and encode functions per class and place (the default namespace
of the parent, when known), generated once, on first use.

Why generate code: a generic loop over field specs pays a dict lookup, a list copy and
an indirect call per field per element; the generated function assigns locals and
compares tags against constants, which is what makes typed decoding cost about as
much as lxml building its own tree.

The generated decoder handles only input that is valid; at the first thing it does not
expect it hands the element to the codec's interpretive decoder (``Codec.explain``),
which either builds the same object or raises the precise error (node path, rule,
condition).  So errors are written once, in ``codec.py``, and the fast path stays small.

The generated encoder writes what it can settle at compile time as constants: the start
tag for its place, the whole text of an enum member or small count, the children's
namespace.  The encoders of a field's child classes are written into the field's loop
(their names given a suffix), so a list of children costs no call per child; anything
else a field holds goes through a table by type to its own encoder, or to the careful
path, which says what is wrong.  The bytes are the ones the careful path would write.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError, SerializeError
from xepcodec.model.fields import ANY_NAME
from xepcodec.model.raw import XmlFragment
from xepcodec.model.values import (
    STRING,
    Boolean,
    DateTimeValue,
    EnumValue,
    Integer,
    JIDValue,
    String,
    Value,
)
from xepcodec.xml.writer import ATTRIBUTE_ESCAPES, TEXT_ESCAPES, escape_attribute, escape_text

if TYPE_CHECKING:
    from xepcodec.model.codec import Codec, Runner

__all__ = ["compile_decoder", "compile_encoder"]



class _Source:
    """Lines of a function being generated, and the constants it refers to."""

    def __init__(self, scope: dict[str, Any]) -> None:
        self.lines: list[str] = []
        self.scope = scope

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def const(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{len(self.scope)}"
        self.scope[name] = value
        return name

    def build(self, name: str, of: type) -> Callable[..., Any]:
        # The file name tells in a traceback (or a profile) whose generated code ran.
        code = compile("\n".join(self.lines), f"<{name} of {of.__qualname__}>", "exec")
        exec(code, self.scope)  # generated from declarations only
        made: Callable[..., Any] = self.scope[name]
        return made


def _clark(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}" if namespace else name


def compile_decoder(codec: Codec, namespace: str, local: str | None = None,
                    ) -> Callable[[Any], Any]:
    """The fast decoder of ``codec`` for elements in ``namespace`` (named ``local``,
    when the caller knows the name: see :meth:`Codec.runner`)."""
    from xepcodec.model import codec as machinery

    missing = machinery._MISSING
    src = _Source({"MISSING": missing, "slow": codec.explain, "new": object.__new__,
                   "cls": codec.cls, "ParseError": ParseError,
                   "decode_child": machinery.decode_child})
    src.line(0, "def decode(el):")
    for index, default in enumerate(codec.defaults):
        if index in codec.repeated:
            start = "()"  # a list only once there is an item: see _append
        elif default is missing or default is None:
            start = "MISSING" if default is missing else "None"
        else:
            start = src.const("d", default)
        src.line(1, f"v{index} = {start}")
    src.line(1, "try:")
    _decode_attributes(src, codec)
    _decode_text(src, codec)
    _decode_children(src, codec, namespace)
    for spec in codec.required_attrs:
        src.line(2, f"if v{spec.index} is MISSING: return slow(el)")
    for want in codec.required_children:
        src.line(2, f"if v{want.index} is MISSING: return slow(el)")
    for index in codec.repeated:
        src.line(2, f"v{index} = tuple(v{index}) if v{index} else ()")
    if codec.xmlns is not None:
        if codec.defaults[codec.xmlns] is None:
            record = src.const("r", codec.recorded_namespace)
            src.line(2, f"v{codec.xmlns} = {record}(el, {namespace!r})")
        else:
            src.line(2, f"v{codec.xmlns} = {namespace!r}")
    if codec.local_name is not None:
        _decode_local_name(src, codec, namespace, local)
    _construct(src, codec)
    src.line(2, "return obj")
    # This element's own surprises go to the careful path, which says what is wrong.  A
    # ParseError that already names its node is final: it comes from a child's careful
    # decoder (or a value that located itself), and the careful path would raise it
    # unchanged after decoding the earlier children again.  Handing it over anyway
    # would decode the subtree once more at every level: 2**depth for nested input.
    src.line(1, "except ParseError as error:")
    src.line(2, "if error.path is not None: raise")
    src.line(2, "return slow(el)")
    src.line(1, "except ValueError:")
    src.line(2, "return slow(el)")
    return src.build("decode", codec.cls)


def _construct(src: _Source, codec: Codec) -> None:
    """Build the object from the locals ``v0``…, then run the class's rules and the
    extension policy, as the keyword constructor runs them.

    The frozen class refuses attribute assignment, so the fields are stored in an
    instance of its mutable twin (same slots, so the same layout), which then becomes
    an instance of the class: a plain store into a slot is the cheapest there is.
    Where the class has no twin, the fields are set through its own slot descriptors
    (cheaper than ``object.__setattr__``, which looks the name up again)."""
    cls = codec.cls
    twin = _twin(cls)
    if twin is not None:
        # Calling the twin (which has no __init__) costs less than object.__new__(twin).
        src.line(2, f"obj = {src.const('M', twin)}()")
        for index, name in enumerate(codec.field_names):
            src.line(2, f"obj.{name} = v{index}")
        src.line(2, "obj.__class__ = cls")
    else:
        src.line(2, "obj = new(cls)")
        for index, name in enumerate(codec.field_names):
            src.line(2, f"{src.const('s', getattr(cls, name).__set__)}(obj, v{index})")
    if hasattr(cls, "__post_init__"):
        src.line(2, f"{src.const('post', cls.__post_init__)}(obj)")
    if codec.foreign_only:
        src.line(2, f"if v{codec.extensions}: {src.const('p', codec.check_foreign)}(obj)")


@functools.cache
def _twin(cls: type) -> type | None:
    """A mutable class with the slots of ``cls`` (a direct subclass of object whose
    fields are all slots), whose instances may become instances of ``cls``; None
    where there is no such class."""
    slots = cls.__dict__.get("__slots__")
    if cls.__bases__ != (object,) or not isinstance(slots, tuple) or "__dict__" in slots:
        return None
    twin = type(f"_Mutable{cls.__name__}", (), {"__slots__": slots})
    try:
        probe: Any = object.__new__(twin)
        probe.__class__ = cls  # refused where the layouts differ
    except TypeError:
        return None
    return twin


def _decode_local_name(src: _Source, codec: Codec, namespace: str, local: str | None) -> None:
    """The local-name field: a constant where the caller matched the name, else read
    from the tag."""
    assert codec.local_name is not None
    slot = f"v{codec.local_name}"
    kind = codec.attrs_local_kind
    read = "el.tag.rpartition('}')[2]"
    parse = f"{src.const('k', kind.parse)}({read})" if kind else read
    if local is None or local == ANY_NAME:
        src.line(2, f"{slot} = {parse}")
        return
    try:
        value = kind.parse(local) if kind else local
    except ValueError:
        src.line(2, "return slow(el)")  # a name its kind refuses: the careful path says so
        return
    src.line(2, f"{slot} = {src.const('n', value)}")


#: The usual spelling of each small non-negative integer, and its value.
_DIGITS: Final = {str(number): number for number in range(1024)}


def _refuse() -> None:
    raise ValueError  # caught by the generated decoder, which hands over to the careful one


def _parser(src: _Source, kind: Value[Any], raw: str) -> str:
    """An expression reading ``raw`` with ``kind``: the common cases inline (plain and
    non-empty strings, digits, an enum's values), everything else through the kind's
    ``parse``, which also says what is wrong.  Kinds are inlined by their exact class:
    a subclass may read its values otherwise (MUC status codes are an IntEnum)."""
    if kind is STRING:
        return raw
    src.scope["refuse"] = _refuse
    if isinstance(kind, String) and kind.pattern is None and kind.max_length is None:
        return f"(w if len(w := {raw}) >= {kind.min_length} else refuse())"
    parse = src.const("k", kind.parse)
    if type(kind) is Integer:
        # Counts, indexes and seconds are mostly small: their spellings are looked up.
        low = "" if kind.minimum is None else f" and {kind.minimum} <= w"
        high = "" if kind.maximum is None else f" and w <= {kind.maximum}"
        src.scope["DIGITS"] = _DIGITS
        return f"(w if (w := DIGITS.get(r := {raw})) is not None{low}{high} else {parse}(r))"
    if type(kind) is EnumValue:
        members = src.const("e", kind.enum._value2member_map_)
        return f"(w if (w := {members}.get(r := {raw})) is not None else {parse}(r))"
    if type(kind) is String:
        return f"(w if {_string_test(src, kind, 'w', raw)} else {parse}(w))"
    if type(kind) is JIDValue:
        return f"{src.const('j', JID.parse)}({raw})"  # what JIDValue.parse calls
    return f"{parse}({raw})"


def _string_test(src: _Source, kind: String, name: str, value: str) -> str:
    """A test that ``value`` (bound to ``name``) has the length and matches the
    pattern ``kind`` requires, with the pattern compiled once."""
    bound = name if name == value else f"({name} := {value})"
    tests = [f"len{bound} >= {kind.min_length}" if bound != name
             else f"len({name}) >= {kind.min_length}"]
    if kind.max_length is not None:
        tests.append(f"len({name}) <= {kind.max_length}")
    if kind.pattern is not None:
        tests.append(f"{src.const('P', re.compile(kind.pattern))}.fullmatch({name}) is not None")
    return " and ".join(tests)


def _decode_attributes(src: _Source, codec: Codec) -> None:
    if not codec.attrs:
        src.line(2, "if el.keys(): return slow(el)")
        return
    src.line(2, "for key, raw in el.items():")
    keyword = "if"
    for spec in codec.attrs.values():
        src.line(3, f"{keyword} key == {spec.xml_name!r}: "
                    f"v{spec.index} = {_parser(src, spec.value, 'raw')}")
        keyword = "elif"
    src.line(3, "else: return slow(el)")


def _decode_text(src: _Source, codec: Codec) -> None:
    src.line(2, "text = el.text")
    if codec.text is None:
        src.line(2, "if text and text.strip(' \\t\\r\\n'): return slow(el)")
        return
    index, _, kind = codec.text
    value = _parser(src, kind, "text or ''")
    src.line(2, f"if text is not None or v{index} is MISSING: v{index} = {value}")


def _decode_children(src: _Source, codec: Codec, namespace: str) -> None:
    from xepcodec.model import codec as machinery

    handlers = [h for h in codec.children if h.kind != machinery.EXTENSIONS]
    if not codec.children:
        src.line(2, "if len(el): return slow(el)")
        return
    # Children are walked with getnext() from the first: iterating an element costs an
    # iterator object, which is most of the cost for the usual one or two children.
    # getnext(), like iteration, yields comments and processing instructions too.
    src.line(2, "if len(el):")
    src.line(3, "node = el[0]")
    src.line(3, "while node is not None:")
    src.line(4, "tag = node.tag")
    src.line(4, "tail = node.tail")
    src.line(4, "if tail and tail.strip(' \\t\\r\\n'): return slow(el)")
    keyword = "if"
    tagged = [(handler, list(machinery._tags(handler, namespace))) for handler in handlers]
    # Exact names first: a class declared with ANY_NAME takes only what they leave.
    # Among them, the repeated fields' names first, as they are most of what is met.
    repeated = (machinery.CHILDREN, machinery.TEXT_CHILDREN)
    tagged.sort(key=lambda pair: (pair[1][0].endswith("}" + ANY_NAME),
                                  pair[0].kind not in repeated))
    # A few names of a class field get a branch each: comparing the tag to a constant
    # and calling that name's decoder costs less than a set test and a lookup by tag.
    tagged = [(handler, part) for handler, tags in tagged
              for part in ([[tag] for tag in tags] if _one_branch_each(handler, tags)
                           else [tags])]
    for handler, tags in tagged:
        if tags[0].endswith("}" + ANY_NAME):
            test = f"tag.startswith({tags[0][:-len(ANY_NAME)]!r})"
        elif len(tags) == 1:
            test = f"tag == {tags[0]!r}"
        else:
            test = f"tag in {src.const('t', frozenset(tags))}"
        src.line(4, f"{keyword} {test}:")
        keyword = "elif"
        _decode_child(src, handler, tags)
    if codec.extensions is not None:
        src.line(4, f"{'else' if handlers else 'if True'}:")
        src.line(5, "if not isinstance(tag, str): return slow(el)")
        _append(src, 5, f"v{codec.extensions}", "decode_child(node, tag)")
    elif handlers:
        src.line(4, "else: return slow(el)")
    else:
        src.line(4, "return slow(el)")
    src.line(4, "node = node.getnext()")


#: How many names of a class field are tested one by one rather than looked up.
_BRANCHES: Final = 4


def _one_branch_each(handler: Any, tags: list[str]) -> bool:
    """Whether the child names ``tags`` of ``handler`` are tested one by one."""
    from xepcodec.model import codec as machinery

    return (handler.kind in (machinery.CHILD, machinery.CHILDREN)
            and 1 < len(tags) <= _BRANCHES and not tags[0].endswith("}" + ANY_NAME))


def _append(src: _Source, depth: int, slot: str, value: str) -> None:
    """Add ``value`` to the items of a repeated field: its local starts as an empty
    tuple, and becomes a list with its first item, so an element pays for no list
    where the field is absent (most open slots) and for no append for a first item."""
    src.line(depth, f"if {slot}: {slot}.append({value})")
    src.line(depth, f"else: {slot} = [{value}]")


def _runner_of(handler: Any, tag: str) -> Runner:
    """The decoder of the child element ``tag`` a field of ``handler`` holds."""
    from xepcodec.model import codec as machinery

    codec = machinery.codec_of(machinery._class_for(handler, tag))
    namespace, local = machinery._split(tag)
    return codec.runner(namespace, local if codec.local_name is not None else None)


def _decode_child(src: _Source, handler: Any, tags: list[str]) -> None:
    from xepcodec.model import codec as machinery

    slot = f"v{handler.index}"
    kind = handler.kind
    if kind in (machinery.CHILD, machinery.CHILDREN):
        if tags[0].endswith("}" + ANY_NAME):
            runners = {tags[0]: _runner_of(handler, tags[0])}
        else:
            runners = {tag: _runner_of(handler, tag) for tag in tags}
        if len(set(map(id, runners.values()))) == 1:
            run = f"{src.const('c', next(iter(runners.values())))}.run(node)"
        else:
            run = f"{src.const('m', runners)}[tag].run(node)"
        if kind == machinery.CHILD:
            src.line(5, f"if {slot} is not None and {slot} is not MISSING: return slow(el)")
            src.line(5, f"{slot} = {run}")
        else:
            _append(src, 5, slot, run)
        return
    src.line(5, "if len(node) or node.keys(): return slow(el)")
    if kind == machinery.FLAG:
        src.line(5, f"if {slot}: return slow(el)")
        src.line(5, "text = node.text")
        src.line(5, "if text and text.strip(' \\t\\r\\n'): return slow(el)")
        src.line(5, f"{slot} = True")
        return
    value = _parser(src, handler.value, "node.text or ''")
    if kind == machinery.TEXT_CHILDREN:
        _append(src, 5, slot, value)
    else:
        src.line(5, f"if {slot} is not None and {slot} is not MISSING: return slow(el)")
        src.line(5, f"{slot} = {value}")


# -- encoding -------------------------------------------------------------------------


def _careful(codec: Codec, field: str, kind: Value[Any],
             escape: Callable[[str], str]) -> Callable[[Any], str]:
    """Format and escape one value the slow way, refusing what XML cannot carry."""

    def write(value: Any) -> str:
        try:
            return escape(kind.format(value))
        except ValueError as error:
            raise SerializeError(f"{codec.cls.__name__}.{field}: {error}") from None

    return write


# The characters escaping replaces in attribute values and in text (besides tab,
# newline and carriage return, which are not printable).
_ATTRIBUTE_MARKUP: Final = '&<>"'
_TEXT_MARKUP: Final = "&<>"


def _value_expr(src: _Source, codec: Codec, field: str, kind: Value[Any],
                attribute: bool) -> str:
    """An expression giving the escaped text of ``v``: strings, JIDs, enum members,
    integers and booleans of the field's kind are written inline, anything else (and
    any value the kind may refuse) through the careful formatter, which says what is
    wrong.  Each inline case gives the very text the careful formatter would; kinds
    are inlined by their exact class, as in :func:`_parser`."""
    escape = escape_attribute if attribute else escape_text
    careful = src.const("f", _careful(codec, field, kind, escape))
    if type(kind) is EnumValue:
        # A member's text, escaped once for all.
        texts = src.const("e", {member: escape(str(member.value)) for member in kind.enum})
        return f"({texts}[v] if type(v) is {src.const('E', kind.enum)} else {careful}(v))"
    if type(kind) is Integer:
        low = "" if kind.minimum is None else f" and {kind.minimum} <= v"
        high = "" if kind.maximum is None else f" and v <= {kind.maximum}"
        return f"(str(v) if type(v) is int{low}{high} else {careful}(v))"
    if type(kind) is Boolean:
        return f"(('true' if v else 'false') if type(v) is bool else {careful}(v))"
    if type(kind) is DateTimeValue:
        # A UTC date-time as XEP-0082 writes it: isoformat's text without its +00:00,
        # to the second, millisecond or microsecond, whichever is exact, then Z.
        when, utc = src.const("D", datetime), src.const("U", UTC)
        spec = ("'seconds' if not (m := v.microsecond) else 'milliseconds' if not m % 1000 "
                "else 'microseconds'")
        return (f"(v.isoformat('T', {spec})[:-6] + 'Z' if type(v) is {when} and "
                f"v.tzinfo is {utc} else {careful}(v))")
    if type(kind) is JIDValue:
        # A JID's text is kept on the JID (read here without the call str() makes; a
        # copied JID has none, and str() makes it again).  Escaping also turns an
        # apostrophe (which a resourcepart may hold) into a reference in attributes,
        # as the careful path does.
        kept = "(w := getattr(v, '_text', None) or str(v))"
        return _escaped(src, "w", f"type(v) is {src.const('J', JID)} and {kept}",
                        careful, attribute, apostrophe=attribute)
    if isinstance(kind, String) and kind.pattern is None and kind.max_length is None:
        long_enough = f" and len(v) >= {kind.min_length}" if kind.min_length else ""
        return _escaped(src, "v", f"type(v) is str{long_enough}", careful, attribute,
                        apostrophe=False)
    if type(kind) is String:
        return _escaped(src, "v", f"type(v) is str and {_string_test(src, kind, 'v', 'v')}",
                        careful, attribute, apostrophe=False)
    return f"{careful}(v)"


def _escaped(src: _Source, text: str, test: str, careful: str, attribute: bool, *,
             apostrophe: bool) -> str:
    """``text`` escaped where ``test`` holds and ``text`` is printable, else the
    careful formatter.  isprintable() is false for every character XML cannot carry
    and for tab, newline and carriage return, so what is left to escape is markup,
    and most values hold none: they go out as they are, the others with each markup
    character replaced by its reference (``&`` first), as the writer's escaping does."""
    markup = (_ATTRIBUTE_MARKUP + ("'" if apostrophe else "")) if attribute else _TEXT_MARKUP
    plain = " and ".join(f"{char!r} not in {text}" for char in markup)
    table = ATTRIBUTE_ESCAPES if attribute else TEXT_ESCAPES
    every = _ATTRIBUTE_MARKUP + "'" if attribute else _TEXT_MARKUP
    escaped = text + "".join(f".replace({char!r}, {table[ord(char)]!r})" for char in every)
    return (f"(({text} if {plain} else {escaped}) "
            f"if {test} and {text}.isprintable() else {careful}(v))")


#: ``compile_encoder``'s ``parent`` (and a namespace the compiler does not know) when
#: it is known only when the encoder runs.
_ANYWHERE: Final[Any] = object()


class _Table(dict[type, Callable[[Any, list[str]], None]]):
    """The encoders of a field's items by their exact type, for a place whose namespace
    is known: filled as types are met, so a child is written by one dictionary lookup
    and one call.  ``find`` gives a type's encoder and whether it may be kept; types
    the field does not declare go through the careful path every time, which raises."""

    __slots__ = ("find",)

    def __init__(self, find: Callable[[type], tuple[Callable[[Any, list[str]], None], bool]],
                 ) -> None:
        super().__init__()
        self.find = find

    def __missing__(self, kind: type) -> Callable[[Any, list[str]], None]:
        write, keep = self.find(kind)
        if keep:
            self[kind] = write
        return write


def _child_table(handler: Any, namespace: str | None) -> _Table:
    """The encoders of a child field's classes written in ``namespace``."""
    from xepcodec.model import codec as machinery

    def find(kind: type) -> tuple[Callable[[Any, list[str]], None], bool]:
        if kind in handler.classes:
            return machinery.codec_of(kind).writer(namespace).compiled(), True

        def careful(item: Any, out: list[str]) -> None:
            machinery._encode_known(item, handler, out, namespace)

        return careful, False

    return _Table(find)


def _extension_table(namespace: str | None) -> _Table:
    """The encoders of an open slot's items (typed or raw) written in ``namespace``."""
    from xepcodec.model import codec as machinery

    def find(kind: type) -> tuple[Callable[[Any, list[str]], None], bool]:
        if issubclass(kind, XmlFragment):
            def raw(item: Any, out: list[str]) -> None:
                out.append(item.write(namespace))

            return raw, True
        codec = kind.__dict__.get("__xml_codec__")
        if codec is None:
            def careful(item: Any, out: list[str]) -> None:
                machinery.encode_into(item, out, namespace)  # says what is wrong

            return careful, False
        return codec.writer(namespace).compiled(), True

    return _Table(find)


def compile_encoder(codec: Codec, parent: Any = _ANYWHERE) -> Callable[..., None]:
    """The fast encoder of ``codec``: appends the element's XML to a list of strings.

    With ``parent`` (the default namespace of the place the element is written in) it
    is ``encode(obj, out)`` for that place; without, ``encode(obj, out, parent)``."""
    return _encoder_source(codec, parent).build("encode", codec.cls)


def _encoder_source(codec: Codec, parent: Any, *, inline: bool = True) -> _Source:
    """The source of :func:`compile_encoder`'s function (with the children of one
    class written in its own body when ``inline``)."""
    src = _Source({"escape_attribute": escape_attribute, "codec": codec,
                   "getattr": getattr})
    src.scope["inline"] = inline
    if parent is _ANYWHERE:
        src.line(0, "def encode(obj, out, parent):")
    else:
        src.line(0, "def encode(obj, out):")
        src.line(1, f"parent = {parent!r}")
    own = _encode_namespace(src, codec, parent)
    name = _encode_name(src, codec)
    inner = own
    # The start tag: its opening, then each attribute present (the first written with
    # the opening).
    if codec.prefix:
        # A prefixed element (``stream:features``) leaves the default namespace of its
        # children as it found it.
        src.line(1, f"name = {codec.prefix!r} + ':' + name")
        src.line(1, f"o = '<' + name + ' xmlns:{codec.prefix}=\"' + escape_attribute(ns) + '\"'")
        src.line(1, "ns = parent")
        opening = "o"
        inner = parent
    elif own is not _ANYWHERE and parent is not _ANYWHERE:
        declared = "" if own == parent else f' xmlns="{escape_attribute(own)}"'
        if name is not None:
            opening = repr("<" + name + declared)
        else:
            opening = f"'<' + name + {declared!r}" if declared else "'<' + name"
    elif own is not _ANYWHERE and name is not None:
        declared = f'<{name} xmlns="{escape_attribute(own)}"'
        opening = f"({'<' + name!r} if parent == {own!r} else {declared!r})"
    elif name is not None:
        declared = src.const("q", {namespace: f'<{name} xmlns="{escape_attribute(namespace)}"'
                                   for namespace in codec.namespaces})
        opening = f"({'<' + name!r} if ns == parent else {declared}[ns])"
    else:
        declarations = src.const("q", {namespace: f' xmlns="{escape_attribute(namespace)}"'
                                       for namespace in codec.namespaces})
        opening = f"('<' + name if ns == parent else '<' + name + {declarations}[ns])"
    for position, spec in enumerate(codec.attrs.values()):
        src.line(1, f"v = obj.{spec.field}")
        if position == 0:
            first = _attribute_text(src, codec, spec, opening)
            src.line(1, f"if v is not None: out.append({first})")
            src.line(1, f"else: out.append({opening})")
        else:
            src.line(1, f"if v is not None: out.append({_attribute_text(src, codec, spec)})")
    if not codec.attrs:
        src.line(1, f"out.append({opening})")
    _encode_content(src, codec, name, own, inner)
    _drop_unused(src, ("parent", "ns", "name"))
    del src.scope["inline"]
    return src


def _drop_unused(src: _Source, names: tuple[str, ...]) -> None:
    """Leave out the assignments of constants to ``names`` that no other line reads
    (the place, namespace and name, once settled at compile time, are mostly written
    into the strings already).  A name seen anywhere else, even inside a string,
    counts as read."""
    for name in names:
        assignment = re.compile(rf"    {name} = '[^'\\]*'")
        used = re.compile(rf"(?<![\w.]){name}\b")
        kept = [line for line in src.lines if not assignment.fullmatch(line)]
        if len(kept) < len(src.lines) and not any(used.search(line) for line in kept):
            src.lines = kept


def _attribute_text(src: _Source, codec: Codec, spec: Any, before: str = "") -> str:
    """An expression giving the attribute ``spec`` written out (`` name="value"``) for
    the value ``v``, after the text of the expression ``before`` when given.  An enum
    member's, and a small count's, whole text is looked up."""
    head = spec.declaration + " " + spec.written + '="'
    value = _value_expr(src, codec, spec.field, spec.value, attribute=True)
    if not before:
        written = f"{head!r} + {value} + '\"'"
        ahead = ""
    elif before.startswith("'") and before.endswith("'"):
        written = f"{ast.literal_eval(before) + head!r} + {value} + '\"'"
        ahead = f"{before} + "
    else:
        written = f"{before} + {head!r} + {value} + '\"'"
        ahead = f"{before} + "
    kind = spec.value
    if type(kind) is EnumValue:
        texts = src.const("A", {member: f'{head}{escape_attribute(str(member.value))}"'
                                for member in kind.enum})
        return (f"{ahead}{texts}[v] if type(v) is {src.const('E', kind.enum)} "
                f"else {written}")
    if type(kind) is Integer:
        numbers = [number for number in _DIGITS.values()
                   if (kind.minimum is None or kind.minimum <= number)
                   and (kind.maximum is None or number <= kind.maximum)]
        texts = src.const("A", {number: f'{head}{number}"' for number in numbers})
        return (f"{ahead}x if type(v) is int and (x := {texts}.get(v)) is not None "
                f"else {written}")
    return written


def _encode_namespace(src: _Source, codec: Codec, parent: Any) -> Any:
    """Set ``ns`` to the element's namespace; return it when it is known now."""
    if len(codec.namespaces) == 1:
        own: Any = codec.namespaces[0]
    elif codec.xmlns is None and parent is not _ANYWHERE:
        # Its parent's namespace, when it is one of ours (see Codec._namespace_for).
        own = parent if parent in codec.namespaces else codec.namespaces[0]
    elif codec.xmlns is None:
        spaces = src.const("N", frozenset(codec.namespaces))
        src.line(1, f"ns = parent if parent in {spaces} else {codec.namespaces[0]!r}")
        return _ANYWHERE
    else:
        # The namespace the object records; where it records none, the parent's when
        # it is one of ours, else our first; one we are not declared in is refused by
        # Codec._namespace_for.
        spaces = src.const("N", codec.namespaces)
        placed = (repr(parent if parent in codec.namespaces else codec.namespaces[0])
                  if parent is not _ANYWHERE
                  else f"parent if parent in {spaces} else {codec.namespaces[0]!r}")
        src.line(1, f"ns = obj.{codec.field_names[codec.xmlns]}")
        src.line(1, f"if ns is None: ns = {placed}")
        src.line(1, f"elif ns not in {spaces}: codec._namespace_for(obj, parent)")
        return _ANYWHERE
    src.line(1, f"ns = {own!r}")
    return own


def _encode_name(src: _Source, codec: Codec) -> str | None:
    """Set ``name`` to the element's local name; return it when it is fixed."""
    kind = codec.attrs_local_kind
    if codec.local_name is not None and type(kind) is EnumValue and codec.names != (ANY_NAME,):
        # The members that name the element, by member; anything else is checked (and
        # refused) by Codec._local_name_of.
        field = codec.field_names[codec.local_name]
        names = src.const("L", {member: str(member.value) for member in kind.enum
                                if str(member.value) in codec.names})
        src.line(1, f"v = obj.{field}")
        src.line(1, f"name = {names}[v] if type(v) is {src.const('E', kind.enum)} "
                    f"and v in {names} else codec._local_name_of(obj)")
        return None
    if codec.local_name is not None:
        src.line(1, "name = codec._local_name_of(obj)")
        return None
    src.line(1, f"name = {codec.name!r}")
    return None if codec.prefix else codec.name


def _encode_content(src: _Source, codec: Codec, name: str | None, own: Any,
                    inner: Any) -> None:
    """The element's text and children, then its end; an element whose fields hold
    nothing to write is closed at once."""
    from xepcodec.model import codec as machinery

    # Each field's value in a local, and the test that it writes nothing.
    fields: list[tuple[str, str]] = []
    if codec.text is not None:
        fields.append((f"t{codec.text[0]}", "({0} is None or {0} == '')"))
    for handler in codec.children:
        test = {machinery.CHILD: "{0} is None", machinery.TEXT_CHILD: "{0} is None"
                }.get(handler.kind, "not {0}")
        fields.append((f"t{handler.index}", test))
    if not fields:
        src.line(1, "out.append('/>')")
        return
    for local, _ in fields:
        src.line(1, f"{local} = obj.{codec.field_names[int(local[1:])]}")
    # Every item writes something and a repeated field is a tuple (the constructor and
    # the decoders make it one), so a field that is not empty writes.
    empty = " and ".join(test.format(local) for local, test in fields)
    src.line(1, f"if {empty}: out.append('/>')")
    if codec.text is not None and not codec.children:
        # Text alone: written whole, even where the value's text is empty.
        index, field, kind = codec.text
        value = _value_expr(src, codec, field, kind, attribute=False)
        close = f"{'</' + name + '>'!r}" if name is not None else "'</' + name + '>'"
        src.line(1, f"else: v = t{index}; out.append('>' + {value} + {close})")
        return
    src.line(1, "else:")
    src.line(2, "out.append('>')")
    if inner is not _ANYWHERE or len(codec.namespaces) == 1 or codec.prefix:
        _encode_fields(src, codec, inner, 2)
    else:
        # The namespace is the object's choice: the content is written for each.
        for position, namespace in enumerate(codec.namespaces):
            last = position == len(codec.namespaces) - 1
            src.line(2, "else:" if last else
                     f"{'if' if position == 0 else 'elif'} ns == {namespace!r}:")
            _encode_fields(src, codec, namespace, 3)
    end = f"{'</' + name + '>'!r}" if name is not None else "'</' + name + '>'"
    src.line(2, f"out.append({end})")


def _encode_fields(src: _Source, codec: Codec, inner: Any, depth: int) -> None:
    """The text and children, written in the namespace ``inner`` (when known)."""
    if codec.text is not None:
        index, field, kind = codec.text
        src.line(depth, f"v = t{index}")
        src.line(depth, "if v is not None and v != '':")
        src.line(depth + 1, f"out.append({_value_expr(src, codec, field, kind, attribute=False)})")
    for handler in codec.children:
        _encode_child(src, codec, handler, inner, depth)


def _opening(src: _Source, handler: Any, inner: Any) -> str:
    if handler.namespace is None or handler.namespace == inner:
        return repr("<" + handler.name)
    foreign = f'<{handler.name} xmlns="{handler.namespace}"'
    if inner is not _ANYWHERE:
        return repr(foreign)
    return f"({'<' + handler.name!r} if ns == {handler.namespace!r} else {foreign!r})"


def _encode_child(src: _Source, codec: Codec, handler: Any, inner: Any, depth: int) -> None:
    from xepcodec.model import codec as machinery

    kind = handler.kind
    known = inner is not _ANYWHERE
    held = f"t{handler.index}"  # the field's value, read by _encode_content
    if kind == machinery.EXTENSIONS:
        if known:
            # A raw fragment keeps the text it was last written as, for its place: when
            # that is this place, the text is taken here, without a call.
            table = src.const("X", _extension_table(inner))
            src.scope["XmlFragment"] = XmlFragment
            src.line(depth, f"for item in {held}:")
            src.line(depth + 1, "if type(item) is XmlFragment and (w := item._written) "
                                f"is not None and w[0] == {inner or ''!r}: out.append(w[1])")
            src.line(depth + 1, f"else: {table}[type(item)](item, out)")
        else:
            src.scope["encode_into"] = machinery.encode_into
            src.line(depth, f"for item in {held}: encode_into(item, out, ns)")
    elif kind in (machinery.CHILD, machinery.CHILDREN):
        if known:
            table = src.const("T", _child_table(handler, inner))
            write = f"{table}[type(item)](item, out)"
        else:
            src.scope["encode_known"] = machinery._encode_known
            write = f"encode_known(item, {src.const('h', handler)}, out, ns)"
        if kind == machinery.CHILD:
            src.line(depth, f"if {held} is not None:")
            src.line(depth + 1, f"item = {held}")
        else:
            src.line(depth, f"for item in {held}:")
        bodies = _inlined(src, handler, inner) if known and src.scope["inline"] else []
        # The encoders of the field's classes, written here: no call, no lookup.
        for position, (cls, body) in enumerate(bodies):
            keyword = "elif" if position else "if"
            src.line(depth + 1, f"{keyword} type(item) is {src.const('C', cls)}:")
            for line in body:
                src.line(depth + 2, line)
        src.line(depth + 1, f"else: {write}" if bodies else write)
    elif kind == machinery.FLAG:
        src.line(depth, f"if {held}: out.append({_opening(src, handler, inner)} + '/>')")
    else:
        if kind == machinery.TEXT_CHILDREN:
            src.line(depth, f"for v in {held}:")
        else:
            src.line(depth, f"v = {held}")
            src.line(depth, "if v is not None:")
        value = _value_expr(src, codec, handler.field, handler.value, attribute=False)
        opening = _opening(src, handler, inner)
        whole = f"({opening} + '>' + s + '</{handler.name}>' if (s := {value}) " \
                f"else {opening} + '/>')"
        looked_up = _whole_elements(src, handler, inner)
        if looked_up is not None:
            whole = f"{looked_up[0]} if {looked_up[1]} else {whole}"
        src.line(depth + 1, f"out.append({whole})")


#: The locals of a generated encoder (besides ``t0``, ``t1``…, the fields' values).
_LOCALS: Final = frozenset({"obj", "v", "w", "s", "x", "m", "name", "parent", "ns", "o",
                            "item"})
#: At most this many lines of children's encoders are written into a field's code.
_INLINE_LINES: Final = 60


def _inlined(src: _Source, handler: Any, inner: str | None) -> list[tuple[type, list[str]]]:
    """The bodies of the encoders of a child field's classes, for the place ``inner``,
    as lines to write where ``item`` holds the child: each body's names made its own
    (its locals and constants get a suffix, its constants join ``src``'s) and ``obj``
    set from ``item`` first.  Classes whose bodies would make the field's code long
    are left to their own encoders."""
    from xepcodec.model import codec as machinery

    bodies: list[tuple[type, list[str]]] = []
    room = _INLINE_LINES
    for cls in handler.classes:
        child = machinery.codec_of(cls)
        if child.prefix:
            continue
        made = _encoder_source(child, inner, inline=False)
        if len(made.lines) > room:
            continue
        room -= len(made.lines)
        suffix = f"_{len(src.scope)}"
        for key, value in made.scope.items():
            src.scope[key + suffix] = value
        bodies.append((cls, [f"obj{suffix} = item"]
                       + [_suffixed(line[4:], suffix, set(made.scope))
                          for line in made.lines[1:]]))  # after the def line
    return bodies


def _suffixed(line: str, suffix: str, names: set[str]) -> str:
    """``line`` with ``suffix`` added to each of the encoder's locals and of ``names``,
    wherever they stand as names (not in strings, nor after a dot)."""
    spans = []
    previous = ""
    for token in tokenize.generate_tokens(io.StringIO(line + "\n").readline):
        word = token.string
        if (token.type == tokenize.NAME and previous != "."
                and (word in names or word in _LOCALS or re.fullmatch(r"t\d+", word))):
            spans.append(token.end[1])
        if token.type in (tokenize.OP, tokenize.NAME):
            previous = word
    for end in reversed(spans):
        line = line[:end] + suffix + line[end:]
    return line


def _whole_elements(src: _Source, handler: Any, inner: Any) -> tuple[str, str] | None:
    """For a text child holding an enum member or a small count, in a place known at
    compile time: an expression looking up the whole element written for ``v``, and
    the test that it is there."""
    kind = handler.value
    if inner is _ANYWHERE:
        return None
    opening = ast.literal_eval(_opening(src, handler, inner))

    def element(text: str) -> str:
        return f"{opening}>{text}</{handler.name}>" if text else f"{opening}/>"

    if type(kind) is EnumValue:
        texts = src.const("W", {member: element(escape_text(str(member.value)))
                                for member in kind.enum})
        return f"{texts}[v]", f"type(v) is {src.const('E', kind.enum)}"
    if type(kind) is Integer:
        texts = src.const("W", {number: element(str(number)) for number in _DIGITS.values()
                                if (kind.minimum is None or kind.minimum <= number)
                                and (kind.maximum is None or number <= kind.maximum)})
        return "x", f"type(v) is int and (x := {texts}.get(v)) is not None"
    return None
