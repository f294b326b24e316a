"""Word-vector benchmarks: Mikolov's analogies, WordSim-353 and SimLex-999.

The three files ship in the ``gensim==4.4.0`` wheel under ``gensim/test/test_data/``.  They are
fetched once with ``python -m pip download gensim==4.4.0 --no-deps`` (the running Python's pip;
one pinned platform, so any host gets the same wheel), only those three zip members are read
(names checked, sizes bounded), each is checked by sha256 and written to
``$DEEPGRAD_DATA/word_benchmarks/``, and the wheel is deleted.
"""
from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

from deepgrad.data.datasets._download import (
    DownloadError,
    _run,
    atomic_write_bytes,
    data_home,
    ensure_files,
    fetch_dir,
)

__all__ = ["load_analogies", "load_wordsim353", "load_simlex999"]

PIP_SPEC = "gensim==4.4.0"
_PIP_ARGS = ["download", PIP_SPEC, "--no-deps", "--only-binary=:all:", "--platform", "manylinux_2_28_x86_64",
             "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"]
_MEMBER = "gensim/test/test_data/"
FILES = {  # name: (sha256, size)
    "questions-words.txt": ("8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36", 603955),
    "wordsim353.tsv": ("f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d", 7186),
    "simlex999.txt": ("d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d", 18126),
}
# pip's own words for an unreachable index (the shared list in _download knows npm's and apt's)
_PIP_NETWORK = ("NewConnectionError", "Failed to establish a new connection", "Max retries exceeded",
                "ProxyError", "name resolution", "ConnectTimeoutError", "ReadTimeoutError")


def _pip_command():
    return " ".join(["python", "-m", "pip", *_PIP_ARGS])


def extract_wheel_files(wheel, folder):
    """Write the three benchmark files from a gensim wheel into ``folder`` (sha256-checked)."""
    wname = Path(wheel).name if isinstance(wheel, (str, Path)) else "the wheel"
    with zipfile.ZipFile(wheel) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        for name, (sha, size) in FILES.items():
            info = infos.get(_MEMBER + name)
            if info is None:
                raise DownloadError(f"word benchmarks: {wname} has no member {_MEMBER + name}")
            if info.file_size != size:
                raise DownloadError(f"word benchmarks: {_MEMBER + name} in {wname} has {info.file_size} "
                                    f"bytes, expected {size}", kind="checksum")
            with zf.open(info) as f:
                data = f.read(size + 1)
            got = hashlib.sha256(data).hexdigest()
            if got != sha:
                raise DownloadError(f"word benchmarks: {name} in {wname} has sha256 {got}, "
                                    f"expected {sha}", kind="checksum")
            atomic_write_bytes(Path(folder) / name, data)


def _fetch(folder: Path):
    fix = (f"Check that `{_pip_command()}` works (pip needs the network or a reachable package index), "
           "or run it elsewhere and put the wheel into this folder.")
    placed = sorted(folder.glob("gensim-4.4.0-*.whl"))  # a wheel put there by hand is used as it is
    if placed:
        extract_wheel_files(placed[0], folder)
        return
    with fetch_dir(folder) as tmp:
        try:
            _run([sys.executable, "-m", "pip", *_PIP_ARGS, "-d", str(tmp), "--quiet"], tmp, "word benchmarks", fix)
        except DownloadError as e:
            msg = str(e)
            if e.kind == "failed" and "No module named pip" in msg:
                e.kind = "missing-tool"
            elif e.kind == "failed" and any(w.lower() in msg.lower() for w in _PIP_NETWORK):
                e.kind = "network"
            elif e.kind == "failed" and "No matching distribution" in msg:
                e.kind = "unknown-package"
            raise
        wheels = sorted(tmp.glob("*.whl"))
        if len(wheels) != 1:
            raise DownloadError(f"word benchmarks: pip left {len(wheels)} wheels in {tmp}, expected one. {fix}")
        extract_wheel_files(wheels[0], folder)  # the temporary folder, wheel included, is removed after


def _paths(root):
    folder = data_home(root) / "word_benchmarks"
    manual = (f"To fix: run `{_pip_command()} -d {folder}` (the wheel there is read on the next load), or "
              f"copy {', '.join(FILES)} from gensim/test/test_data/ of that wheel into {folder} "
              "(set $DEEPGRAD_DATA to use another cache folder).")
    return ensure_files(folder, FILES, _fetch, "word benchmarks", manual)


def _lines(path):
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def load_analogies(root=None):
    """Mikolov et al.'s analogy questions ``questions-words.txt``: 19 544 questions in 14 sections.

    Returns a dict ``{section: [(a, b, c, d), ...]}`` in file order ("a is to b as c is to d",
    e.g. ``('Athens', 'Greece', 'Baghdad', 'Iraq')`` in ``'capital-common-countries'``).
    """
    out, section = {}, None
    for line in _lines(_paths(root)["questions-words.txt"]):
        if line.startswith(":"):
            section = line[1:].strip()
            out[section] = []
            continue
        words = line.split()
        if section is None or len(words) != 4:
            raise ValueError(f"load_analogies: malformed line {line!r}")
        out[section].append(tuple(words))
    return out


def _pairs(name, root):
    out = []
    for line in _lines(_paths(root)[name]):
        a, b, score = line.split("\t")
        out.append((a, b, float(score)))
    return out


def load_wordsim353(root=None):
    """WordSim-353 (Finkelstein et al. 2002): 353 ``(word1, word2, mean human score 0..10)``."""
    return _pairs("wordsim353.tsv", root)


def load_simlex999(root=None):
    """SimLex-999 (Hill et al. 2015): 999 ``(word1, word2, mean human similarity 0..10)``."""
    return _pairs("simlex999.txt", root)
