"""Pack a rendered project into a zip or a gzipped tar whose every entry sits under one folder."""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from scaffold.errors import ArchiveError

#: Archive formats by the suffix of their URL, with their media types.
MEDIA_TYPES: Mapping[str, str] = {"zip": "application/zip", "tar.gz": "application/gzip"}
#: Other names of the archive formats (``/starter.tgz``, as Spring Initializr has it).
FORMAT_ALIASES: Mapping[str, str] = {"tgz": "tar.gz"}


def member_name(top: str, relative: str) -> str:
    """``top/relative``, refused when unpacking it could write outside ``top``."""
    path = PurePosixPath(relative)
    unsafe = (
        not path.parts
        or path.is_absolute()
        or ".." in path.parts
        or any(character in relative for character in "\\\0")
        or top in ("", ".", "..")
        or any(character in top for character in "/\\\0")
    )
    if unsafe:
        raise ArchiveError(f"refusing to archive {relative!r} under {top!r}: it leaves the folder")
    return f"{top}/{path}"


def members(root: Path, top: str) -> list[tuple[Path, str]]:
    """Every directory and file under ``root`` with its archive name, sorted; links are refused."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            raise ArchiveError(f"refusing to archive {relative}: it is a symbolic link")
        found.append((path, member_name(top, relative)))
    return found


def _reset_owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """The entry without the server user's names and ids, as a download should be."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_archive(root: Path, top: str, destination: Path, archive_format: str) -> None:
    """Write the files under ``root`` to ``destination`` as ``top/...``, keeping file modes."""
    entries = members(root, top)
    if archive_format == "zip":
        with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, name in entries:
                archive.write(path, name)
    elif archive_format == "tar.gz":
        with tarfile.open(destination, "w:gz") as archive:
            for path, name in entries:
                archive.add(path, name, recursive=False, filter=_reset_owner)
    else:
        raise ArchiveError(f"unknown archive format {archive_format!r}; use zip or tar.gz")
