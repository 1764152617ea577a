"""PyInstaller entry point of the command line (``levqor``)."""

import sys

from levqor_desktop.cli.main import main

sys.exit(main())
