"""``python -m xepcodec`` is the ``xepcodec`` command."""

import sys

from xepcodec.cli import main

sys.exit(main())
