"""Qt item models and widgets of the window."""
