"""Floor 3: documents (text + tree + edits), the matcher and the Finding type."""
