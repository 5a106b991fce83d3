"""Atomic file output shared by paths, figures, animations and the CLI."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def atomic_path(file: str | os.PathLike[str], suffix: str = "") -> Iterator[str]:
    """Yield a temporary path beside `file`; when the block succeeds, rename it onto `file`.

    Readers never see a half-written file, and a failure leaves the old one in place.
    The result gets the mode a plain ``open`` would give it (``mkstemp`` makes 0600 files).
    """
    folder = os.path.dirname(os.path.abspath(os.fspath(file)))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, file)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
