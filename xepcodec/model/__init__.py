"""The declarative element machinery: field kinds, value kinds, the registry and the
codec every declared class gets, and the walk of a typed tree."""

from xepcodec.model.api import decode, encode
from xepcodec.model.element import element
from xepcodec.model.fields import (
    ANY_NAME,
    attr,
    child,
    children,
    extensions,
    flag,
    local_name,
    text,
    text_child,
    text_children,
    xmlns,
)
from xepcodec.model.raw import XmlFragment
from xepcodec.model.registry import lookup
from xepcodec.model.walk import is_element, is_element_class, walk

__all__ = [
    "ANY_NAME",
    "XmlFragment",
    "attr",
    "child",
    "children",
    "decode",
    "element",
    "encode",
    "extensions",
    "flag",
    "is_element",
    "is_element_class",
    "local_name",
    "lookup",
    "text",
    "text_child",
    "text_children",
    "walk",
    "xmlns",
]
