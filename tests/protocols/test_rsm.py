"""Tests for xepcodec.protocols.rsm (XEP-0059 Result Set Management).

The XML below is written for these tests; none of it is taken from the XEP.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from payloads import typed

import xepcodec.testing.rsm  # noqa: F401  (registers the ResultSet strategy)
from xepcodec.core.stanza_errors import Condition, ErrorType
from xepcodec.errors import ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols.rsm import (
    FEATURE,
    RSM,
    First,
    ResultSet,
    ResultSetError,
    paginate,
)


def _set(inner: str, attrs: str = "") -> str:
    return f"<set xmlns='{RSM}'{attrs}>{inner}</set>"


# -- round trips ----------------------------------------------------------------------


def test_constants() -> None:
    assert RSM == "http://jabber.org/protocol/rsm"
    assert FEATURE == RSM


# -- reading concrete XML ---------------------------------------------------------------


def test_request_fields() -> None:
    got = typed(_set("<max>25</max><after>room-17</after>"))
    assert got == ResultSet(max=25, after="room-17")
    assert got.before is None
    assert got.index is None
    assert not got.wants_last_page


def test_empty_before_asks_for_the_last_page_and_differs_from_no_before() -> None:
    last_page = typed(_set("<max>5</max><before/>"))
    assert last_page.before == ""
    assert last_page.wants_last_page
    no_before = typed(_set("<max>5</max>"))
    assert no_before.before is None
    assert last_page != no_before
    assert encode(last_page) == (b'<set xmlns="http://jabber.org/protocol/rsm">'
                                 b"<max>5</max><before/></set>")


def test_before_with_an_identifier() -> None:
    got = typed(_set("<max>3</max><before>msg-0042</before>"))
    assert got.before == "msg-0042"
    assert not got.wants_last_page


def test_index_request() -> None:
    assert typed(_set("<max>8</max><index>120</index>")) == ResultSet(max=8, index=120)


def test_count_only_request() -> None:
    assert typed(_set("<max>0</max>")) == ResultSet.request(max=0)


def test_page_description() -> None:
    got = typed(_set("<first index='40'>k40</first><last>k49</last><count>313</count>"))
    assert got.first == First(uid="k40", index=40)
    assert got.first_uid == "k40"
    assert got.first_index == 40
    assert got.last == "k49"
    assert got.count == 313


def test_first_without_index() -> None:
    got = typed(_set("<first>alpha</first><last>omega</last>"))
    assert got.first == First(uid="alpha")
    assert got.first_index is None


def test_empty_page_has_count_only() -> None:
    got = typed(_set("<count>0</count>"))
    assert got == ResultSet(count=0)
    assert got.first_uid is None


def test_children_in_any_order_are_read() -> None:
    got = typed(_set("<count>9</count><last>z</last><first index='0'>a</first><max>2</max>"))
    assert got == ResultSet(max=2, first=First(uid="a", index=0), last="z", count=9)


def test_identifiers_keep_their_characters() -> None:
    got = typed(_set("<after> a&amp;b&lt;c </after>"))
    assert got.after == " a&b<c "
    assert typed(encode(got).decode()) == got


def test_serialization_order_is_request_then_page() -> None:
    full = ResultSet(max=10, after="a", before="b", index=3,
                     first=First(uid="f", index=3), last="l", count=99)
    assert encode(full) == (
        b'<set xmlns="http://jabber.org/protocol/rsm"><max>10</max><after>a</after>'
        b'<before>b</before><index>3</index><first index="3">f</first><last>l</last>'
        b"<count>99</count></set>")


def test_set_inside_a_foreign_query_is_typed() -> None:
    query = etree.fromstring(
        f"<query xmlns='urn:example:search'><set xmlns='{RSM}'><max>4</max></set></query>"
        .encode())
    assert decode(query[0]) == ResultSet(max=4)


# -- rejections -----------------------------------------------------------------------------

REJECTED = [
    pytest.param(_set("<max>-1</max>"), "max", "minimum", id="negative-max"),
    pytest.param(_set("<max>ten</max>"), "max", "integer", id="max-not-integer"),
    pytest.param(_set("<index>-3</index>"), "index", "minimum", id="negative-index"),
    pytest.param(_set("<count>-7</count>"), "count", "minimum", id="negative-count"),
    pytest.param(_set("<count>2.5</count>"), "count", "integer", id="count-not-integer"),
    pytest.param(_set("<first index='-1'>a</first><last>a</last>"), "index", "minimum",
                 id="negative-first-index"),
    pytest.param(_set("<first index='x'>a</first><last>a</last>"), "index", "integer",
                 id="first-index-not-integer"),
    pytest.param(_set("<first>a</first>"), "set", "must also have <last/>",
                 id="first-without-last"),
    pytest.param(_set("<last>a</last><count>4</count>"), "set", "must also have <first/>",
                 id="last-without-first"),
    pytest.param(_set("<max>1</max><max>2</max>"), "max", "only one", id="two-max"),
    pytest.param(_set("<after>a</after><after>b</after>"), "after", "only one",
                 id="two-after"),
    pytest.param(_set("<first>a</first><first>b</first><last>b</last>"), "first",
                 "only one", id="two-first"),
    pytest.param(_set("<end/>"), "end", "does not allow", id="unknown-child"),
    pytest.param(_set("<max>1</max>", " page='2'"), "page", "no attribute",
                 id="unknown-attribute"),
    pytest.param(_set("loose text"), "set", "holds no text", id="text-in-set"),
    pytest.param(_set("<before><x/></before>"), "before", "text only",
                 id="element-in-before"),
    pytest.param(_set("<first><b>a</b></first><last>a</last>"), "first", "does not allow",
                 id="element-in-first"),
    pytest.param(_set("<max xmlns='urn:other'>3</max>"), "max", "does not allow",
                 id="max-in-other-namespace"),
]


@pytest.mark.parametrize(("xml", "where", "words"), REJECTED)
def test_rejected(xml: str, where: str, words: str) -> None:
    with pytest.raises(ParseError) as caught:
        typed(xml)
    assert caught.value.condition == "bad-request"
    assert words in caught.value.message
    assert caught.value.path is not None and where in caught.value.path


def test_first_without_last_is_refused_on_construction() -> None:
    with pytest.raises(ValueError, match="must also have <last/>"):
        ResultSet(first=First(uid="a"))
    with pytest.raises(ValueError, match="must also have <first/>"):
        ResultSet(last="a")


# -- builders -----------------------------------------------------------------------------


def test_request_builder() -> None:
    assert ResultSet.request(max=10, after="x") == ResultSet(max=10, after="x")
    assert ResultSet.request(max=10, before="") == ResultSet(max=10, before="")
    assert ResultSet.request(index=7, max=2) == ResultSet(index=7, max=2)
    assert ResultSet.request() == ResultSet()


def test_page_builder() -> None:
    page = ResultSet.page(first="a", last="d", count=12, first_index=0)
    assert page == ResultSet(first=First(uid="a", index=0), last="d", count=12)
    assert ResultSet.page(count=12) == ResultSet(count=12)


def test_page_builder_refuses_half_pages() -> None:
    with pytest.raises(ValueError, match="must also have <last/>"):
        ResultSet.page(first="a")
    with pytest.raises(ValueError, match="needs first"):
        ResultSet.page(last="b", first_index=3)


def test_next_and_previous_page_requests() -> None:
    page = ResultSet.page(first="k10", last="k19", count=50, first_index=10)
    assert page.next_page(10) == ResultSet(max=10, after="k19")
    assert page.previous_page(5) == ResultSet(max=5, before="k10")
    assert page.next_page() == ResultSet(after="k19")


def test_no_next_or_previous_from_an_empty_page() -> None:
    empty = ResultSet(count=3)
    with pytest.raises(ValueError, match="no last item"):
        empty.next_page(5)
    with pytest.raises(ValueError, match="no first item"):
        empty.previous_page(5)


# -- paginate -----------------------------------------------------------------------------

KEYS = [f"k{n:02d}" for n in range(10)]


def _key(item: str) -> str:
    return item


def test_paginate_first_page() -> None:
    page, answer = paginate(KEYS, ResultSet.request(max=3), _key)
    assert page == ["k00", "k01", "k02"]
    assert answer == ResultSet.page(first="k00", last="k02", count=10, first_index=0)


def test_paginate_after() -> None:
    page, answer = paginate(KEYS, ResultSet.request(max=4, after="k02"), _key)
    assert page == ["k03", "k04", "k05", "k06"]
    assert answer.first == First(uid="k03", index=3)
    assert answer.last == "k06"


def test_paginate_after_the_last_item_is_an_empty_page() -> None:
    page, answer = paginate(KEYS, ResultSet.request(max=4, after="k09"), _key)
    assert page == []
    assert answer == ResultSet(count=10)


def test_paginate_before() -> None:
    page, answer = paginate(KEYS, ResultSet.request(max=3, before="k05"), _key)
    assert page == ["k02", "k03", "k04"]
    assert answer.first == First(uid="k02", index=2)
    assert answer.last == "k04"


def test_paginate_before_near_the_start_returns_a_short_page() -> None:
    page, answer = paginate(KEYS, ResultSet.request(max=5, before="k02"), _key)
    assert page == ["k00", "k01"]
    assert answer.first_index == 0


def test_paginate_empty_before_is_the_last_page() -> None:
    page, answer = paginate(KEYS, ResultSet.request(max=4, before=""), _key)
    assert page == ["k06", "k07", "k08", "k09"]
    assert answer == ResultSet.page(first="k06", last="k09", count=10, first_index=6)


def test_paginate_between_after_and_before() -> None:
    page, _ = paginate(KEYS, ResultSet.request(max=2, after="k01", before="k07"), _key)
    assert page == ["k02", "k03"]
    page, _ = paginate(KEYS, ResultSet.request(after="k01", before="k05"), _key)
    assert page == ["k02", "k03", "k04"]
    page, answer = paginate(KEYS, ResultSet.request(after="k06", before="k03"), _key)
    assert page == []
    assert answer == ResultSet(count=10)


def test_paginate_by_index() -> None:
    page, answer = paginate(KEYS, ResultSet.request(max=3, index=4), _key)
    assert page == ["k04", "k05", "k06"]
    assert answer.first_index == 4


@pytest.mark.parametrize("index", [10, 11, 500])
def test_paginate_index_past_the_end_is_an_empty_page(index: int) -> None:
    page, answer = paginate(KEYS, ResultSet.request(max=3, index=index), _key)
    assert page == []
    assert answer == ResultSet(count=10)


def test_paginate_max_zero_gives_the_count_only() -> None:
    page, answer = paginate(KEYS, ResultSet.request(max=0), _key)
    assert page == []
    assert answer == ResultSet(count=10)
    page, answer = paginate(KEYS, ResultSet.request(max=0, after="k03"), _key)
    assert page == []
    assert answer == ResultSet(count=10)


def test_paginate_without_a_request_returns_everything_or_the_default() -> None:
    page, answer = paginate(KEYS, None, _key)
    assert page == KEYS
    assert answer.last == "k09"
    page, _ = paginate(KEYS, None, _key, default_max=4)
    assert page == KEYS[:4]
    page, _ = paginate(KEYS, ResultSet.request(after="k07"), _key, default_max=4)
    assert page == ["k08", "k09"]


def test_paginate_request_max_wins_over_default_but_not_over_limit() -> None:
    page, _ = paginate(KEYS, ResultSet.request(max=6), _key, default_max=2)
    assert len(page) == 6
    page, _ = paginate(KEYS, ResultSet.request(max=6), _key, default_max=2, max_limit=3)
    assert len(page) == 3
    page, _ = paginate(KEYS, None, _key, max_limit=5)
    assert len(page) == 5


def test_paginate_an_empty_result() -> None:
    nothing: list[str] = []
    page, answer = paginate(nothing, ResultSet.request(max=10), _key)
    assert page == []
    assert answer == ResultSet(count=0)


def test_paginate_uses_the_key_and_keeps_the_items() -> None:
    items = ({"id": "b", "n": 1}, {"id": "a", "n": 2}, {"id": "c", "n": 3})
    page, answer = paginate(items, ResultSet.request(max=1, after="a"),
                            lambda item: str(item["id"]))
    assert page == [{"id": "c", "n": 3}]
    assert answer.first == First(uid="c", index=2)
    assert items == ({"id": "b", "n": 1}, {"id": "a", "n": 2}, {"id": "c", "n": 3})


@pytest.mark.parametrize("request_", [ResultSet.request(max=2, after="nope"),
                                      ResultSet.request(max=2, before="nope"),
                                      ResultSet.request(after="k01", before="nope")])
def test_paginate_unknown_identifier_is_item_not_found(request_: ResultSet) -> None:
    with pytest.raises(ResultSetError) as caught:
        paginate(KEYS, request_, _key)
    assert caught.value.condition is Condition.ITEM_NOT_FOUND
    assert caught.value.uid == "nope"
    assert "'nope'" in caught.value.message
    error = caught.value.stanza_error()
    assert error.condition is Condition.ITEM_NOT_FOUND
    assert error.type is ErrorType.CANCEL


def test_paginate_index_with_an_identifier_is_a_bad_request() -> None:
    with pytest.raises(ResultSetError) as caught:
        paginate(KEYS, ResultSet.request(index=2, after="k01"), _key)
    assert caught.value.condition is Condition.BAD_REQUEST
    assert caught.value.stanza_error().type is ErrorType.MODIFY


def test_paginate_refuses_duplicate_identifiers() -> None:
    with pytest.raises(ValueError, match="share the identifier 'k01'"):
        paginate(["k00", "k01", "k01"], None, _key)


def test_paginate_refuses_empty_identifiers() -> None:
    with pytest.raises(ValueError, match="empty identifier"):
        paginate(["k00", ""], None, _key)


def test_no_previous_page_before_an_empty_identifier() -> None:
    page = ResultSet.page(first="", last="x", count=4, first_index=1)
    with pytest.raises(ValueError, match="asks for the last page"):
        page.previous_page(2)


_ITEMS = st.lists(st.text(min_size=1, max_size=6), unique=True, max_size=40)


@given(items=_ITEMS, size=st.integers(1, 7))
def test_walking_forward_visits_every_item_once_in_order(items: list[str], size: int) -> None:
    seen: list[str] = []
    request = ResultSet.request(max=size)
    for _ in range(len(items) + 2):
        page, answer = paginate(items, request, _key)
        assert answer.count == len(items)
        if not page:
            assert answer.first is None and answer.last is None
            break
        assert len(page) <= size
        assert answer.first_index == len(seen)
        assert (answer.first_uid, answer.last) == (page[0], page[-1])
        seen.extend(page)
        request = answer.next_page(size)
    else:
        pytest.fail("the forward walk did not end")
    assert seen == items


@given(items=_ITEMS, size=st.integers(1, 7))
def test_walking_backward_visits_every_item_once_in_order(items: list[str],
                                                          size: int) -> None:
    seen: list[str] = []
    request = ResultSet.request(max=size, before="")
    for _ in range(len(items) + 2):
        page, answer = paginate(items, request, _key)
        if not page:
            assert answer == ResultSet(count=len(items))
            break
        assert len(page) <= size
        assert answer.first_index == len(items) - len(seen) - len(page)
        seen[:0] = page
        request = answer.previous_page(size)
    else:
        pytest.fail("the backward walk did not end")
    assert seen == items


@given(items=_ITEMS, index=st.integers(0, 50), size=st.integers(0, 9))
def test_a_page_by_index_starts_at_that_index(items: list[str], index: int,
                                             size: int) -> None:
    page, answer = paginate(items, ResultSet.request(max=size, index=index), _key)
    assert page == items[index:index + size]
    if page:
        assert answer.first_index == index
    else:
        assert answer.first is None


@given(items=_ITEMS.filter(bool), data=st.data())
def test_after_starts_just_past_the_named_item(items: list[str], data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(items) - 1))
    page, _ = paginate(items, ResultSet.request(after=items[position]), _key)
    assert page == items[position + 1:]
    page, _ = paginate(items, ResultSet.request(before=items[position]), _key)
    assert page == items[:position]
