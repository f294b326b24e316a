"""The analogy / WordSim-353 / SimLex-999 loaders: real files, and the download path faked."""
from __future__ import annotations

import hashlib
import io
import sys
import zipfile

import pytest

from deepgrad.data import DownloadError, load_simlex999, load_wordsim353
from deepgrad.data.datasets import word_benchmarks as wb


def test_analogies_real_file(analogies):
    assert len(analogies) == 14 and sum(len(q) for q in analogies.values()) == 19544
    assert list(analogies)[0] == "capital-common-countries" and list(analogies)[-1] == "gram9-plural-verbs"
    assert analogies["capital-common-countries"][0] == ("Athens", "Greece", "Baghdad", "Iraq")
    assert len(analogies["family"]) == 506
    assert all(len(q) == 4 for qs in analogies.values() for q in qs)


def test_similarity_sets_real_files(analogies):
    ws, sl = load_wordsim353(), load_simlex999()
    assert len(ws) == 353 and ws[0] == ("love", "sex", 6.77) and ("tiger", "tiger", 10.0) in ws
    assert len(sl) == 999 and sl[0] == ("old", "new", 1.58)
    folder = wb.data_home() / "word_benchmarks"
    for name, (sha, size) in wb.FILES.items():
        data = (folder / name).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha


def _fake_wheel(path, tamper=None, extra=()):
    src = wb.data_home() / "word_benchmarks"
    with zipfile.ZipFile(path, "w") as zf:
        for name in wb.FILES:
            data = (src / name).read_bytes()
            zf.writestr(wb._MEMBER + name, data + b"x" if name == tamper else data)
        for name in extra:
            zf.writestr(name, b"evil")


def test_hand_placed_wheel_is_read_and_checked(analogies, tmp_path):
    folder = tmp_path / "word_benchmarks"
    folder.mkdir()
    _fake_wheel(folder / "gensim-4.4.0-py3-none-any.whl", extra=["../../escape.txt", "/abs.txt"])
    assert len(load_wordsim353(root=tmp_path)) == 353
    assert not (tmp_path / "escape.txt").exists()
    bad = tmp_path / "bad"
    (bad / "word_benchmarks").mkdir(parents=True)
    _fake_wheel(bad / "word_benchmarks" / "gensim-4.4.0-x.whl", tamper="simlex999.txt")
    with pytest.raises(DownloadError, match="simlex999.txt .* 18127 bytes, expected 18126") as e:
        load_simlex999(root=bad)
    assert e.value.kind == "checksum"


def test_pip_download_path_deletes_the_wheel(analogies, tmp_path, monkeypatch):
    calls = []

    def fake_run(cmd, cwd, what, fix, timeout=900):
        calls.append(cmd)
        _fake_wheel(cwd / "gensim-4.4.0-cp311-cp311-manylinux_2_28_x86_64.whl")

    monkeypatch.setattr(wb, "_run", fake_run)
    assert len(load_simlex999(root=tmp_path)) == 999
    assert calls[0][:5] == [sys.executable, "-m", "pip", "download", "gensim==4.4.0"] and "--no-deps" in calls[0]
    assert sorted(p.name for p in (tmp_path / "word_benchmarks").iterdir() if not p.name.endswith(".verified")) \
        == sorted(wb.FILES)


@pytest.mark.parametrize("log, kind", [
    ("WARNING: Retrying ... NewConnectionError('Failed to establish a new connection')", "network"),
    ("ERROR: No matching distribution found for gensim==4.4.0", "unknown-package"),
    ("/usr/bin/python: No module named pip", "missing-tool")])
def test_failed_download_says_what_and_how_to_fix(tmp_path, monkeypatch, log, kind):
    script = tmp_path / "fakepy"
    script.write_text(f"#!/bin/sh\necho {log!r} >&2\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setattr(wb.sys, "executable", str(script))
    with pytest.raises(DownloadError) as e:
        load_wordsim353(root=tmp_path)
    msg = str(e.value)
    assert e.value.kind == kind
    assert "could not download" in msg and "pip download gensim==4.4.0 --no-deps" in msg
    assert str(tmp_path / "word_benchmarks") in msg and "wordsim353.tsv" in msg


def test_zip_reader_only_reads_named_members():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../x", b"1")
    with pytest.raises(DownloadError, match="has no member gensim/test/test_data/questions-words.txt"):
        wb.extract_wheel_files(buf, "/nonexistent")


def test_word2vec_example_runs_on_a_slice_of_brown(analogies, brown_lower, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "word2vec.py"
    spec = importlib.util.spec_from_file_location("example_word2vec", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = mod.main(["--limit", "30000", "--epochs", "1", "--size", "16", "--cbow", "--hs"])
    out = capsys.readouterr().out
    assert "analogies:" in out and "WordSim-353: Spearman" in out and "SimLex-999: Spearman" in out
    assert model.hs == 1 and model.sg == 0 and len(model.losses) == 1
