"""Floor 1: grammars by file extension and byte/UTF-16 position conversion."""
