"""Writing a run's outputs as one set: checked before computing, written aside, swapped in at the end, locked.

A diagnosis writes several files (GeoPackage, raster, map, report, tables) that only make sense together. Each
file is atomic (:func:`territoires._atomic.atomic_path`) but a set is more: a full disk, an interrupt or a second
run into the same folder must never leave one run's GeoPackage beside another run's map. :class:`OutputSet`:

1. checks the location before any computation (:func:`check_output_location`): the folder can be written, the
   names fit the file system, the disk has room for a conservative estimate of the outputs;
2. takes a lock beside the outputs (``fcntl.flock`` on a hidden file holding the process id), so that a second
   run into the same outputs is refused at once with one line; a lock left by a killed run is released by the
   system and taken over;
3. hands a staging folder (hidden, beside the outputs: same file system) where every file is written;
4. on success swaps the set in: the previous files of the set are moved aside, the new ones moved in, the old
   ones deleted; a failure or an interrupt in the middle puts the previous files back. A run killed outright in
   the middle of the swap (power cut, ``kill -9``) is repaired by the next run, from the journal kept aside.

Every :class:`OSError` (read-only folder, full disk, name too long, permission) becomes an :class:`OutputError`:
one French line naming the output, exit code 2 from the command line, the previous results intact.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .._errors import TerritoiresError
from .._format import fr_int

#: The files of a diagnosis folder (``diagnose``, ``demo``): a previous one not written again is removed. The
#: ``temps_<kind>.tif`` are the travel-time surfaces to the facilities of a BPE input (kinds of
#: :data:`territoires.io.facilities.EQUIPMENT_KINDS` and ``hopital``).
DIAGNOSTIC_FILES = (
    "diagnostic.gpkg",
    "temps_acces.tif",
    "carte.html",
    "rapport.html",
    *(
        f"temps_{kind}.tif"
        for kind in ("urgences", "maternite", "pharmacie", "centre_sante", "msp", "medecin_generaliste", "hopital")
    ),
)

_LOCK = ".territoires-verrou"
_STAGING = ".territoires-ecriture"
_ASIDE = ".territoires-ancien"
_JOURNAL = "journal.json"
#: Room kept free beyond the estimate (bytes): the system, the GeoPackage journal, GDAL's temporary files.
MARGIN_BYTES = 20 * 1024 * 1024


class OutputError(OSError, TerritoiresError):
    """The outputs cannot be written where asked (location, room, name, lock); previous results are intact."""

    def __str__(self) -> str:  # the French message alone, without OSError's "[Errno n]"
        return self.strerror or super().__str__()


def _fr_size(n: float) -> str:
    """Format a size in bytes as whole mebibytes (« Mo »)."""
    return f"{fr_int(n / 1024**2)} Mo"


_REASONS = {
    errno.ENOSPC: "plus de place sur le disque",
    errno.EDQUOT: "quota disque dépassé",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENAMETOOLONG: "nom trop long pour le système de fichiers",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "un dossier porte déjà ce nom",
    errno.EEXIST: "un fichier porte déjà ce nom",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTEMPTY: "dossier non vide",
    errno.EBUSY: "ressource occupée",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.EXDEV: "déplacement impossible entre deux disques",
}


def describe_os_error(exc: OSError) -> str:
    """Return a French reason for an OS error (``errno`` first, the system's text otherwise)."""
    return _REASONS.get(exc.errno, exc.strerror or str(exc))


def _exists(path: Path) -> bool:
    try:
        path.stat()
    except OSError:  # absent, or a name the file system cannot even hold (ENAMETOOLONG)
        return False
    return True


def _existing_ancestor(path: Path) -> Path:
    p = path
    while not _exists(p) and p.parent != p:
        p = p.parent
    return p


def _size(items: Iterable[str | Path | Iterable[str | Path] | None]) -> int:
    total = 0
    for item in items:
        if item is None:
            continue
        for p in [item] if isinstance(item, (str, Path)) else item:
            p = Path(p)
            if p.is_dir():
                total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
            elif p.is_file():
                total += p.stat().st_size
    return total


def estimate_output_bytes(
    geometries: Iterable[str | Path | Iterable[str | Path] | None] = (),
    *,
    others: Iterable[str | Path | Iterable[str | Path] | None] = (),
    communes: int | None = None,
) -> int:
    """Return a conservative estimate (bytes) of the outputs of a run on these inputs.

    The outputs hold the contours two or three times (GeoPackage layers of communes, catchments and zones, the
    map): three times the size of the geometry inputs; the tables (practitioners, facilities, flows) a tenth of
    theirs; 30 kB per commune when the count is known (rows, raster cells); plus 5 MB.

    Parameters
    ----------
    geometries
        Commune boundaries and other polygons (IRIS): files or folders, ``None`` entries skipped.
    others
        The other input files (practitioners, populations, facilities, flows…).
    communes
        Number of communes, when known.
    """
    return 3 * _size(geometries) + _size(others) // 10 + 30_000 * (communes or 0) + 5 * 1024 * 1024


def estimate_raster_bytes(communes: Iterable[str | Path], *, resolution: float) -> int:
    """Return an upper bound (bytes) of the travel-time GeoTIFF over the extent of the commune files.

    Two float32 bands over the bounding box of every file, uncompressed (the file is compressed: a bound).
    Files whose extent cannot be read cheaply are skipped.

    Parameters
    ----------
    communes
        Commune boundary files or folders of files.
    resolution
        Cell size (metres).
    """
    import math

    import pyogrio

    boxes = []
    for item in communes:
        p = Path(item)
        for f in sorted(p.iterdir()) if p.is_dir() else [p]:
            try:
                info = pyogrio.read_info(f, force_total_bounds=True)
            except Exception:  # noqa: BLE001 - not a vector file, or a driver without bounds: no estimate
                continue
            xmin, ymin, xmax, ymax = info["total_bounds"]
            crs = str(info.get("crs") or "")
            if crs.endswith(":4326") or crs.endswith("CRS84") or (abs(xmax) <= 180 and abs(ymax) <= 90):
                km = 111.32
                xmin, xmax = (x * km * 1000 * math.cos(math.radians((ymin + ymax) / 2)) for x in (xmin, xmax))
                ymin, ymax = ymin * km * 1000, ymax * km * 1000
            boxes.append((xmin, ymin, xmax, ymax))
    if not boxes:
        return 0
    width = max(b[2] for b in boxes) - min(b[0] for b in boxes)
    height = max(b[3] for b in boxes) - min(b[1] for b in boxes)
    return int(2 * 4 * math.ceil(width / resolution + 1) * math.ceil(height / resolution + 1))


def check_output_location(
    target: str | Path, names: Sequence[str], *, needed_bytes: int = 0, key: str = "resultats"
) -> None:
    """Check, before computing, that the files ``names`` can be written into the folder ``target``.

    Raises :class:`OutputError` with one line when the folder (or its nearest existing parent) is not a writable
    folder, when a name (or the staging names derived from it) is too long for the file system, or when the disk
    has less free room than ``needed_bytes`` plus a margin.

    Parameters
    ----------
    target
        Output folder (created later if absent).
    names
        File names of the set.
    needed_bytes
        Estimate of the outputs' size (:func:`estimate_output_bytes`).
    key
        Name of the set inside the folder (the hidden lock and staging names carry it).
    """
    folder = Path(target)
    base = _existing_ancestor(folder.absolute())
    if not base.is_dir():
        raise OutputError(errno.ENOTDIR, f"sortie « {folder} » : « {base} » est un fichier, pas un dossier.")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputError(
            errno.EACCES,
            f"sortie « {folder} » : impossible d'écrire dans « {base} » (permission refusée ou lecture seule) ; "
            "choisissez un autre dossier (--out).",
        )
    try:
        name_max = os.pathconf(base, "PC_NAME_MAX")
        path_max = os.pathconf(base, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    missing = folder.absolute().relative_to(base).parts if folder.absolute() != base else ()
    longest_name = max(names, key=len, default="")
    for part in (*missing, *names, f"{_STAGING}.{key}.xxxxxxxx", f"{_LOCK}.{key}", f".{longest_name}-xxxxxxxx"):
        if len(os.fsencode(part)) > name_max:
            raise OutputError(
                errno.ENAMETOOLONG,
                f"sortie « {folder} » : le nom « {part[:40]}… » dépasse {name_max} octets, la limite du système "
                "de fichiers ; choisissez un nom plus court (--out).",
            )
    longest = folder.absolute() / f"{_STAGING}.{key}.xxxxxxxx" / longest_name
    if len(os.fsencode(str(longest))) >= path_max:
        raise OutputError(
            errno.ENAMETOOLONG,
            f"sortie « {folder} » : le chemin dépasse {path_max} octets ; choisissez un chemin plus court (--out).",
        )
    free = shutil.disk_usage(base).free
    if needed_bytes and free < needed_bytes + MARGIN_BYTES:
        raise OutputError(
            errno.ENOSPC,
            f"sortie « {folder} » : {_fr_size(free)} libres sur le disque, il en faut environ "
            f"{_fr_size(needed_bytes + MARGIN_BYTES)} ; libérez de la place ou choisissez un autre dossier (--out).",
        )


def _lock(fd: int) -> None:
    """Take an exclusive lock on the open file ``fd`` without waiting; raise BlockingIOError when it is held.

    The system releases it when the process ends, however it ends: a killed run never leaves a stale lock.
    """
    try:
        import fcntl
    except ImportError:  # Windows: lock one byte past the process id, which stays readable by others
        import msvcrt

        os.lseek(fd, 64, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            raise BlockingIOError(errno.EAGAIN, "verrou tenu") from None
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Defer Ctrl-C (SIGINT) for the few renames of the swap (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list = []
    previous = signal.signal(signal.SIGINT, lambda *a: received.append(a))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


class OutputSet:
    """A set of output files written together into ``folder`` (see the module docstring).

    Use as a context manager around the computation and the writing: entering checks the location, takes the
    lock and creates the staging folder (:attr:`staging`); leaving without error swaps the set in; leaving with
    an error (or an interrupt) deletes the staging folder and keeps the previous files.

    Parameters
    ----------
    folder
        Folder receiving the files (created when absent).
    names
        Names of the files of the set, those a new run replaces (a previous one not written again is removed, so
        the folder never mixes two runs). Files the run writes under other names are moved in too.
    needed_bytes
        Estimate of the outputs' size, checked against the free room before computing.
    label
        How the outputs are named in messages (``--out`` value).
    key
        Name of the set when several sets share the folder (files side by side): each has its own lock.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "resultats"
    >>> with OutputSet(out, ["a.txt", "b.txt"]) as staging:
    ...     _ = (staging / "a.txt").write_text("1")
    ...     _ = (staging / "b.txt").write_text("2")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt', 'b.txt']
    """

    def __init__(
        self,
        folder: str | Path,
        names: Sequence[str],
        *,
        needed_bytes: int = 0,
        label: str | None = None,
        key: str = "resultats",
    ) -> None:
        self.folder = Path(folder)
        self.key = key
        self._created = False
        self.names = tuple(names)
        self.needed_bytes = needed_bytes
        self.label = label or str(folder)
        self.staging: Path | None = None
        self._lock_fd: int | None = None
        self.written: dict[str, Path] = {}

    # -- lock ---------------------------------------------------------------------------------------------------
    @property
    def lock_path(self) -> Path:
        """The lock file (hidden, in the output folder)."""
        return self.folder / f"{_LOCK}.{self.key}"

    def _hidden(self, prefix: str) -> list[Path]:
        """Return this set's hidden folders of kind ``prefix`` (staging or aside), not another set's."""
        start = f"{prefix}.{self.key}."
        return sorted(p for p in self.folder.glob(start + "*") if "." not in p.name[len(start) :])

    def _acquire(self) -> None:
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _lock(fd)
            except BlockingIOError:
                try:
                    os.lseek(fd, 0, os.SEEK_SET)
                    pid = os.read(fd, 32).decode(errors="replace").strip() or "?"
                except OSError:
                    pid = "?"
                finally:
                    os.close(fd)
                raise OutputError(
                    errno.EBUSY,
                    f"sortie « {self.label} » : un autre calcul y écrit déjà (processus {pid}) ; attendez sa fin "
                    "ou choisissez un autre dossier (--out).",
                ) from None
            # The file may have been removed by the previous holder between our open and our lock: retry.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, str(os.getpid()).encode())
                self._lock_fd = fd
                return
            os.close(fd)

    def _release(self) -> None:
        if self._lock_fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.lock_path)
        os.close(self._lock_fd)
        self._lock_fd = None

    # -- the set ------------------------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """Return the final path of the file ``name`` of the set."""
        return self.folder / name

    def __enter__(self) -> Path:
        check_output_location(self.folder, self.names, needed_bytes=self.needed_bytes, key=self.key)
        try:
            self._created = not self.folder.exists()
            self.folder.mkdir(parents=True, exist_ok=True)
            self._acquire()
        except OutputError:
            raise
        except OSError as exc:
            raise self._error(exc) from None
        try:
            self._repair()
            self.staging = Path(tempfile.mkdtemp(prefix=f"{_STAGING}.{self.key}.", dir=self.folder))
        except OSError as exc:
            self._release()
            self._remove_if_created()
            raise self._error(exc) from None
        return self.staging

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                try:
                    self._swap()
                except OSError as err:
                    raise self._error(err) from None
            elif isinstance(exc, OSError) and not isinstance(exc, TerritoiresError) and self._ours(exc):
                raise self._error(exc) from None
        finally:
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
            self._release()
            if exc_type is not None:
                self._remove_if_created()
        return False

    def _remove_if_created(self) -> None:
        """Remove the output folder this run created, when a failure left it empty."""
        if self._created:
            with contextlib.suppress(OSError):
                self.folder.rmdir()

    def _ours(self, exc: OSError) -> bool:
        """Tell whether the error concerns the output folder (not an input read during the computation)."""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            return True
        names = [n for n in (exc.filename, exc.filename2) if n]
        folder = str(self.folder.absolute())
        return any(str(Path(n).absolute()).startswith(folder) for n in names)

    def _error(self, exc: OSError) -> OutputError:
        where = f" ({Path(exc.filename).name})" if exc.filename else ""
        msg = (
            f"écriture de « {self.label} » impossible{where} : {describe_os_error(exc)} ; "
            "les résultats précédents sont intacts."
        )
        return OutputError(exc.errno or errno.EIO, msg)

    def _swap(self) -> None:
        """Move the previous files aside, the new ones in, delete the previous; roll back on any failure."""
        assert self.staging is not None
        new = sorted(p.name for p in self.staging.iterdir() if not p.name.startswith("."))
        replaced = sorted(set(self.names) | set(new))
        aside = Path(tempfile.mkdtemp(prefix=f"{_ASIDE}.{self.key}.", dir=self.folder))
        (aside / _JOURNAL).write_text(json.dumps({"nouveaux": new}), encoding="utf-8")
        moved_old: list[str] = []
        moved_new: list[str] = []
        with _no_interrupt():
            try:
                for name in replaced:
                    if (self.folder / name).exists():
                        os.replace(self.folder / name, aside / name)
                        moved_old.append(name)
                for name in new:
                    os.replace(self.staging / name, self.folder / name)
                    moved_new.append(name)
            except BaseException:
                for name in moved_new:
                    with contextlib.suppress(OSError):
                        os.replace(self.folder / name, self.staging / name)
                for name in moved_old:
                    with contextlib.suppress(OSError):
                        os.replace(aside / name, self.folder / name)
                shutil.rmtree(aside, ignore_errors=True)
                raise
            # The new set is in place: the journal goes first, so that a crash now keeps the new set.
            (aside / _JOURNAL).unlink()
        shutil.rmtree(aside, ignore_errors=True)
        self.written = {name: self.folder / name for name in new}

    def _repair(self) -> None:
        """Undo a swap interrupted by a killed run (journal left aside) and clear its leftovers (lock held)."""
        for leftover in self._hidden(_ASIDE):
            journal = leftover / _JOURNAL
            if journal.exists():
                new = json.loads(journal.read_text(encoding="utf-8")).get("nouveaux", [])
                for name in new:
                    with contextlib.suppress(FileNotFoundError):
                        (self.folder / name).unlink()
                for p in leftover.iterdir():
                    if p.name != _JOURNAL:
                        os.replace(p, self.folder / p.name)
            shutil.rmtree(leftover, ignore_errors=True)
        for leftover in self._hidden(_STAGING):
            shutil.rmtree(leftover, ignore_errors=True)


def file_set(paths: Sequence[str | Path], *, needed_bytes: int = 0, label: str | None = None) -> OutputSet:
    """Return the :class:`OutputSet` of files written side by side (``apl`` table, ``cpts`` GeoPackage and CSV).

    The files must share one folder; the set is keyed by the first file's name (its lock and staging folder are
    ``.territoires-verrou.<name>`` and ``.territoires-ecriture.<name>.*`` beside it).
    """
    paths = [Path(p) for p in paths]
    folders = {p.parent.absolute() for p in paths}
    if len(folders) != 1:
        raise ValueError("file_set: the files of a set must share one folder.")
    return OutputSet(
        paths[0].parent,
        [p.name for p in paths],
        needed_bytes=needed_bytes,
        label=label or str(paths[0]),
        key=paths[0].name,
    )
