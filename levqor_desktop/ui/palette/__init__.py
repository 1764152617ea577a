"""The command palette, menus, saved views and the tray (one command registry)."""
