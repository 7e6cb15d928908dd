"""Files vigil writes and reads: atomic writes (temp file, fsync, os.replace); reads of regular files only."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` so a reader sees the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class UnsafeFileError(OSError):
    """A path that is not a regular file inside its folder: a symbolic link, `..`, a device, a folder."""


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the open; it is refused after fstat


def _parts(relative: str) -> list[str]:
    parts = relative.replace("\\", "/").split("/")
    if relative.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise UnsafeFileError(f"{relative!r} is not a plain path inside its folder (no '..', '.', '/' at the start)")
    return parts


def read_regular_file(folder: Path, relative: str) -> tuple[bytes, os.stat_result]:
    """The bytes of `folder/relative` and its status, provided every step is a real folder or file inside `folder`.

    Each path component is opened relative to the one before with O_NOFOLLOW, so a symbolic link
    anywhere below `folder` (or one swapped in while we read) is refused rather than followed, and
    the file must be a regular file. `folder` itself may be a link: it is configuration, not content.
    Raises UnsafeFileError (an OSError) for a link, `..`, or anything that is not a regular file;
    FileNotFoundError when it does not exist.
    """
    parts = _parts(relative)
    fds = [os.open(folder, os.O_RDONLY | _DIRECTORY)]
    try:
        for part in parts[:-1]:
            fds.append(_open_below(fds[-1], part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, relative))
        fd = _open_below(fds[-1], parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK, relative)
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            os.close(fd)
            raise UnsafeFileError(f"{relative} is not a regular file")
        with os.fdopen(fd, "rb") as handle:
            return handle.read(), before
    finally:
        for opened in fds:
            os.close(opened)


def _open_below(dir_fd: int, name: str, flags: int, relative: str) -> int:
    """Open `name` in the folder `dir_fd` without following a link (UnsafeFileError for a link)."""
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            try:
                link = stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
            except OSError:
                link = False
            if link:
                where = relative if relative.endswith(f"/{name}") or relative == name else f"{name} (in {relative})"
                raise UnsafeFileError(f"{where} is a symbolic link") from None
        raise


def is_symlink(path: Path) -> bool:
    """Whether `path` itself (not what it points to) is a symbolic link."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False
