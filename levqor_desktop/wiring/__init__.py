"""The composition root's wiring: how :func:`levqor_desktop.app.build_app` puts the core
services together, one module per domain, kept out of ``app.py`` so it stays short.

Only the composition root knows the App; the core services below take the parts they
need (a database, flags, a secret store, callables), never the App itself. An
import-linter contract keeps it so.
"""
