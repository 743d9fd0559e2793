"""Uploaded knowledge files: safe names, safe zip unpacking, and the limits both obey.

Nothing here touches the index; :mod:`bot.library.library` ingests what this module has unpacked.
A refused upload raises :class:`UploadRejected` with the HTTP status the web layer should send
(413 too large, 422 unusable, 507 disk full) and a reason an admin can act on.
"""

from __future__ import annotations

import errno
import shutil
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MB = 1_048_576
# An archive may unpack to this many times the upload limit (text compresses ~5-10x); a zip bomb
# declaring more is refused before a byte is written.
UNPACK_FACTOR = 10
MAX_ZIP_MEMBERS = 5000
# Keep this much disk free after unpacking, so an upload never fills the disk the index needs.
DISK_MARGIN = 64 * MB
_CHUNK = 1 << 20


class UploadRejected(Exception):
    """The upload (or one archive in it) cannot be used; ``status`` is the HTTP status to send."""

    def __init__(self, reason: str, status: int = 422) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class UploadLimits:
    """How much one upload may bring in."""

    max_bytes: int
    max_unpacked_bytes: int
    max_members: int = MAX_ZIP_MEMBERS

    @classmethod
    def from_mb(cls, max_upload_mb: int) -> UploadLimits:
        """Limits for ``settings.max_upload_mb``."""
        return cls(max_upload_mb * MB, max_upload_mb * MB * UNPACK_FACTOR)

    def too_large(self) -> UploadRejected:
        """The 413 error for an upload over :attr:`max_bytes`."""
        limit = self.max_bytes / MB
        return UploadRejected(
            f"upload too large: the limit is {limit:g} MB; nothing was ingested", 413
        )


def disk_full(err: OSError) -> bool:
    """Whether ``err`` means the disk (or the user's quota) is full."""
    return err.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_full_error() -> UploadRejected:
    """The 507 error for a full disk."""
    return UploadRejected(
        "the server's disk is full: nothing was ingested and nothing was lost; "
        "free some space and upload again",
        507,
    )


def ensure_space(folder: Path, needed: int, free_bytes: Callable[[Path], int]) -> None:
    """Refuse (507) when writing ``needed`` bytes under ``folder`` would leave too little free."""
    if free_bytes(folder) < needed + DISK_MARGIN:
        raise disk_full_error()


def free_disk_bytes(folder: Path) -> int:
    """Free bytes on the file system holding ``folder``."""
    return shutil.disk_usage(folder).free


def safe_name(filename: str) -> str:
    """Return the last part of an uploaded file name, refusing names that are no file name."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in (".", "..") or name.startswith(".") or "\x00" in name:
        raise UploadRejected(f"unusable file name {filename!r}")
    return name


def _member_name(info: zipfile.ZipInfo) -> str:
    """The entry's name, decoding Korean (CP949) names that zip tools stored without a flag."""
    name = info.filename
    if not info.flag_bits & 0x800:  # no UTF-8 flag: Python decoded it as CP437
        raw = name.encode("cp437", errors="replace")
        for codec in ("utf-8", "cp949"):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                continue
    return name


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The entry's relative path, ``None`` to skip it, or UploadRejected if it is unsafe."""
    name = _member_name(info).replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or (path.parts and ":" in path.parts[0]):
        raise UploadRejected(f"refused: entry {name!r} has an absolute path")
    if ".." in path.parts:
        raise UploadRejected(f"refused: entry {name!r} points outside the archive")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UploadRejected(f"refused: entry {name!r} is a symbolic link")
    if info.is_dir() or not path.parts:
        return None
    # Finder's resource forks and hidden files are no articles.
    if path.parts[0] == "__MACOSX" or any(p.startswith(".") for p in path.parts):
        return None
    return path


def plan_zip(archive: zipfile.ZipFile, limits: UploadLimits) -> list[tuple[zipfile.ZipInfo, str]]:
    """Check every entry before anything is written; return (entry, relative path) to unpack."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise UploadRejected(f"refused: {len(infos)} entries, the limit is {limits.max_members}")
    plan = []
    total = 0
    for info in infos:
        path = _member_path(info)
        if path is None:
            continue
        if info.flag_bits & 0x1:
            raise UploadRejected("refused: encrypted archives are not supported")
        total += info.file_size
        plan.append((info, str(path)))
    _refuse_file_and_folder(plan)
    if total > limits.max_unpacked_bytes:
        raise UploadRejected(
            f"refused: unpacks to {total / MB:.0f} MB, the limit is "
            f"{limits.max_unpacked_bytes / MB:g} MB (zip bomb?)"
        )
    return plan


def _refuse_file_and_folder(plan: list[tuple[zipfile.ZipInfo, str]]) -> None:
    """Refuse an archive where one name is both a file and a folder (``a`` and ``a/b.md``): no
    file system can hold both, and which one wins would depend on the entries' order."""
    files = {rel for _, rel in plan}
    folders = {str(parent) for rel in files for parent in PurePosixPath(rel).parents}
    clash = sorted(files & folders)
    if clash:
        raise UploadRejected(f"refused: {clash[0]!r} is both a file and a folder in the archive")


def unpack_zip(
    path: Path,
    dest: Path,
    limits: UploadLimits,
    free_bytes: Callable[[Path], int] = free_disk_bytes,
) -> list[tuple[Path, str]]:
    """Unpack ``path`` under ``dest`` safely; return (file on disk, path inside the archive)."""
    try:
        with zipfile.ZipFile(path) as archive:
            plan = plan_zip(archive, limits)
            dest.mkdir(parents=True, exist_ok=True)
            ensure_space(dest, sum(info.file_size for info, _ in plan), free_bytes)
            return [(_extract(archive, info, dest, rel), rel) for info, rel in plan]
    except zipfile.BadZipFile as err:
        raise UploadRejected(f"not a valid zip archive ({err})") from err
    except (NotImplementedError, RuntimeError) as err:  # unsupported compression, passwords
        raise UploadRejected(f"cannot unpack: {err}") from err
    except OSError as err:  # an entry the file system cannot hold: this archive fails, not all
        if disk_full(err):
            raise disk_full_error() from err
        raise UploadRejected(f"cannot unpack: {err.strerror or err}") from err


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, rel: str) -> Path:
    """Copy one entry, counting real bytes: a header that lies about its size gains nothing."""
    target = dest / rel
    if not target.resolve().is_relative_to(dest.resolve()):  # belt and braces after plan_zip
        raise UploadRejected(f"refused: entry {rel!r} points outside the archive")
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with archive.open(info) as src, target.open("wb") as out:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise UploadRejected("refused: the archive unpacks to more than it declares")
            out.write(chunk)
    return target
