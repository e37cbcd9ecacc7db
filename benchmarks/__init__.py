"""Side-by-side benchmarks for xepcodec, and the speed targets they hold it to.

Run with ``python -m benchmarks`` from the repository root; ``--help`` lists the options.
This package imports nothing outside the standard library at import time, because the
aioxmpp worker (``benchmarks._aioxmpp_worker``) imports it from a separate virtual environment.
"""
