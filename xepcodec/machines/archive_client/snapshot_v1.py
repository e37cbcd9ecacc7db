"""Version 1 archive client snapshots, read by turning them into version 2."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["from_version_1"]

#: The request contexts of version 2, by the request kinds of version 1, and the keys of
#: version 1's data that they keep.
_CONTEXTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "disco": ("DiscoRequest", ()),
    "upload": ("UploadChunk", ("upload", "chunk")),
    "save": ("SaveRequest", ("collection", "change", "key_names")),
    "auto": ("AutoRequest", ("save", "encrypt", "scope")),
    "list": ("ListRequest", ()),
    "retrieve": ("RetrieveRequest", ("collection",)),
    "remove": ("RemoveRequest", ("collection",)),
    "keys": ("KeysRequest", ()),
    "rekey-save": ("RekeySave", ("collection", "carried")),
    "rekey-delete": ("RekeyDelete", ("collection",)),
}
#: Version 1 kept whether a pass changed something in a flag beside the state.
_AFTER_CHANGES = {"fetching": "fetching-after-changes",
                  "waiting-for-key": "waiting-for-key-after-changes"}


def from_version_1(state: Mapping[str, Any]) -> dict[str, Any]:
    """The version 2 state of a version 1 snapshot (without its envelope)."""
    settings = ("jid", "namespace", "service", "max_stanza_bytes", "algorithm",
                "key_transport", "allow_legacy")
    rekey = state["rekey"]
    return {
        "settings": {**{key: state[key] for key in settings},
                     "lenient": state.get("lenient", False)},
        "next_id": state["next_id"],
        "pending": [_pending(item) for item in state["pending"]],
        "uploads": {upload_id: {**upload, "collection": _collection(upload["collection"])}
                    for upload_id, upload in state["uploads"]},
        "retrievals": [{**item, "collection": _collection(item["collection"]),
                        "state": "fetching" if item["parked"] is None else "waiting-for-key"}
                       for item in state["retrievals"]],
        "rekey": None if rekey is None else _rekey(rekey),
    }


def _collection(data: Any) -> dict[str, Any]:
    with_, start = data
    return {"with_": with_, "start": start}


def _pending(item: Mapping[str, Any]) -> dict[str, Any]:
    name, keys = _CONTEXTS[item["kind"]]
    data = item["data"]
    context = {key: data[key] for key in keys if key in data}
    if "collection" in context:
        context["collection"] = _collection(context["collection"])
    return {"iq": item["iq"], "context": {"type": name, **context}}


def _rekey(rekey: Mapping[str, Any]) -> dict[str, Any]:
    def by_collection(rows: Any) -> list[list[Any]]:
        return [[_collection(key), value] for key, value in rows]

    state = rekey["state"]
    if rekey["pass_acted"]:
        state = _AFTER_CHANGES.get(state, state)
    key = rekey["new_key"]
    return {
        **{name: rekey[name] for name in ("old_key_name", "page_size", "cursor", "parked",
                                          "outstanding", "deleted")},
        "new_key": {"name": key["name"], "key": key["der"], "confirmed": key["confirmed"]},
        "state": state,
        **{name: by_collection(rekey.get(name, ())) for name in ("saved", "failed", "kept",
                                                                 "deletes", "conflicts")},
    }
