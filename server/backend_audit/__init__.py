"""backend-audit: audits backend codebases against the Backend Infrastructure Audit.

The version lives here, not in installed metadata: pyproject.toml reads it from this attribute,
and `importlib.metadata` costs about 20 ms of every start-up to look it up again.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
