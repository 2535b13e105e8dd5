"""Build the real reference corpus from freely licensed music in Debian packages (SPEC §6).

    python -m scripts.build_reference_corpus                 # every package, writes data/references/corpus.json
    python -m scripts.build_reference_corpus --packages hyperrogue-music --output /tmp/c.json
    python -m scripts.build_reference_corpus --check         # re-analyse every package, compare with the shipped file
    python -m scripts.build_reference_corpus --resume /tmp/corpus-work   # an interrupted build goes on where it was

Each package of ``PACKAGES`` (and no other) is fetched with ``apt-get download`` into a
temporary folder, unpacked with ``dpkg-deb``, its music files analysed, and the folder
deleted before the next package: the corpus ships numbers, never audio. Kept: full tracks
of at least 60 s. Left out: sound effects (only the music folders are read), tracks shorter
than 60 s (jingles, stingers, loops), the sped-up duplicates some games keep (``*_fast``),
files whose bytes repeat another, and stems: a Frets on Fire song comes as ``song.ogg`` plus
``guitar.ogg`` (and ``rhythm.ogg``, ``drums.ogg``), parts the game sums at levels of its own —
summed at unity they peak 3–6 dB over full scale, which no released master does — so such songs
are skipped, not mixed.

Per track: title, artist, package, path, licence (from the package's copyright file), the
genre and the basis of that label (the file's own GENRE tag, or, without one, its tempo and
features — said so in ``genre_basis``), the §4 metrics, the 1/6-octave long-term spectrum and
the feature vector.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from amt.analysis.decode import iter_blocks, probe, read_tags
from amt.analysis.engine import analyze_blocks
from amt.analysis.result import ENGINE_VERSION, AnalysisResult
from amt.api.services.corpus import CORPUS_PATH, label_corpus
from amt.ml.feature_extraction import FEATURE_VERSION, extract_features
from amt.utils.process import tune_process

MIN_TRACK_S = 60.0
"""Shorter files are jingles, stingers or loops, not tracks (SPEC §6)."""
CORPUS_FORMAT = 1
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://audio-mastering-tool.local/reference-corpus")
STEM_NAMES = ("song", "guitar", "rhythm", "drums", "bass", "vocals", "keys")
"""File names (without extension) of the parts a Frets on Fire song is split into: such a folder holds stems."""


@dataclass(frozen=True)
class PackageSpec:
    """A Debian package and where its music lies."""

    name: str
    music: tuple[str, ...]
    """Glob patterns, relative to the unpacked package, of its music files."""
    exclude: tuple[str, ...] = ()
    """fnmatch patterns of music files that are not separate full tracks (sped-up duplicates)."""
    licence: str | None = None
    """The licence, as the copyright file states it in prose, when that file is not machine-readable."""
    artist: str | None = None
    """The upstream author the copyright file names, for files without an ARTIST tag."""


PACKAGES: tuple[PackageSpec, ...] = (
    PackageSpec("redeclipse-data", ("usr/share/games/redeclipse/data/sounds/music/*.ogg",)),
    PackageSpec(
        "supertuxkart-data", ("usr/share/games/supertuxkart/data/music/*.ogg",), exclude=("*_fast.ogg", "*_f.ogg")
    ),
    PackageSpec("hedgewars-data", ("usr/share/games/hedgewars/Data/Music/*.ogg",)),
    PackageSpec("supertux-data", ("usr/share/games/supertux2/music/*/*.ogg",)),
    PackageSpec("freedroidrpg-data", ("usr/share/freedroidrpg/data/sound/music/*.ogg",)),
    PackageSpec(
        "megaglest-data",
        (
            "usr/share/games/megaglest/data/core/menu/music/*.ogg",
            "usr/share/games/megaglest/techs/*/factions/*/music/*.ogg",
        ),
    ),
    PackageSpec("flare-game", ("usr/share/games/flare/mods/*/music/*.ogg",), exclude=("wind_ambient.ogg",)),
    PackageSpec("hyperrogue-music", ("usr/share/hyperrogue/music/*.ogg",)),
    PackageSpec("wesnoth-1.16-music", ("usr/share/games/wesnoth/1.16/data/core/music/*.ogg",), licence="GPL-2+"),
    PackageSpec(
        "fretsonfire-songs-muldjord",
        ("usr/share/games/fretsonfire/data/songs/*/*/*.ogg",),
        licence="CC-BY-SA-3.0",
        artist="Muldjord",
    ),
    PackageSpec(
        "fretsonfire-songs-sectoid",
        ("usr/share/games/fretsonfire/data/songs/*/*/*.ogg",),
        licence="Expat",
        artist="Carlos Viola Iborra (Sectoid)",
    ),
    PackageSpec("extremetuxracer-data", ("usr/share/games/etr/music/*.ogg",)),
    PackageSpec("lincity-ng-data", ("usr/share/games/lincity-ng/music/*/*.ogg",)),
    PackageSpec("openclonk-data", ("usr/share/games/openclonk/Music.ocg/*.ogg",), licence="CC-BY-3.0 or CC0-1.0"),
)
PACKAGE_NAMES: tuple[str, ...] = tuple(p.name for p in PACKAGES)


@dataclass(frozen=True)
class TrackSource:
    """One track to analyse."""

    package: str
    version: str
    path: str
    """Path inside the package."""
    licence: str
    holder: str | None
    """Copyright holder of the file's own stanza in the copyright file (else the package's upstream author)."""


# --- the package's copyright file ----------------------------------------------------------------------


def _stanzas(text: str) -> list[dict[str, str]]:
    """The paragraphs of a Debian copyright file as field → value (continuation lines joined)."""
    out: list[dict[str, str]] = []
    for para in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in para.splitlines():
            if line[:1] in (" ", "\t") and key is not None:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip()
                fields[key] = value.strip()
        if fields:
            out.append(fields)
    return out


def licence_of(copyright_text: str, path: str, fallback: str | None) -> tuple[str, str | None]:
    """(licence, copyright holder or None) of an installed ``path`` from a machine-readable copyright file.

    Its ``Files:`` patterns name paths of the upstream source, so a pattern matches when some tail of the
    installed path matches it; as in the format, the last matching stanza wins. ``fallback`` is the licence for
    a copyright file in prose.
    """
    best: tuple[str, str | None] | None = None
    parts = path.split("/")
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    for stanza in _stanzas(copyright_text):
        if "Files" not in stanza or "License" not in stanza:
            continue
        patterns = stanza["Files"].split()
        if any(fnmatch.fnmatchcase(tail, pat) for pat in patterns for tail in tails):
            licence = stanza["License"].splitlines()[0].strip()
            specific = patterns != ["*"]
            holder = stanza.get("Copyright", "").splitlines()[0].strip() if specific else None
            best = (licence, holder or None)
    if best is not None and best[0]:
        return best
    if fallback is None:
        raise ValueError(f"no licence found for {path}")
    return fallback, None


# --- fetching ------------------------------------------------------------------------------------------


def fetch_package(name: str, into: Path) -> tuple[Path, str]:
    """Download and unpack one package into ``into``; (the unpacked root, the package version). On a machine whose
    package lists were never fetched, ``apt-get update`` runs once first (as root)."""
    got = subprocess.run(["apt-get", "download", name], cwd=into, capture_output=True, text=True)
    if got.returncode != 0 and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        got = subprocess.run(["apt-get", "download", name], cwd=into, capture_output=True, text=True)
    if got.returncode != 0:
        raise RuntimeError(f"apt-get download {name} failed: {got.stderr.strip()[-300:]}")
    deb = next(into.glob(f"{name}_*.deb"))
    version = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    root = into / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    deb.unlink()
    return root, version


def _duration_s(path: Path) -> float:
    info = probe(path)
    return info.frames / info.sample_rate


def track_sources(spec: PackageSpec, root: Path, version: str) -> Iterator[TrackSource]:
    """The package's full tracks: music files of at least 60 s; duplicates, sped-up copies and stems left out."""
    copyright_file = root / "usr" / "share" / "doc" / spec.name / "copyright"
    copyright_text = copyright_file.read_text(errors="replace") if copyright_file.exists() else ""
    files = sorted({p for pattern in spec.music for p in root.glob(pattern) if p.is_file()})
    files = [p for p in files if not any(fnmatch.fnmatchcase(p.name, pat) for pat in spec.exclude)]
    groups: dict[Path, list[Path]] = {}
    for p in files:
        stems = [q for q in p.parent.iterdir() if q.suffix == p.suffix and q.stem in STEM_NAMES]
        if p.stem in STEM_NAMES and len(stems) > 1:
            groups.setdefault(p.parent, []).append(p)
        else:
            groups[p] = [p]
    seen: set[str] = set()
    for folder, members in groups.items():
        if len(members) > 1:
            print(f"  skipped: {folder.name} (stems of one song: {', '.join(sorted(q.name for q in members))})")
            continue
        file = members[0]
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        if digest in seen or _duration_s(file) < MIN_TRACK_S:
            continue
        seen.add(digest)
        rel = str(file.relative_to(root))
        licence, holder = licence_of(copyright_text, rel, spec.licence)
        yield TrackSource(spec.name, version, rel, licence, holder or spec.artist)


