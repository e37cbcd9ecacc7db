"""Fuzzing xepcodec: the invariants every input must keep, a deterministic mutator, the
seed corpus, and one atheris harness per way in (see README.md)."""
