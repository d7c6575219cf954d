"""Run-time controls of the live loopback: parse ``bitrate=3k`` / ``denoise=on``
commands (typed on stdin) and the ``--script`` schedule.

Command syntax (case-insensitive, one per line on stdin)::

    bitrate=3k   b=3k   3k   6000     set the code bitrate (bits per second)
    denoise=on   denoise=off   d      encoder-side denoiser on / off / toggle
    loss=0.1                          simulated packet-loss rate (0..1)
    quit   q                          stop

Script syntax: comma-separated ``t=SECONDS:ACTION[:ACTION...]`` entries, e.g.
``"t=2:bitrate=3k,t=4:denoise=on"``; SECONDS is audio time since the start
of capture. Parsing only checks syntax; whether a bitrate exists for the
model is checked by the caller (it knows the model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Union

__all__ = ["Action", "ScheduledAction", "parse_action", "parse_script", "ControlError"]

Value = Union[int, float, bool, None]


class ControlError(ValueError):
    """A command or script entry that cannot be parsed (message says why)."""


@dataclass(frozen=True)
class Action:
    """One control change. key: ``"bitrate"`` (value: bps, int),
    ``"denoise"`` (True / False, or None = toggle), ``"loss"`` (float in
    [0, 1)) or ``"quit"`` (value None)."""

    key: str
    value: Value = None

    def describe(self) -> str:
        if self.key == "bitrate":
            return f"bitrate={self.value}"
        if self.key == "denoise":
            return "denoise=" + ("toggle" if self.value is None else ("on" if self.value else "off"))
        if self.key == "loss":
            return f"loss={self.value:g}"
        return self.key


@dataclass(frozen=True)
class ScheduledAction:
    """An :class:`Action` due at ``t`` seconds of captured audio."""

    t: float
    action: Action


_ON = {"on", "1", "true", "yes"}
_OFF = {"off", "0", "false", "no"}


def _bitrate(text: str) -> int:
    from sscodec.codec import parse_bitrate

    try:
        return parse_bitrate(text)
    except ValueError as e:
        raise ControlError(str(e)) from None


def parse_action(text: str) -> Optional[Action]:
    """One command -> :class:`Action`; None for an empty line.
    Raises :class:`ControlError` for anything else."""
    s = text.strip().lower()
    if not s:
        return None
    if s in ("q", "quit", "exit", "stop"):
        return Action("quit")
    if s == "d":
        return Action("denoise", None)
    if "=" not in s:
        if re.fullmatch(r"[0-9]*\.?[0-9]+\s*(k|kb|kbps|bps)?", s):
            return Action("bitrate", _bitrate(s))
        raise ControlError(f"unknown command {text.strip()!r} (try bitrate=3k, denoise=on, loss=0.1, quit)")
    key, _, val = (p.strip() for p in s.partition("="))
    if key in ("bitrate", "b", "rate"):
        return Action("bitrate", _bitrate(val))
    if key in ("denoise", "dn"):
        if val in _ON:
            return Action("denoise", True)
        if val in _OFF:
            return Action("denoise", False)
        raise ControlError(f"denoise must be on or off, got {val!r}")
    if key in ("loss", "loss-rate", "loss_rate"):
        try:
            p = float(val)
        except ValueError:
            raise ControlError(f"loss must be a number in [0, 1), got {val!r}") from None
        if not 0.0 <= p < 1.0:
            raise ControlError(f"loss must be in [0, 1), got {p:g}")
        return Action("loss", p)
    raise ControlError(f"unknown setting {key!r} (bitrate, denoise, loss)")


def parse_script(text: str) -> List[ScheduledAction]:
    """``"t=2:bitrate=3k,t=4:denoise=on"`` -> actions sorted by time."""
    out: List[ScheduledAction] = []
    for entry in (e.strip() for e in (text or "").split(",")):
        if not entry:
            continue
        parts = [p.strip() for p in entry.split(":")]
        m = re.fullmatch(r"t\s*=\s*([0-9]*\.?[0-9]+)\s*s?", parts[0].lower())
        if not m or len(parts) < 2:
            raise ControlError(f"bad script entry {entry!r}: expected t=SECONDS:ACTION, e.g. t=2:bitrate=3k")
        t = float(m.group(1))
        for p in parts[1:]:
            a = parse_action(p)
            if a is None:
                raise ControlError(f"bad script entry {entry!r}: empty action")
            out.append(ScheduledAction(t, a))
    out.sort(key=lambda s: s.t)
    return out
