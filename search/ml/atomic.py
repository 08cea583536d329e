"""Write a file so that readers see the old content or the new, never a part (the one helper for this)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: Path | str, write: Callable[[str], object]) -> None:
    """Call ``write(tmp)`` with a temporary path next to ``path``, then rename it over ``path``.

    The temporary name ends with ``path``'s full name, so writers that check or append a suffix
    (``np.save`` adds ``.npy``, Keras wants ``.keras`` or ``.weights.h5``) write exactly there. Same
    directory, so the final ``os.replace`` is one atomic rename; on any error the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=f".{path.name}")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