# --- analysis ------------------------------------------------------------------------------------------


def analyse_source(root: Path, source: TrackSource) -> tuple[AnalysisResult, dict[str, str]]:
    """The engine's result for one track and its tags."""
    path = root / source.path
    info = probe(path)
    return analyze_blocks(iter_blocks(path, info=info), info), read_tags(path)


_NUMBERED = re.compile(r"^\s*\d+\s*-\s*(?P<artist>.+?)\s+-\s+(?P<title>.+)$")
"""File names such as "02 - Robert van Herk - City Blues"."""


def _title_and_artist(source: TrackSource, tags: dict[str, str]) -> tuple[str, str | None]:
    """The track's title (its tag, else its file or song folder name) and the artist its file name gives."""
    path = Path(source.path)
    stem = path.stem
    numbered = _NUMBERED.match(stem)
    title = tags.get("title", "").strip()
    if not title or title.lower() in {"untitled", "track"}:
        title = numbered.group("title") if numbered else re.sub(r"[_-]+", " ", stem).strip().title()
    return title, numbered.group("artist") if numbered else None


def track_entry(root: Path, source: TrackSource) -> dict[str, Any]:
    """Analyse one track; its corpus entry (numbers and attribution, no audio)."""
    result, tags = analyse_source(root, source)
    title, named = _title_and_artist(source, tags)
    artist = tags.get("artist", "").strip() or named or source.holder or f"{source.package} authors"
    return {
        "id": str(uuid.uuid5(ID_NAMESPACE, f"{source.package}/{source.path}")),
        "title": title,
        "artist": artist,
        "year": _year(tags.get("date")),
        "package": source.package,
        "package_version": source.version,
        "path": "/" + source.path,
        "licence": source.licence,
        "genre_tag": tags.get("genre") or None,
        "engine_version": result.engine_version,
        "feature_version": FEATURE_VERSION,
        "audio": asdict(result.audio),
        "overall_metrics": asdict(result.overall),
        "band_metrics": [asdict(b) for b in result.bands],
        "spectrum": {"freqs_hz": list(result.series.spectrum_freqs_hz), "db": list(result.series.spectrum_db)},
        "feature_vector": [round(float(v), 6) for v in extract_features(result)],
    }


