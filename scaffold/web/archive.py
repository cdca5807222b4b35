"""Pack a rendered project into a zip or a gzipped tar whose every entry sits under one folder."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
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


def pack(root: Path, top: str, archive_format: str, made: date) -> bytes:
    """The files under ``root`` as ``top/...`` in one archive, built in memory, modes kept.

    Every entry is dated ``made`` (midnight UTC), the day the decision record
    gives, rather than when its file was written: the same project on the same
    day is then the same bytes, so a cached archive, its ``ETag`` and another
    replica's answer all agree.
    """
    entries = members(root, top)
    stamp = datetime.combine(made, time(), UTC)
    buffer = io.BytesIO()
    if archive_format == "zip":
        _zip(entries, stamp, buffer)
    elif archive_format == "tar.gz":
        _tar_gz(entries, stamp, buffer)
    else:
        raise ArchiveError(f"unknown archive format {archive_format!r}; use zip or tar.gz")
    return buffer.getvalue()


def _zip(entries: list[tuple[Path, str]], stamp: datetime, buffer: io.BytesIO) -> None:
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in entries:
            info = zipfile.ZipInfo.from_file(path, name)
            info.date_time = stamp.timetuple()[:6]
            if info.is_dir():
                info.CRC = info.compress_size = 0  # as ZipFile.write sets them for a folder
                archive.mkdir(info)
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())


def _tar_gz(entries: list[tuple[Path, str]], stamp: datetime, buffer: io.BytesIO) -> None:
    seconds = int(stamp.timestamp())
    # The gzip header holds a time and a file name too: both fixed.
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=seconds) as packed,
        tarfile.open(fileobj=packed, mode="w") as archive,
    ):
        for path, name in entries:
            info = archive.gettarinfo(path, name)
            # Without the server user's names and ids, as a download should be.
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = seconds
            if info.isfile():
                with path.open("rb") as content:
                    archive.addfile(info, content)
            else:
                archive.addfile(info)
