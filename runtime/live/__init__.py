"""Live audio around the native scheduler: ``sscodec loopback``.

Microphone -> :class:`sscodec.StreamingCodec` (native worker thread: encoder,
RVQ, packetizer) -> :class:`~sscodec.live.channel.PacketChannel` (simulated
loss / jitter) -> the same codec's decoder side -> speaker, in real time.

Modules, one job each:

* :mod:`~sscodec.live.control` -- ``bitrate=3k`` / ``denoise=on`` commands
  and the ``--script "t=2:bitrate=3k,t=4:denoise=on"`` schedule;
* :mod:`~sscodec.live.channel` -- the packet path between encoder and
  decoder (Gilbert loss, per-packet jitter, fixed jitter buffer);
* :mod:`~sscodec.live.devices` -- PortAudio (sounddevice) import, device
  listing and selection, sample-rate choice, clear errors;
* :mod:`~sscodec.live.fifo` -- the playback sample FIFO;
* :mod:`~sscodec.live.recorder` -- streaming WAV writer (``--record``);
* :mod:`~sscodec.live.engine` -- the full-duplex audio callback, resampling,
  the playout buffer and end-to-end latency accounting;
* :mod:`~sscodec.live.meter` -- the one-line live meter and the summary.

Importing this package does not import sounddevice (PortAudio enumerates
devices at import time); :func:`sscodec.live.devices.load_sounddevice` does.
"""
