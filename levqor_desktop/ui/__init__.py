"""The Qt shell: a thin layer that calls core services off the UI thread and shows their state."""
