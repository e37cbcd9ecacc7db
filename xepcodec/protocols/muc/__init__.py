"""XEP-0045: Multi-User Chat, one module per namespace.

* :mod:`.core` — the ``muc`` namespace (the ``<x/>`` a client joins with: password and
  history limits), the namespaces, and the affiliations and roles every other part uses;
* :mod:`.user` — ``muc#user``: what a room says of its occupants (items, status codes),
  invitations, declines, the destruction notice;
* :mod:`.admin` — ``muc#admin``: role and affiliation changes, and the lists of them;
* :mod:`.owner` — ``muc#owner``: configuration forms and destruction;
* :mod:`.forms` — the typed ``muc#roomconfig``, ``muc#roominfo``, ``muc#register`` and
  ``muc#request`` forms.
"""
