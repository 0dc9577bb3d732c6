"""Floor 7: the language server. The only package that imports pygls or lsprotocol; it translates."""
