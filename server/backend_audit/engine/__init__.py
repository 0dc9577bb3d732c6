"""Floor 5: orchestration. Workspace files, config discovery, caching and `scan()`."""

from .analyzer import Analyzer, FileResult
from .config import Config, ConfigError, load_config
from .scan import ScanResult, scan

__all__ = ["Analyzer", "Config", "ConfigError", "FileResult", "ScanResult", "load_config", "scan"]
