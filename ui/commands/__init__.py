"""Menu commands: each menu's handlers in one class, so the main window only assembles them."""
