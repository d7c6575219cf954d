"""Model and training configuration: dataclasses, presets, TOML/JSON I/O.

A model directory holds ``config.json`` (a :class:`ModelConfig`) next to the
weights, so every consumer (trainer, converter, runtime tools) rebuilds the
same architecture from the same numbers.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of one SoundStream generator.

    sample_rate: Hz. strides: encoder downsampling factors (decoder mirrors
    them); their product is the frame size in samples. channels: base width C
    (SEANet doubles it after each strided block). decoder_channels: the
    decoder's base width (0 = ``channels``; a decoder widened after training by
    :mod:`.widen`). embedding_dim: D of the
    quantized latent. num_quantizers x codebook_size: the RVQ (10-bit codes for
    1024 entries).
    """

    name: str = "speech16k"
    sample_rate: int = 16000
    channels: int = 16
    strides: tuple[int, ...] = (2, 4, 5, 8)
    embedding_dim: int = 64
    num_quantizers: int = 24
    codebook_size: int = 1024
    kernel_size: int = 7
    dilations: tuple[int, ...] = (1, 3, 9)
    leaky_slope: float = 0.2
    upsample_kernel: int = 2
    film: bool = True
    decoder_channels: int = 0

    @property
    def decoder_base_channels(self) -> int:
        """C of the decoder: its last block's width (``decoder_channels`` or ``channels``)."""
        return self.decoder_channels or self.channels

    @property
    def frame_size(self) -> int:
        return math.prod(self.strides)

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.frame_size

    @property
    def bits_per_code(self) -> int:
        return int(math.ceil(math.log2(self.codebook_size)))

    def bitrate(self, n_q: int) -> float:
        """Bits per second with the first ``n_q`` quantizers."""
        return n_q * self.bits_per_code * self.frame_rate

    def quantizers_for_bitrate(self, bps: float) -> int:
        """Largest n_q whose bitrate does not exceed ``bps`` (at least 1)."""
        per_q = self.bits_per_code * self.frame_rate
        n = int(math.floor(bps / per_q + 1e-9))
        if n < 1 or n > self.num_quantizers:
            lo, hi = self.bitrate(1), self.bitrate(self.num_quantizers)
            raise ValueError(f"bitrate {bps:g} bps outside {lo:g}..{hi:g} bps")
        return n

    def eval_quantizer_counts(self) -> list[int]:
        """The quantizer counts reported in evals: a quarter, half and all
        (3 / 6 / 12 kbps for speech16k)."""
        n = self.num_quantizers
        return sorted({max(1, n // 4), max(1, n // 2), n})

    def bitrate_table(self) -> dict[int, float]:
        return {n: self.bitrate(n) for n in range(1, self.num_quantizers + 1)}

    def to_dict(self) -> dict:
        """The config as JSON-able keys. ``decoder_channels`` is left out while 0 (= ``channels``),
        so the config.json of an unwidened model reads in releases that predate the key."""
        d = dataclasses.asdict(self)
        if not d["decoder_channels"]:
            del d["decoder_channels"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        d = dict(d)
        for k in ("strides", "dilations"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)


PRESETS: dict[str, ModelConfig] = {
    # Shipped default: 16 kHz, 320-sample (20 ms) frames at 50 Hz,
    # 24 x 10-bit codes -> 0.5..12 kbps (3/6/9/12 kbps at 6/12/18/24 quantizers).
    "speech16k": ModelConfig(),
    # The paper's 24 kHz model: strides 2*4*5*8 = 320 -> 75 Hz, 24 x 10 bits -> up to 18 kbps.
    "general24k": ModelConfig(name="general24k", sample_rate=24000, channels=32, strides=(2, 4, 5, 8)),
    # Tiny config for smoke tests and CI.
    "tiny": ModelConfig(name="tiny", channels=4, embedding_dim=16, num_quantizers=4, codebook_size=64),
}


@dataclass
class TrainConfig:
    """Training run settings (loaded from a TOML file; see configs/)."""

    preset: str = "speech16k"
    model: dict = field(default_factory=dict)  # overrides of the preset
    speech_dirs: list[str] = field(default_factory=lambda: ["/work/data/speech_train"])
    noise_dirs: list[str] = field(default_factory=lambda: ["/work/data/noise_train"])
    music_dirs: list[str] = field(default_factory=lambda: ["/work/data/music_train"])
    eval_dir: str = "/work/data/speech_heldout"
    batch_size: int = 8
    segment_seconds: float = 0.5
    steps: int = 200_000
    seed: int = 0
    lr_generator: float = 2e-4
    lr_discriminator: float = 2e-4
    adam_beta1: float = 0.5
    adam_beta2: float = 0.9
    warmup_steps: int = 500  # linear LR warm-up
    adversarial_start: int = 20_000  # reconstruction-only before this step
    discriminator_every: int = 1
    # Steps at the start of a run (step < d_warmup_steps) in which only the discriminators
    # train, on the frozen generator's output: fresh discriminators of a warm-started run
    # first learn to tell real from fake, so their first gradients do not knock the
    # generator back. The generator's LR warm-up starts after them.
    d_warmup_steps: int = 0
    mixed_bfloat16: bool = False
    noisy_prob: float = 0.5
    denoise_prob: float = 0.5
    kmeans_batches: int = 16
    kmeans_iters: int = 10
    rvq_decay: float = 0.99
    rvq_dead_threshold: float = 0.02  # EMA usage per step; mean usage is B*T/K ~ 0.2
    # > 0: a code is dead below this fraction of its stage's mean EMA usage instead
    # (quantizer dropout leaves the late stages few rows; models/rvq.py), e.g. 0.1
    rvq_dead_fraction: float = 0.0
    # int8-aware fine-tuning (models/fake_quant.py): round the encoder's / decoder's
    # activations to an 8-bit grid in training (0 = off), ranges = margin x the batch's;
    # see converter int8 (the decoder's is for --int8-decoder int8 / int8-float-out; it
    # cost the float model 0.1 ViSQOL in run r9, see the model card).
    encoder_fake_quant_bits: int = 0
    decoder_fake_quant_bits: int = 0
    fake_quant_margin: float = 2.0
    # Polyak averaging of the generator's trainable weights (models/weight_ema.py; 0 = off):
    # eval, export and ship use the average; updated every weight_ema_every steps.
    weight_ema_decay: float = 0.0
    weight_ema_every: int = 10
    # HiFi-GAN's multi-period discriminator: its periods in samples (models/discriminators.py
    # PeriodDiscriminator; [] = off), e.g. [2, 3, 5, 7, 11] as run r12
    mpd_periods: list[int] = field(default_factory=list)
    w_mel: float = 1.0
    # > 0: add the linear-frequency multi-resolution STFT loss (models/losses.py) with this weight
    w_stft: float = 0.0
    w_commit: float = 1.0
    w_adv: float = 1.0
    w_feat: float = 10.0
    checkpoint_every: int = 500
    # the run folder keeps its last 2 checkpoints, and (> 0) every checkpoint whose step is
    # a multiple of this, e.g. 1000: the milestones to compare and ship from (0 = none)
    keep_checkpoints_every: int = 0
    eval_every: int = 2000
    eval_clips: int = 4
    eval_seconds: float = 4.0
    visqol_in_eval: bool = True
    log_every: int = 25

    def model_config(self) -> ModelConfig:
        base = PRESETS[self.preset].to_dict()
        base.update(self.model)
        return ModelConfig.from_dict(base)

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        """Read a .toml or .json training config.

        A ``base = "other.toml"`` key (a path relative to this file) loads that file first and
        applies this file's keys on top; the ``[model]`` tables merge key by key. Bases chain;
        a cycle is an error.
        """
        d = _read_with_bases(Path(path), ())
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"{path}: unknown training config keys: {sorted(unknown)}")
        return cls(**d)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _read_with_bases(path: Path, seen: tuple) -> dict:
    """The config dict of ``path`` with its ``base`` chain resolved (see TrainConfig.load)."""
    if not path.is_file():
        raise FileNotFoundError(f"training config not found: {path}")
    key = path.resolve()
    if key in seen:
        chain = " -> ".join(str(p) for p in (*seen, key))
        raise ValueError(f"training config base cycle: {chain}")
    raw = path.read_bytes()
    d = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
    base = d.pop("base", None)
    if base is None:
        return d
    if not isinstance(base, str):
        raise ValueError(f"{path}: base must be a file name, got {base!r}")
    merged = _read_with_bases(path.parent / base, (*seen, key))
    model = {**merged.get("model", {}), **d.pop("model", {})}
    merged.update(d)
    if model:
        merged["model"] = model
    return merged

