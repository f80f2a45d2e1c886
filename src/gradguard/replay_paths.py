"""Where the code of a flight record lives: the training script's directory, and what replay needs to import.

A flight record pickles the model (and the loss function or closure) by reference: ``model.RNNModel`` means "the
class ``RNNModel`` of the module ``model``", which is importable while the user's script runs (its directory is
``sys.path[0]``) but not from ``gradguard replay``, a console script whose ``sys.path`` holds neither the
script's directory nor the current one. So :func:`script_location` is stored in every record
(``FlightRecord.script``), and :func:`search_dirs` puts back, for the replay, the directories given with
``--path``, the recorded script directory (when it exists here) and the current directory.

A class or function defined in the training script itself is pickled as ``__main__.Name``; replay cannot import
it without running the script (which would train). :func:`needed_globals` reads the names a pickle refers to
without running it, so :func:`explain` can say so before anything is unpickled, and what to do instead.
"""

from __future__ import annotations

import _compat_pickle
import contextlib
import importlib.util
import io
import os
import pickletools
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["explain", "needed_globals", "on_sys_path", "script_location", "search_dirs"]


def script_location() -> dict[str, str | None]:
    """Where the running program's code is: the ``__main__`` file, ``sys.path[0]`` (the script's directory for
    ``python train.py``, the current directory for ``python -m`` / ``-c``) and the current directory."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    first = sys.path[0] if sys.path else ""
    cwd = os.getcwd()
    return {"main": None if main_file is None else str(Path(main_file).resolve()),
            "dir": str(Path(first or cwd).resolve()), "cwd": cwd}


def search_dirs(script: dict[str, Any], given: Sequence[str | os.PathLike[str]] = ()) -> list[Path]:
    """The directories to import the record's code from: ``given`` (``--path``), then the recorded script
    directory and working directory where they exist on this machine, then the current directory."""
    found: list[Path] = [Path(d).resolve() for d in given]
    for raw in (script.get("dir"), script.get("cwd"), os.getcwd()):
        if isinstance(raw, str) and raw and Path(raw).is_dir() and Path(raw).resolve() not in found:
            found.append(Path(raw).resolve())
    return found


@contextlib.contextmanager
def on_sys_path(dirs: Sequence[Path]) -> Iterator[None]:
    """``dirs`` at the front of ``sys.path`` for the duration (removed after, each once)."""
    added = [str(d) for d in dirs if str(d) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for d in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(d)


def _pickle_bytes(data: bytes) -> list[bytes]:
    """The pickles inside ``torch.save`` output (a zip archive holding ``*/data.pkl``), or ``data`` itself."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [archive.read(n) for n in archive.namelist() if n.endswith("data.pkl")]
    return [data]


def needed_globals(data: bytes | None) -> list[tuple[str, str]]:
    """The ``(module, name)`` pairs a pickle (or ``torch.save`` output) imports when loaded, read without
    loading it (:mod:`pickletools`). Unreadable data gives what was read up to the fault."""
    if not data:
        return []
    found: list[tuple[str, str]] = []
    for blob in _pickle_bytes(data):
        strings: list[str] = []
        try:
            for op, arg, _ in pickletools.genops(blob):
                if op.name in ("GLOBAL", "INST") and isinstance(arg, str):
                    module, _, name = arg.partition(" ")
                    found.append((module, name))
                elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                    found.append((strings[-2], strings[-1]))
                elif isinstance(arg, str):
                    strings.append(arg)
        except Exception:  # a damaged pickle: the loader will say so
            continue
    return list(dict.fromkeys(found))


def _importable(module: str) -> bool:
    module = _compat_pickle.IMPORT_MAPPING.get(module, module)  # protocol 2 writes Python 2 names (__builtin__)
    top = module.split(".", 1)[0]
    if top in sys.modules:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def explain(record: Any, dirs: Sequence[Path]) -> str | None:
    """Why the record's pickled model, loss function or closure cannot be rebuilt here, and what to pass; None
    when every module they refer to is importable from ``sys.path`` plus ``dirs``. ``record`` is a
    :class:`~gradguard.flight.FlightRecord`."""
    script = record.script
    main = script.get("main") or "the training script"
    parts = (("model", record.model_bytes), ("loss function", record.loss_fn_bytes),
             ("closure", record.closure_bytes))
    with on_sys_path(dirs):
        for what, data in parts:
            needed = needed_globals(data)
            in_main = sorted({name for module, name in needed if module == "__main__"})
            if in_main:
                return (f"the recorded {what} uses {', '.join(in_main)}, defined in {main} itself (pickled as "
                        "__main__); replay cannot import it without running that script. Move it into a module "
                        f"beside the script (e.g. model.py) and import it from there, then record again; or "
                        "replay from Python with gradguard.replay(path, model=<your model>, loss_fn=... or "
                        "closure=...), which loads the recorded weights into your objects")
            missing = sorted({module for module, _ in needed if not _importable(module)})
            if missing:
                where = script.get("dir")
                recorded = (f"it was recorded from {main} in {where}, which does not exist here"
                            if where and not Path(where).is_dir() else
                            f"searched {', '.join(str(d) for d in dirs) or 'sys.path only'}")
                return (f"the recorded {what} needs the module(s) {', '.join(missing)}, which cannot be imported "
                        f"({recorded}); pass --path DIR with the directory that holds {missing[0]}.py or its "
                        "package (repeatable), or install that package, or replay from Python with "
                        "gradguard.replay(path, model=..., loss_fn=...)")
    return None
