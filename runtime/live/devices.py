"""Audio devices through PortAudio (the ``sounddevice`` package): import with
clear errors, listing, selection by index or name, sample-rate and channel
choice for one full-duplex stream.

PortAudio enumerates devices when sounddevice is imported, so a sound server
started later (e.g. PulseAudio) is only seen by a new process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

__all__ = ["AudioDeviceError", "DeviceChoice", "load_sounddevice", "format_devices", "find_devices", "choose_devices"]

HEADLESS_HINT = (
    "Connect a sound card or start a sound server (without hardware, a PulseAudio null sink "
    "works: see 'Live loopback' in the README); 'sscodec loopback --list-devices' shows what "
    "PortAudio sees."
)


class AudioDeviceError(RuntimeError):
    """No usable audio device (or no PortAudio): the message says what to do."""


def load_sounddevice():
    """Import sounddevice (PortAudio); :class:`AudioDeviceError` if either is missing."""
    try:
        import sounddevice as sd
    except ImportError as e:
        if "sounddevice" in str(e):
            raise AudioDeviceError("the Python package 'sounddevice' is not installed "
                                   "(pip install sounddevice, or pip install 'sscodec[live]')") from None
        raise
    except OSError as e:  # sounddevice raises OSError when libportaudio is absent
        raise AudioDeviceError(f"the PortAudio library could not be loaded ({e}); install it "
                               f"(Debian/Ubuntu: apt-get install libportaudio2)") from None
    return sd


def format_devices(sd) -> str:
    """A table of every PortAudio device (``>`` default input, ``<`` default output)."""
    devs = sd.query_devices()
    if len(devs) == 0:
        return "no audio devices found by PortAudio.\n" + HEADLESS_HINT
    apis = sd.query_hostapis()
    din, dout = sd.default.device
    lines = [" #  name                            host API    in  out  default rate"]
    for d in devs:
        mark = (">" if d["index"] == din else " ") + ("<" if d["index"] == dout else " ")
        lines.append(f"{mark}{d['index']:2d} {d['name'][:31]:31s} {apis[d['hostapi']]['name'][:10]:10s} "
                     f"{d['max_input_channels']:3d} {d['max_output_channels']:4d}  {d['default_samplerate']:8.0f} Hz")
    lines.append("> default input, < default output")
    return "\n".join(lines)


def _find(sd, spec: Optional[str], kind: str) -> int:
    """Device index for ``spec`` (None: the default; a number: that index; else
    a case-insensitive name substring) that has ``kind`` ("input"/"output") channels."""
    devs = list(sd.query_devices())
    key = f"max_{kind}_channels"
    usable = [d for d in devs if d[key] > 0]
    if not usable:
        raise AudioDeviceError(f"no audio {kind} device: PortAudio found "
                               f"{'no devices at all' if not devs else 'none with ' + kind + ' channels'}. "
                               + HEADLESS_HINT)
    if spec is None:
        idx = sd.default.device[0 if kind == "input" else 1]
        if idx is not None and 0 <= idx < len(devs) and devs[idx][key] > 0:
            return int(idx)
        return int(usable[0]["index"])
    s = str(spec).strip()
    if s.isdigit():
        i = int(s)
        if not 0 <= i < len(devs):
            raise AudioDeviceError(f"no audio device #{i} (there are {len(devs)}; see --list-devices)")
        if devs[i][key] == 0:
            raise AudioDeviceError(f"device #{i} ({devs[i]['name']}) has no {kind} channels (see --list-devices)")
        return i
    exact = [d for d in usable if d["name"].lower() == s.lower()]
    hits = exact or [d for d in usable if s.lower() in d["name"].lower()]
    if not hits:
        raise AudioDeviceError(f"no {kind} device matches {s!r} (see --list-devices)")
    if len(hits) > 1:
        names = ", ".join(f"#{d['index']} {d['name']}" for d in hits)
        raise AudioDeviceError(f"{s!r} matches several {kind} devices ({names}); give the number")
    return int(hits[0]["index"])


def find_devices(sd, input_spec: Optional[str], output_spec: Optional[str]):
    """(input index, output index) for the specs (None: the defaults);
    :class:`AudioDeviceError` if either does not exist."""
    return _find(sd, input_spec, "input"), _find(sd, output_spec, "output")


@dataclass(frozen=True)
class DeviceChoice:
    """One full-duplex stream's devices (PortAudio indices and names), sample
    rate (Hz) and channel counts (the codec uses channel 0 / writes every channel)."""

    input: int
    output: int
    input_name: str
    output_name: str
    sample_rate: int
    input_channels: int
    output_channels: int


def _channels(sd, idx: int, kind: str, rate: int) -> int:
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    maxc = sd.query_devices(idx)[f"max_{kind}_channels"]
    for ch in dict.fromkeys((1, min(2, maxc), maxc)):
        try:
            check(device=idx, channels=ch, samplerate=rate, dtype="float32")
            return ch
        except Exception:  # noqa: BLE001 - PortAudioError or ValueError: try the next count
            continue
    raise AudioDeviceError(f"{kind} device #{idx} ({sd.query_devices(idx)['name']}) accepts no "
                           f"float32 stream at {rate} Hz")


def _supports(sd, i: int, o: int, rate: int) -> bool:
    try:
        _channels(sd, i, "input", rate)
        _channels(sd, o, "output", rate)
        return True
    except AudioDeviceError:
        return False


def choose_devices(sd, input_spec: Optional[str], output_spec: Optional[str], model_rate: int,
                   rate: Optional[int] = None) -> DeviceChoice:
    """Pick devices and one sample rate for both: ``rate`` if given (error if a
    device refuses it), else the model's rate when both devices take it (no
    resampling on our side), else the output device's default rate (then the
    engine resamples with soxr)."""
    i, o = find_devices(sd, input_spec, output_spec)
    di, do = sd.query_devices(i), sd.query_devices(o)
    if di["hostapi"] != do["hostapi"]:
        raise AudioDeviceError(f"input #{i} and output #{o} belong to different host APIs; a full-duplex "
                               f"stream needs both on one (see --list-devices)")
    if rate is not None:
        if not _supports(sd, i, o, int(rate)):
            raise AudioDeviceError(f"devices #{i} ({di['name']}) / #{o} ({do['name']}) do not accept {rate} Hz; "
                                   f"leave out --rate to use the device's own rate")
        sr = int(rate)
    else:
        candidates = [model_rate, int(do["default_samplerate"]), int(di["default_samplerate"]), 48000, 44100]
        sr = next((r for r in dict.fromkeys(candidates) if _supports(sd, i, o, r)), None)
        if sr is None:
            raise AudioDeviceError(f"devices #{i} ({di['name']}) / #{o} ({do['name']}) accept none of "
                                   f"{', '.join(str(r) for r in dict.fromkeys(candidates))} Hz")
    return DeviceChoice(i, o, di["name"], do["name"], sr, _channels(sd, i, "input", sr),
                        _channels(sd, o, "output", sr))
