"""The values XMPP writes in attributes and text, below the model that reads them.

:mod:`~xepcodec.datatypes.jid` holds RFC 7622 addresses and
:mod:`~xepcodec.datatypes.dates` the XEP-0082 date and time profiles.  They import
nothing of the library but its errors, so the model's value kinds can use them and every
layer above can too.
"""
