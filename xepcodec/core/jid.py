"""The old home of :class:`~xepcodec.datatypes.jid.JID`, which now sits below the model."""

# kept until the machines import xepcodec.datatypes.jid
from xepcodec.datatypes.jid import JID

__all__ = ["JID"]
