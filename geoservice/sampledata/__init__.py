"""Sample planning layers of Dongsheng District (东胜区), Ordos, as GeoDataFrames.

Call :func:`build_sample_layers`; ``data/README.md`` says, layer by layer, what
is real and what is approximate, and credits every source.
"""

from geoservice.sampledata.build import LAYER_IDS, build_sample_layers

__all__ = ["LAYER_IDS", "build_sample_layers"]
