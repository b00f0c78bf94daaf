"""The model file's archive: open it, check its members and its manifest, before reading.

A model file is a zip archive of ``manifest.json``, ``manifest.sha256`` and
``arrays/N.npy``. Everything here runs before any array is read or any
estimator built: sizes from the central directory, member names, encryption
and compression, the manifest's format, version and exact checksum, every
member's checksum (streamed), and the class names the manifest may use.
"""

import hashlib
import json
import zipfile

from ._persistence_values import refuse, sha256

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST", "MANIFEST_CHECKSUM", "check_classes",
           "open_archive", "read_manifest"]

#: Name and version of the format; a reader refuses a version newer than its own.
FORMAT = "skmnist-model"
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.sha256"

#: Bounds on what a model file may expand to, checked before reading any member.
MAX_MANIFEST_BYTES = 8 << 20
MAX_MEMBER_BYTES = 512 << 20
MAX_TOTAL_BYTES = 2 << 30
_PICKLE_PROTOCOL = b"\x80"  # first byte of a pickle of protocol 2 or later
_COMPRESSED = {b"\x1f\x8b": "gzip", b"x\x01": "zlib", b"x\x5e": "zlib", b"x\x9c": "zlib",
               b"x\xda": "zlib", b"BZ": "bz2", b"\xfd7": "xz", b"\x04\x22": "lz4"}


# -- writing ------------------------------------------------------------------


def open_archive(path):
    """The zip archive at ``path``, or a ValueError saying what the file is instead."""
    with open(path, "rb") as file:
        head = file.read(4)
    if zipfile.is_zipfile(path):
        try:
            return zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:  # a damaged directory
            raise refuse(path, f"the archive is damaged ({exc}).") from exc
    if head[:1] == _PICKLE_PROTOCOL:
        kind = "a pickle (or joblib) file"
    elif head[:2] in _COMPRESSED:
        kind = f"a {_COMPRESSED[head[:2]]}-compressed file (perhaps a compressed joblib pickle)"
    else:
        kind = "not a zip archive"
    raise refuse(
        path,
        f"not a skmnist model file: it is {kind}. skmnist.load reads only files written by "
        "skmnist.save, and never unpickles, because unpickling runs code stored in the "
        "file. Load a pickle or joblib file with pickle.load or joblib.load only if you "
        "trust where it comes from.",
    )


def _check_members(path, zf):
    """Refuse duplicate, encrypted, oddly compressed or oversized members before reading."""
    infos = zf.infolist()
    names = [info.filename for info in infos]
    if len(names) != len(set(names)):
        duplicated = sorted({name for name in names if names.count(name) > 1})
        raise refuse(
            path,
            f"the archive holds several members named {duplicated}: a reviewer and skmnist "
            "could read different ones. The file was modified after skmnist.save wrote it.",
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise refuse(path, f"{info.filename} is encrypted; skmnist.save never encrypts.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refuse(
                path, f"{info.filename} uses compression method {info.compress_type}, which "
                "skmnist.save never writes (stored or deflate only).",
            )
        limit = {MANIFEST: MAX_MANIFEST_BYTES, MANIFEST_CHECKSUM: 1024}.get(
            info.filename, MAX_MEMBER_BYTES)
        total += info.file_size
        if info.file_size > limit or total > MAX_TOTAL_BYTES:
            raise refuse(
                path,
                f"{info.filename} would expand to {info.file_size:,} bytes, over skmnist's "
                f"limit of {limit:,} per member and {MAX_TOTAL_BYTES:,} per file: a model "
                "file is not that large; this one may be a decompression bomb.",
            )


def _sha256_of_member(zf, name):
    """The SHA-256 of a member, read in chunks (never whole in memory)."""
    digest = hashlib.sha256()
    with zf.open(name) as member:
        for chunk in iter(lambda: member.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(path, zf):
    _check_members(path, zf)
    names = set(zf.namelist())
    if MANIFEST not in names or MANIFEST_CHECKSUM not in names:
        raise refuse(
            path,
            f"not a skmnist model file: the zip archive has no {MANIFEST}. Read only files "
            "written by skmnist.save.",
        )
    raw = zf.read(MANIFEST)
    try:
        manifest = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise refuse(path, f"the manifest is not valid JSON ({exc}); the file is corrupt.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise refuse(path, f"not a skmnist model file (its manifest is not of format {FORMAT!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise refuse(path, f"invalid format version {version!r}; the file is corrupt.")
    if version > FORMAT_VERSION:
        raise refuse(
            path,
            f"written in format version {version} by skmnist "
            f"{manifest.get('skmnist_version', '?')}, but this skmnist reads format versions "
            f"up to {FORMAT_VERSION}. Upgrade skmnist to load it.",
        )
    # exactly what save writes: no trailing space or second line
    if zf.read(MANIFEST_CHECKSUM).decode("ascii", "replace") != sha256(raw) + "\n":
        raise refuse(
            path,
            "checksum mismatch in the manifest: the file was modified or corrupted after "
            "skmnist.save wrote it. Save the model again, or get an intact copy.",
        )
    arrays = manifest.get("arrays")
    if not isinstance(arrays, dict) or set(arrays) != names - {MANIFEST, MANIFEST_CHECKSUM}:
        raise refuse(
            path,
            "the archive's members do not match its manifest: the file was modified after "
            "skmnist.save wrote it. Save the model again, or get an intact copy.",
        )
    for name, checksum in arrays.items():  # every member, before anything is built
        if _sha256_of_member(zf, name) != checksum:
            raise refuse(
                path,
                f"checksum mismatch in {name}: the file was modified or corrupted after "
                "skmnist.save wrote it. Save the model again, or get an intact copy.",
            )
    return manifest


def check_classes(path, entry, allowed):
    """Refuse unknown class names anywhere in the tree, before building anything."""
    if not isinstance(entry, dict):
        raise refuse(path, "the manifest's model entry is malformed; the file is corrupt.")
    name = entry.get("class")
    if name not in allowed:
        raise refuse(
            path,
            f"unknown class {name!r} in the model file: skmnist.load rebuilds only "
            f"{', '.join(sorted(allowed))}. The file was written by another program or a "
            "newer skmnist.",
        )
    if name == "Pipeline":
        steps = entry.get("steps")
        if not isinstance(steps, list) or not steps:
            raise refuse(path, "the pipeline in the manifest has no steps; the file is corrupt.")
        for step in steps:
            if not (isinstance(step, list) and len(step) == 2 and isinstance(step[0], str)):
                raise refuse(path, "a pipeline step in the manifest is malformed.")
            check_classes(path, step[1], allowed)
