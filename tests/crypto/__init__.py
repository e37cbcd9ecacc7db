"""Tests of xepcodec.crypto (a package, so that its conftest does not shadow the
root one, which other tests import as ``conftest``)."""
