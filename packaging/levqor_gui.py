"""PyInstaller entry point of the window (``levqor-desktop``)."""

import sys

from levqor_desktop.__main__ import main

sys.exit(main())
