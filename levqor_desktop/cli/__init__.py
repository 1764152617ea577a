"""The ``levqor`` command: everything the window does, for scripts and servers."""
