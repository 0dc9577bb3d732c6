"""The workspace walker leaves files out with a reason and never loops or crashes."""

import os
from pathlib import Path

from backend_audit.engine.config import Config
from backend_audit.engine.scan import scan
from backend_audit.engine.walker import Walker, read_file


def _write(root: Path, rel: str, data: bytes | str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_gitignore_excludes_and_default_dirs(tmp_path):
    _write(tmp_path, ".gitignore", "generated/\n*.gen.py\n")
    _write(tmp_path, "app/sub/.gitignore", "local.py\n")
    for rel in ["app/main.py", "app/x.gen.py", "generated/a.py", "node_modules/x/index.js", "app/sub/local.py", "app/sub/kept.py", "vendor/lib.py"]:
        _write(tmp_path, rel, "x = 1\n")
    walker = Walker(tmp_path, exclude=["vendor/**"])
    assert [f.path for f in walker.files()] == ["app/main.py", "app/sub/kept.py"]


def test_binary_huge_and_invalid_utf8(tmp_path):
    _write(tmp_path, "app/bin.py", b"\x00\x01\x02")
    _write(tmp_path, "app/huge.py", "x = 1\n" * 50)
    _write(tmp_path, "app/latin1.py", b"name = '\xe9t\xe9'\nprint(name)\n")
    result = scan(tmp_path, Config(max_file_size=200))
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["app/bin.py"] == "binary file"
    assert reasons["app/huge.py"].startswith("larger than max-file-size")
    assert "app/latin1.py" in result.files


def test_symlink_loop_ends(tmp_path):
    _write(tmp_path, "app/a.py", "x = 1\n")
    os.symlink(tmp_path / "app", tmp_path / "app" / "loop")
    os.symlink(tmp_path / "missing", tmp_path / "app" / "dangling.py")
    result = scan(tmp_path, Config())
    assert result.files == ["app/a.py"]
    assert any("symlink loop" in s.reason for s in result.skipped)


def test_file_vanishing_between_listing_and_reading(tmp_path):
    path = _write(tmp_path, "app/a.py", "x = 1\n")
    walker = Walker(tmp_path)
    (wf,) = list(walker.files())
    path.unlink()
    data, reason = read_file(wf)
    assert data is None and reason == "vanished before it could be read"


def test_unreadable_entry_is_skipped(tmp_path):
    # A FIFO named like a source file: as root every permission check passes, but it is not a file.
    _write(tmp_path, "app/a.py", "x = 1\n")
    os.mkfifo(tmp_path / "app" / "pipe.py")
    result = scan(tmp_path, Config())
    assert result.files == ["app/a.py"]


def test_large_lock_files_are_still_read(tmp_path):
    _write(tmp_path, "package-lock.json", '{"lockfileVersion": 3, "packages": {}, "pad": "' + "x" * 3000 + '"}')
    _write(tmp_path, "app/huge.py", "x = 1\n" * 1000)
    walker = Walker(tmp_path, max_file_size=2000)
    assert [f.path for f in walker.files()] == ["package-lock.json"]
    assert [s.path for s in walker.skipped] == ["app/huge.py"]
