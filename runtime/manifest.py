"""The graph manifest: what a folder of converted sscodec graphs contains.

A converted model folder holds four ``.tflite`` graphs and ``manifest.json``::

    encoder.tflite      audio frame + encoder states (+ denoise) → embedding + new states
    rvq_encode.tflite   embedding + num_quantizers → codes
    rvq_decode.tflite   codes + num_quantizers → embedding
    decoder.tflite      embedding + decoder states (+ denoise) → audio frame + new states
    manifest.json       this description, with the sha256 of every graph

The manifest is read by the runtime without TensorFlow; the runtime refuses a
folder whose graphs do not hash to the manifest's values, whose format version
it does not know, or whose tensors disagree with the declared interface.

``rvq_encode`` may list ``stage_signatures`` (``[{"stages": 6, "signature":
"stages_006"}, ...]``): more signatures in the same file, with the same inputs
and outputs, that run only the first ``stages`` quantizers (the codebooks are
stored once). A runtime uses the fewest-stage one that covers its n_q
(:meth:`GraphSpec.signature_for`); one that ignores them gets the same codes
from the all-stage ``signature``.

State layout: each stateful graph takes its states as inputs named
``state_000`` … and returns the next states as outputs named
``new_state_000`` …, in the same order, each ``[1, length, channels]``
float32; a stream starts (or is reset) with all states zero.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SscodecError

MANIFEST_NAME = "manifest.json"
FORMAT = "sscodec-graphs"
FORMAT_VERSION = 1
GRAPH_ROLES = ("encoder", "rvq_encode", "rvq_decode", "decoder")
PRECISIONS = ("float32", "dynamic-int8", "int8")
# the decoder of an int8 folder: float activations (default), all-integer, or integer
# except the output conv (its float ops listed in the graph's ``float_nodes``)
INT8_DECODER_CHOICES = ("dynamic-int8", "int8", "int8-float-out")


class ManifestError(SscodecError):
    """A converted model folder is missing, corrupt or inconsistent."""


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class TensorSpec:
    name: str
    shape: list[int]
    dtype: str

    @classmethod
    def from_dict(cls, d):
        return cls(str(d["name"]), [int(x) for x in d["shape"]], str(d["dtype"]))


@dataclass
class GraphSpec:
    role: str
    file: str
    sha256: str
    signature: str
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    states: list[dict] = field(default_factory=list)  # {"input","output","shape","layer"}
    precision: str = "float32"
    float_nodes: list[str] = field(default_factory=list)  # ops left float in an int8 graph
    # rvq_encode: (stages, signature) of signatures that run only the first `stages`
    # quantizers (same inputs/outputs; codes beyond are 0), stages ascending, < N_q
    stage_signatures: list[tuple[int, str]] = field(default_factory=list)

    @property
    def all_integer(self) -> bool:
        """An int8 graph with no float ops (bit-identical across CPUs)."""
        return self.precision == "int8" and not self.float_nodes

    def signature_for(self, n_q: int) -> str:
        """The cheapest signature that computes the first ``n_q`` codes: the
        fewest-stage ``stage_signatures`` entry with stages >= n_q, else
        ``signature`` (all stages)."""
        for stages, key in self.stage_signatures:
            if n_q <= stages:
                return key
        return self.signature

    @classmethod
    def from_dict(cls, role, d):
        return cls(
            role=role,
            file=str(d["file"]),
            sha256=str(d["sha256"]),
            signature=str(d["signature"]),
            inputs=[TensorSpec.from_dict(t) for t in d["inputs"]],
            outputs=[TensorSpec.from_dict(t) for t in d["outputs"]],
            states=list(d.get("states", [])),
            precision=str(d.get("precision", "float32")),
            float_nodes=[str(n) for n in d.get("float_nodes", [])],
            stage_signatures=[(int(e["stages"]), str(e["signature"])) for e in d.get("stage_signatures", [])],
        )


@dataclass
class Manifest:
    """Parsed ``manifest.json`` of a converted model folder."""

    folder: Path
    model: dict
    precision: str
    graphs: dict[str, GraphSpec]
    raw: dict

    @property
    def sample_rate(self) -> int:
        return int(self.model["sample_rate"])

    @property
    def frame_size(self) -> int:
        return int(self.model["frame_size"])

    @property
    def num_quantizers(self) -> int:
        return int(self.model["num_quantizers"])

    @property
    def codebook_size(self) -> int:
        return int(self.model["codebook_size"])

    @property
    def bits_per_code(self) -> int:
        return int(self.model["bits_per_code"])

    @property
    def embedding_dim(self) -> int:
        return int(self.model["embedding_dim"])

    @property
    def model_id(self) -> str:
        return str(self.model["model_id"])

    def bitrate(self, n_q: int) -> float:
        return n_q * self.bits_per_code * self.sample_rate / self.frame_size

    def graph_path(self, role: str) -> Path:
        return self.folder / self.graphs[role].file


def load_manifest(folder, verify_hashes: bool = True) -> Manifest:
    """Read and validate ``folder/manifest.json`` (and the graphs' hashes)."""
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise ManifestError(f"model folder not found: {folder}")
    if not path.is_file():
        raise ManifestError(f"{folder}: no {MANIFEST_NAME} (not a converted sscodec model folder)")
    try:
        raw = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ManifestError(f"{path}: not valid JSON: {e}") from e
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ManifestError(f"{path}: not an sscodec graph manifest (format != {FORMAT!r})")
    if raw.get("format_version") != FORMAT_VERSION:
        raise ManifestError(
            f"{path}: unsupported manifest version {raw.get('format_version')!r} (this sscodec reads {FORMAT_VERSION})"
        )
    try:
        model = dict(raw["model"])
        precision = str(raw["precision"])
        graphs = {role: GraphSpec.from_dict(role, raw["graphs"][role]) for role in GRAPH_ROLES}
        for key in ("sample_rate", "frame_size", "num_quantizers", "codebook_size", "bits_per_code", "model_id"):
            model[key]  # noqa: B018 - presence check
    except (KeyError, TypeError, ValueError) as e:
        raise ManifestError(f"{path}: incomplete manifest: missing or invalid {e}") from e
    if precision not in PRECISIONS:
        raise ManifestError(f"{path}: unknown precision {precision!r}")
    for g in graphs.values():
        stages = [k for k, _ in g.stage_signatures]
        if stages != sorted(set(stages)) or any(not 1 <= k < int(model["num_quantizers"]) for k in stages):
            raise ManifestError(f"{path}: {g.role} stage_signatures must have ascending, distinct stage counts "
                                f"in [1, num_quantizers), got {stages}")
    for g in graphs.values():
        gp = folder / g.file
        if not gp.is_file():
            raise ManifestError(f"{folder}: graph file {g.file} listed in the manifest is missing")
        if verify_hashes and sha256_file(gp) != g.sha256:
            raise ManifestError(f"{gp}: sha256 does not match the manifest (file modified or corrupt)")
    return Manifest(folder, model, precision, graphs, raw)


def write_manifest(folder, model: dict, precision: str, graphs: dict, extra: dict | None = None) -> Path:
    """Write ``manifest.json``; ``graphs[role]`` dicts get their sha256 filled in."""
    folder = Path(folder)
    out = {"format": FORMAT, "format_version": FORMAT_VERSION, "precision": precision, "model": model, "graphs": {}}
    for role in GRAPH_ROLES:
        g = dict(graphs[role])
        g["sha256"] = sha256_file(folder / g["file"])
        out["graphs"][role] = g
    if extra:
        out.update(extra)
    path = folder / MANIFEST_NAME
    path.write_text(json.dumps(out, indent=2) + "\n")
    return path
