"""The headless core of Levqor Desktop.

Nothing below this package imports Qt; the window, the command line, the workers and the
tests all drive these services through :class:`levqor_desktop.app.App`.
"""
