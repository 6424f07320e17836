"""Leaflet and its plugins, vendored from npm so maps never load anything from a CDN.

``make web`` runs ``npm ci`` (versions pinned in ``package-lock.json``) and then
this file as a script, which copies the files below, with their licences, to
``geoservice/static/vendor/<package>/`` (git-ignored). The app serves that folder
under ``/static``; a standalone export inlines the same files. Standard library
only, so it runs before the virtualenv exists.

    python geoservice/maps/vendor.py node_modules geoservice/static/vendor
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    """An npm package: the files a map needs (globs, relative to the package) and its licence."""

    name: str
    files: tuple[str, ...]
    licence: str | None


PACKAGES: tuple[Package, ...] = (
    Package("leaflet", ("dist/leaflet.js", "dist/leaflet.css", "dist/images/*.png"), "LICENSE"),
    Package(
        "leaflet.markercluster",
        (
            "dist/leaflet.markercluster.js",
            "dist/MarkerCluster.css",
            "dist/MarkerCluster.Default.css",
        ),
        "MIT-LICENCE.txt",
    ),
    Package(
        "leaflet.fullscreen",
        ("Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg"),
        "LICENSE",
    ),
    Package(
        "leaflet-measure",
        (
            "dist/leaflet-measure.cn.js",
            "dist/leaflet-measure.en.js",
            "dist/leaflet-measure.css",
            "dist/assets/*.png",
        ),
        "LICENSE",
    ),
    Package(
        "leaflet-search",
        ("dist/leaflet-search.min.js", "dist/leaflet-search.min.css", "images/*.[pg][ni][gf]"),
        "license.txt",
    ),
    Package(
        "leaflet-minimap",
        ("dist/Control.MiniMap.min.js", "dist/Control.MiniMap.min.css", "dist/images/*"),
        "LICENSE.txt",
    ),
    Package(
        "leaflet-groupedlayercontrol",
        ("dist/leaflet.groupedlayercontrol.min.js", "dist/leaflet.groupedlayercontrol.min.css"),
        "LICENSE.txt",
    ),
    # Ships no licence file; its package.json says Beerware, and the bundle embeds
    # geojson-vt (ISC), pbf and vector-tile (BSD-3-Clause): see the written LICENSE.
    Package("leaflet.vectorgrid", ("dist/Leaflet.VectorGrid.bundled.min.js",), None),
)

PACKAGE_NAMES = frozenset(p.name for p in PACKAGES)

BUNDLED_NOTE = """\
{name} {version}: licence "{license}" (from its package.json; the package ships no
licence file). Author: {author}. Source: {homepage}.
The bundled build also contains geojson-vt (ISC), pbf (BSD-3-Clause),
@mapbox/vector-tile (BSD-3-Clause) and @mapbox/point-geometry (ISC), whose
notices are those of their npm packages.
"""


def vendor(node_modules: Path, dest: Path) -> list[Path]:
    """Copy every package's files and licence from ``node_modules`` to ``dest``.

    Returns the files written. Raises FileNotFoundError naming a missing file,
    so a changed package layout fails ``make web`` instead of a map later.
    """
    written: list[Path] = []
    for package in PACKAGES:
        src, out = node_modules / package.name, dest / package.name
        if out.exists():
            shutil.rmtree(out)
        for pattern in package.files:
            matches = sorted(src.glob(pattern))
            if not matches:
                raise FileNotFoundError(f"{package.name}: nothing matches {pattern!r} in {src}")
            for path in matches:
                target = out / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                written.append(target)
        written.append(_licence(package, src, out))
    return written


def _licence(package: Package, src: Path, out: Path) -> Path:
    meta = json.loads((src / "package.json").read_text(encoding="utf-8"))
    target = out / "LICENSE"
    if package.licence is not None:
        shutil.copyfile(src / package.licence, target)
    else:
        author = meta.get("author")
        author = author.get("name", "") if isinstance(author, dict) else author or ""
        target.write_text(
            BUNDLED_NOTE.format(
                name=package.name,
                version=meta.get("version", "?"),
                license=meta.get("license", "?"),
                author=author,
                homepage=meta.get("homepage", meta.get("repository", "?")),
            ),
            encoding="utf-8",
        )
    (out / "VERSION").write_text(meta["version"] + "\n", encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    """Copy from ``argv[0]`` (node_modules) to ``argv[1]`` (default: the package's vendor/)."""
    if not argv:
        sys.stderr.write(__doc__ or "")
        return 2
    dest = Path(argv[1]) if len(argv) > 1 else VENDOR_DIR
    written = vendor(Path(argv[0]), dest)
    sys.stdout.write(f"vendored {len(written)} files of {len(PACKAGES)} packages into {dest}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
