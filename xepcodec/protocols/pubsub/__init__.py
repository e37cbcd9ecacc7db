"""XEP-0060: Publish-Subscribe, with XEP-0163 PEP over it, one module per part.

* :mod:`.core` — the namespaces, and the affiliations and subscription states every other
  part uses;
* the elements of each namespace (``pubsub``, ``#owner``, ``#event``, ``#errors``), the
  typed forms, the disco features, and the client's request builders and readers.
"""
