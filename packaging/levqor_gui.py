"""PyInstaller entry point of the window (``levqor-desktop``)."""

import multiprocessing
import sys

from levqor_desktop.__main__ import main

# Verify of a large migration runs part of its work in a child process; a frozen app
# must let that child start as a worker, not as a second window.
multiprocessing.freeze_support()
sys.exit(main())
