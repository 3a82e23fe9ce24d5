"""`python -m checker` is the same as the `checker` console script."""

import sys

from checker.cli import main

sys.exit(main())
