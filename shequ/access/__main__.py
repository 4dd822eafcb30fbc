"""``python -m shequ.access`` — see :mod:`shequ.access.cli`."""

import sys

from .cli import main

sys.exit(main())
