"""Floor 2: the rule pack model, its strict loader and the compiler to tree-sitter queries."""
