"""The keyword constructor of an element class, which checks its arguments.

What a caller hands a constructor is converted to what the field holds or refused
with an error naming the class and the field: a JID field takes a :class:`JID` or a
str it parses, an enum field a member or the str of one, a repeated field any
iterable of items (never a str, which would be split into characters) and keeps a
tuple, a child field an instance of one of its declared classes.  So a frozen object
never holds a mutable list, and a wrong value fails where it was given, not when the
object is serialized.

Decoding does not come here: the codec builds objects from values it has already
read and checked.  ``dataclasses.replace`` does, so a changed copy is checked too.

Like the codec (see ``compiler.py``), the constructor is generated as straight-line
Python, once per class, on first use: for each argument one test of its class takes
the common case (a value already of the field's type) past every check, and only the
rest calls the field's checker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from xepcodec.errors import (
    ArgumentTypeError,
    ArgumentValueError,
    JIDError,
    XepCodecError,
)
from xepcodec.model.codec import (
    CHILD,
    EXTENSIONS,
    FLAG,
    TEXT_CHILD,
    TEXT_CHILDREN,
    Codec,
    codec_of,
)
from xepcodec.model.fields import ANY_NAME
from xepcodec.model.raw import XmlFragment
from xepcodec.model.values import Value
from xepcodec.xml.writer import is_ncname

__all__ = ["first_init"]

_MISSING: Any = dataclasses.MISSING
_Check = Callable[[Any], Any]


def first_init(cls: type) -> Callable[..., None]:
    """A stand-in ``__init__`` for ``cls`` that generates the real one when the class
    is first constructed (so importing a protocol costs no code generation), installs
    it and runs it."""
    declared = cls.__init__  # type: ignore[misc]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init = build_init(cls)
        cls.__init__ = init  # type: ignore[misc]
        init(self, *args, **kwargs)

    _describe(__init__, cls, declared)
    return __init__


def _describe(init: Callable[..., None], cls: type, declared: Any) -> None:
    # inspect.signature and help() follow __wrapped__ to the dataclass's typed signature.
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = declared.__doc__
    init.__wrapped__ = declared  # type: ignore[attr-defined]


# -- the errors -------------------------------------------------------------------------


def _named(cls: type, field: str, error: Exception) -> XepCodecError:
    """``error`` (a TypeError or ValueError from a check) as the library's error that
    names the class and field."""
    where = f"{cls.__name__}.{field}"
    if isinstance(error, JIDError):
        return JIDError(f"{where}: {error.message}")
    if isinstance(error, TypeError):
        return ArgumentTypeError(f"{where}: {error}")
    return ArgumentValueError(f"{where}: {error}")


def _checker(cls: type, field: str, check: _Check, *, optional: bool) -> _Check:
    """``check`` for one argument: a missing one is refused, None passes where the
    field is ``optional``, and errors name the field."""

    def checked(value: Any) -> Any:
        if value is _MISSING:
            raise ArgumentTypeError(f"{cls.__name__}.{field} is required")
        if value is None and optional:
            return None
        try:
            return check(value)
        except (TypeError, ValueError, JIDError) as error:
            raise _named(cls, field, error) from None

    return checked


def _unexpected(cls: type, names: Iterable[str]) -> ArgumentTypeError:
    fields = ", ".join(field.name for field in dataclasses.fields(cls))
    given = ", ".join(repr(name) for name in names)
    return ArgumentTypeError(f"{cls.__name__} has no field {given} (its fields: {fields})")


# -- what each field kind accepts -------------------------------------------------------


def _instance_of(classes: tuple[type, ...]) -> _Check:
    names = " or ".join(cls.__name__ for cls in classes)

    def check(value: Any) -> Any:
        if not isinstance(value, classes):
            raise TypeError(f"expected {names}, not {type(value).__name__}")
        return value

    return check


def _element_or_fragment(value: Any) -> Any:
    if not (isinstance(value, XmlFragment) or "__xml_codec__" in type(value).__dict__):
        raise TypeError("expected an element (a declared class or an XmlFragment), not "
                        f"{type(value).__name__}")
    return value


def _repeated(item: _Check, what: str) -> _Check:
    """Any iterable of items each ``item`` accepts, as a tuple."""

    def check(value: Any) -> tuple[Any, ...]:
        if isinstance(value, str | bytes | bytearray):
            raise TypeError(f"expected an iterable of {what}, not a {type(value).__name__} "
                            "(which is not split into items: wrap a single one in a tuple)")
        try:
            items = tuple(value)
        except TypeError:
            raise TypeError(f"expected an iterable of {what}, not "
                            f"{type(value).__name__}") from None
        checked = []
        for position, each in enumerate(items):
            try:
                checked.append(item(each))
            except JIDError as error:
                raise JIDError(f"item {position}: {error.message}") from None
            except TypeError as error:
                raise TypeError(f"item {position}: {error}") from None
            except ValueError as error:
                raise ValueError(f"item {position}: {error}") from None
        return tuple(checked)

    return check


def _one_of(allowed: tuple[str, ...], what: str) -> _Check:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise TypeError(f"expected a str, not {type(value).__name__}")
        if value not in allowed:
            raise ValueError(f"{value!r} is not {what}: {', '.join(allowed)}")
        return value

    return check


def _element_name(value: Any) -> str:
    if not is_ncname(value):
        raise ValueError(f"{value!r} is not an XML name (an NCName), so it cannot name an "
                         "element")
    return str(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a bool, not {type(value).__name__}")
    return value


# -- generating the constructor ---------------------------------------------------------


class _Writer:
    """The lines of the generated constructor and the constants it refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.scope: dict[str, Any] = {}

    def const(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{len(self.scope)}"
        self.scope[name] = value
        return name

    def line(self, text: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + text)


def build_init(cls: type) -> Callable[..., None]:
    """Generate the checking ``__init__`` of an element class."""
    codec = codec_of(cls)
    out = _Writer()
    parameters = []
    for index, field in enumerate(dataclasses.fields(cls)):
        if field.default_factory is not _MISSING:
            factory = out.const("_m", field.default_factory)
            parameters.append(f"{field.name}=_MISSING")
            out.line(f"if {field.name} is _MISSING: {field.name} = {factory}()")
        else:
            parameters.append(f"{field.name}={out.const('_d', field.default)}")
        _check_field(out, cls, codec, index, field.name)
    for name in codec.field_names:
        # The slot's own setter: the frozen class refuses attribute assignment.
        out.line(f"{out.const('_s', getattr(cls, name).__set__)}(_self, {name})")
    # The class's own rules, then the extension policy the declaration states.
    rules = ["_self.__post_init__()"] if hasattr(cls, "__post_init__") else []
    if codec.foreign_only:
        slot = codec.field_names[codec.extensions]  # type: ignore[index]
        rules.append(f"if {slot}: {out.const('_p', codec.check_foreign)}(_self)")
    if rules:
        out.line("try:")
        for rule in rules:
            out.line(rule, 2)
        out.line("except _XepCodecError:")
        out.line("raise", 2)
        out.line("except (TypeError, ValueError) as _broken:")
        out.line(f"raise {out.const('_f', _refusal(cls))}(_broken) from _broken", 2)
    out.scope.update(_XepCodecError=XepCodecError, _MISSING=_MISSING, _unexpected=_unexpected,
                     _cls=cls, _bool=bool, _str=str, _tuple=tuple)
    # Generated names start with an underscore, so that no field name (``type``, ``id``)
    # can shadow them.
    signature = ", ".join(["_self", *(["*", *parameters] if parameters else []), "**_unknown"])
    head = [f"def __init__({signature}):",
            "    if _unknown:",
            "        raise _unexpected(_cls, _unknown)"]
    exec("\n".join(head + out.lines), out.scope)  # generated from the declaration only
    init: Callable[..., None] = out.scope["__init__"]
    _describe(init, cls, getattr(cls.__init__, "__wrapped__", cls.__init__))  # type: ignore[misc]
    return init


def _refusal(cls: type) -> Callable[[Exception], XepCodecError]:
    """What a rule broken in ``__post_init__`` becomes: the library's error, naming the
    class."""

    def refuse(error: Exception) -> XepCodecError:
        kind = ArgumentTypeError if isinstance(error, TypeError) else ArgumentValueError
        return kind(f"{cls.__name__}: {error}")

    return refuse


def _check_field(out: _Writer, cls: type, codec: Codec, index: int, name: str) -> None:
    optional = codec.defaults[index] is None

    def call(check: _Check, *, optional: bool = optional) -> str:
        checker = _checker(cls, name, check, optional=optional)
        return f"{name} = {out.const('_c', checker)}({name})"

    if index == codec.xmlns:
        allowed = out.const("_n", codec.namespaces)
        out.line(f"if {name} not in {allowed}: "
                 + call(_one_of(codec.namespaces, "a namespace of this element")))
        return
    if index == codec.local_name:
        if codec.attrs_local_kind is not None:
            _value(out, name, codec.attrs_local_kind, call, optional)
        elif codec.names == (ANY_NAME,):
            ncname = out.const("_q", is_ncname)
            out.line(f"if {name}.__class__ is not _str or not {ncname}({name}): "
                     + call(_element_name))
        else:
            names = out.const("_n", codec.names)
            out.line(f"if {name} not in {names}: "
                     + call(_one_of(codec.names, "a name of this element")))
        return
    for attr in codec.attrs.values():
        if attr.index == index:
            _value(out, name, attr.value, call, optional)
            return
    if codec.text is not None and codec.text[0] == index:
        _value(out, name, codec.text[2], call, optional)
        return
    handler = next(handler for handler in codec.children if handler.index == index)
    if handler.kind == FLAG:
        out.line(f"if {name}.__class__ is not _bool: " + call(_flag))
    elif handler.kind == TEXT_CHILD:
        _value(out, name, handler.value, call, optional)
    elif handler.kind == CHILD:
        test = (f"{name} is not None and " if optional else "") + _not_of(
            out, name, handler.classes)
        out.line(f"if {test}: {call(_instance_of(handler.classes))}")
    elif handler.kind == EXTENSIONS:
        fragment = out.const("_x", XmlFragment)
        _items(out, name, call(_repeated(_element_or_fragment, "elements")),
               f"_item.__class__ is not {fragment} and "
               "'__xml_codec__' not in _item.__class__.__dict__")
    elif handler.kind == TEXT_CHILDREN:
        kind = handler.value
        check = call(_repeated(kind.coerce, f"values ({kind.description} each)"))
        if kind.exact_type is None:
            out.line(f"if {name}.__class__ is not _tuple or {name}: {check}")
        else:
            _items(out, name, check, f"_item.__class__ is not {out.const('_t', kind.exact_type)}")
    else:  # CHILDREN
        what = " or ".join(each.__name__ for each in handler.classes)
        _items(out, name, call(_repeated(_instance_of(handler.classes), what)),
               _not_of(out, "_item", handler.classes))


def _value(out: _Writer, name: str, kind: Value[Any], call: Callable[[_Check], str],
           optional: bool) -> None:
    """One value of ``kind``: one of its exact type, or None where the field is
    optional, is stored as it is; anything else goes through the kind's coerce."""
    test = [f"{name} is not None"] if optional else []
    if kind.exact_type is not None:
        test.append(f"{name}.__class__ is not {out.const('_t', kind.exact_type)}")
    check = call(kind.coerce)
    out.line(f"if {' and '.join(test)}: {check}" if test else check)


def _not_of(out: _Writer, name: str, classes: tuple[type, ...]) -> str:
    """A test that ``name`` is not an instance of exactly one of ``classes``."""
    if len(classes) == 1:
        return f"{name}.__class__ is not {out.const('_t', classes[0])}"
    return f"{name}.__class__ not in {out.const('_t', frozenset(classes))}"


def _items(out: _Writer, name: str, check: str, wrong: str) -> None:
    """A repeated field: a tuple none of whose items passes the ``wrong`` test is kept
    as it is; anything else goes through ``check``."""
    out.line(f"if {name}.__class__ is not _tuple: {check}")
    out.line("else:")
    out.line(f"for _item in {name}:", 2)
    out.line(f"if {wrong}:", 3)
    out.line(check, 4)
    out.line("break", 4)
