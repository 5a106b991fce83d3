"""Atomic file output shared by paths, figures, animations and the CLI."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator


def _naming(err: OSError, file: str, tmp: str | None) -> OSError:
    """`err` naming the user's `file` where it named the temporary file (`tmp`; ``None``:
    creating it failed) or nothing: the user never asked for ``.tmp-…``."""
    if tmp is not None and err.filename not in (None, tmp):
        return err  # about another file, e.g. one the block read
    why = err.strerror or str(err) or type(err).__name__
    folder = os.path.dirname(os.path.abspath(file))
    if not os.path.isdir(folder):
        why += f" (the folder {folder!r} does not exist)"
    return OSError(err.errno, why, file)  # the errno picks the subclass (PermissionError, …)


@contextlib.contextmanager
def atomic_path(file: str | os.PathLike[str], suffix: str = "") -> Iterator[str]:
    """Yield a temporary path beside `file`; when the block succeeds, rename it onto `file`.

    Readers never see a half-written file, and a failure leaves the old one in place.
    The result gets the mode a plain ``open`` would give it (``mkstemp`` makes 0600 files).
    An `OSError` (a missing or read-only folder, a full disk) names `file`, not the
    temporary file.
    """
    file = os.fspath(file)
    folder = os.path.dirname(os.path.abspath(file))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=folder)
    except OSError as err:
        raise _naming(err, file, None) from None
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, file)
    except OSError as err:
        _remove(tmp)
        raise _naming(err, file, tmp) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: str) -> None:
    """Delete the temporary file if it is still there."""
    if os.path.exists(tmp):
        os.unlink(tmp)
