"""backend-audit: audits backend codebases against the Backend Infrastructure Audit."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("backend-audit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
