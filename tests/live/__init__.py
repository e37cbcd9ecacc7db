"""Tests against a real XMPP server (Prosody) started on loopback for the session."""
