"""Checks of the code against the protocol specifications' own examples."""