def _year(date: str | None) -> int | None:
    match = re.search(r"\b(19|20)\d\d\b", date or "")
    return int(match.group(0)) if match else None


def _analyse_job(job: tuple[str, TrackSource]) -> dict[str, Any]:
    root, source = job
    return track_entry(Path(root), source)


def build_package(spec: PackageSpec, *, jobs: int) -> list[dict[str, Any]]:
    """Fetch, unpack, analyse and delete one package; its tracks' entries."""
    with tempfile.TemporaryDirectory(prefix=f"corpus-{spec.name}-") as tmp:
        t0 = time.perf_counter()
        root, version = fetch_package(spec.name, Path(tmp))
        sources = list(track_sources(spec, root, version))
        print(f"{spec.name} {version}: {len(sources)} tracks (fetched in {time.perf_counter() - t0:.0f} s)", flush=True)
        work = [(str(root), s) for s in sources]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            entries = list(pool.map(_analyse_job, work))
        for e in entries:
            o = e["overall_metrics"]
            print(
                f"  {e['title'][:38]:<38} {o['integrated_lufs'] or float('nan'):6.1f} LUFS  DR {o['dr_value']:>2}  "
                f"{o['tempo_bpm'] or 0:5.1f} BPM  tag {e['genre_tag'] or '-'}",
                flush=True,
            )
        shutil.rmtree(root, ignore_errors=True)
    return entries


def build_corpus(
    packages: Sequence[PackageSpec], *, jobs: int, known: Sequence[dict[str, Any]] = (), work_dir: Path | None = None
) -> dict[str, Any]:
    """Every package's tracks, as the corpus document. ``known``: an earlier corpus, whose tagged tracks help label
    the untagged ones when only a few packages are built. ``work_dir``: where each finished package's entries are
    kept, so that an interrupted build resumes with the packages it has not done (same engine version only)."""
    tracks: list[dict[str, Any]] = []
    for spec in packages:
        done = work_dir / f"{spec.name}.json" if work_dir is not None else None
        if done is not None and done.exists():
            kept = json.loads(done.read_text())
            if kept["engine_version"] == ENGINE_VERSION and kept["feature_version"] == FEATURE_VERSION:
                print(f"{spec.name}: {len(kept['tracks'])} tracks kept from {done}", flush=True)
                tracks.extend(kept["tracks"])
                continue
        entries = build_package(spec, jobs=jobs)
        if done is not None:
            done.parent.mkdir(parents=True, exist_ok=True)
            done.write_text(
                json.dumps({"engine_version": ENGINE_VERSION, "feature_version": FEATURE_VERSION, "tracks": entries})
            )
        tracks.extend(entries)
    _untangle_titles(tracks)
    labelled = [
        {**t, "genre": lab.genre, "family": lab.family.value, "genre_basis": lab.basis}
        for t, lab in zip(tracks, label_corpus(tracks, known), strict=True)
    ]
    return {
        "format": CORPUS_FORMAT,
        "generator": "python -m scripts.build_reference_corpus",
        "engine_version": ENGINE_VERSION,
        "feature_version": FEATURE_VERSION,
        "packages": sorted({t["package"] for t in tracks}),
        "tracks": labelled,
    }


