"""``python -m sscodec`` == the ``sscodec`` console script."""

import sys

from .cli import main

sys.exit(main())
