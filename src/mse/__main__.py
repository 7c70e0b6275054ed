"""``python -m mse`` runs the ``mse`` command."""

import sys

from mse.cli import main

sys.exit(main())