def _untangle_titles(tracks: list[dict[str, Any]]) -> None:
    """Some packages copy one file's tags onto every file (hyperrogue-music's tracks all say 'Living Caves'): a
    title that repeats within a package is replaced by the file's own name."""
    seen: dict[tuple[str, str], int] = {}
    for t in tracks:
        seen[(t["package"], t["title"])] = seen.get((t["package"], t["title"]), 0) + 1
    for t in tracks:
        if seen[(t["package"], t["title"])] > 1:
            t["title"] = re.sub(r"[_-]+", " ", Path(t["path"]).stem).strip().title()


def attribution(document: dict[str, Any]) -> str:
    """The attribution file: every track with its authors, source package, file and licence."""
    lines = [
        "# Reference corpus — attribution",
        "",
        "The built-in reference library is measured on these freely licensed tracks, published in Debian",
        "packages. Only numbers measured on them are shipped here, never the audio. Rebuild with",
        "`python -m scripts.build_reference_corpus` (from `backend/`).",
        "",
        "| title | artist | package | file | licence | genre (basis) |",
        "|---|---|---|---|---|---|",
    ]
    for t in document["tracks"]:
        cells = [
            t["title"],
            t["artist"],
            f"{t['package']} {t['package_version']}",
            t["path"],
            t["licence"],
            f"{t['genre']} ({t['genre_basis']})",
        ]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def compare(shipped: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Differences between the shipped corpus and a fresh build: tracks missing or added, and figures that moved
    by more than 1e-6 (relative)."""
    problems: list[str] = []
    old = {t["id"]: t for t in shipped["tracks"]}
    new = {t["id"]: t for t in fresh["tracks"]}
    problems += [f"missing in the fresh build: {old[i]['path']}" for i in old.keys() - new.keys()]
    problems += [f"new in the fresh build: {new[i]['path']}" for i in new.keys() - old.keys()]
    for i in old.keys() & new.keys():
        a, b = old[i], new[i]
        for key, va in a["overall_metrics"].items():
            vb = b["overall_metrics"].get(key)
            if not _close(va, vb):
                problems.append(f"{a['path']}: {key} {va} → {vb}")
        for ba, bb in zip(a["band_metrics"], b["band_metrics"], strict=True):
            problems += [
                f"{a['path']}: {ba['band']} {k} {v} → {bb.get(k)}" for k, v in ba.items() if not _close(v, bb.get(k))
            ]
    return problems


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-6 * max(1.0, abs(a))
    return bool(a == b)


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write atomically (a temporary file replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Entry point; the exit status."""
    tune_process()
    parser = argparse.ArgumentParser(
        prog="python -m scripts.build_reference_corpus", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--packages",
        nargs="+",
        choices=PACKAGE_NAMES,
        metavar="PACKAGE",
        help=f"only these packages (default: all of {', '.join(PACKAGE_NAMES)})",
    )
    parser.add_argument("--jobs", type=int, default=2, help="analysis processes (default 2)")
    parser.add_argument("--output", type=Path, default=CORPUS_PATH, help="where to write the corpus JSON")
    parser.add_argument(
        "--check",
        action="store_true",
        help="re-analyse the packages and compare with the corpus at --output; write nothing",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="keep each finished package's numbers in DIR and reuse them when run again",
    )
    args = parser.parse_args(argv)
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        print("error: apt-get and dpkg-deb are needed (a Debian or Ubuntu system)", file=sys.stderr)
        return 2
    chosen = [p for p in PACKAGES if args.packages is None or p.name in args.packages]
    t0 = time.perf_counter()
    earlier = json.loads(args.output.read_text())["tracks"] if args.output.exists() else []
    document = build_corpus(
        chosen,
        jobs=max(1, args.jobs),
        known=earlier if args.packages else (),
        work_dir=None if args.check else args.resume,
    )
    print(f"{len(document['tracks'])} tracks from {len(chosen)} packages in {time.perf_counter() - t0:.0f} s")
    if args.check:
        shipped = json.loads(args.output.read_text())
        if args.packages:
            shipped = {**shipped, "tracks": [t for t in shipped["tracks"] if t["package"] in args.packages]}
        problems = compare(shipped, document)
        print("\n".join(problems) if problems else f"the fresh build matches {args.output.name}")
        return 1 if problems else 0
    write_json(document, args.output)
    args.output.with_name("ATTRIBUTION.md").write_text(attribution(document), encoding="utf-8")
    print(f"wrote {args.output} and {args.output.with_name('ATTRIBUTION.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
