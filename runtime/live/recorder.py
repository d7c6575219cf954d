"""Streaming mono WAV recorder for the audio callback (``--record``): the
callback hands over blocks without waiting (a queue), a writer thread appends
them to ``<path>.part`` with soundfile, and :meth:`close` renames it to the
final path (nothing appears under that name if recording failed)."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path
from typing import Optional

import numpy as np

__all__ = ["WavRecorder"]


class WavRecorder:
    """path: ``.wav`` (16-bit PCM) or ``.flac``; sample_rate in Hz."""

    def __init__(self, path, sample_rate: int):
        import soundfile as sf

        self.path = Path(path)
        ext = self.path.suffix.lower()
        if ext not in (".wav", ".flac"):
            raise ValueError(f"{self.path}: record to .wav or .flac")
        self._tmp = self.path.with_name(self.path.name + ".part")
        self._file = sf.SoundFile(self._tmp, "w", samplerate=int(sample_rate), channels=1,
                                  format="WAV" if ext == ".wav" else "FLAC", subtype="PCM_16")
        self.sample_rate = int(sample_rate)
        self.samples = 0
        self.error: Optional[BaseException] = None
        self._q: "queue.SimpleQueue[Optional[np.ndarray]]" = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sscodec-recorder", daemon=True)
        self._thread.start()

    def write(self, block) -> None:
        """Queue a copy of a 1-D block (safe to call from the audio callback)."""
        self._q.put(np.array(block, dtype=np.float32, copy=True).reshape(-1))

    def _run(self) -> None:
        while True:
            b = self._q.get()
            if b is None:
                return
            if self.error is None:
                try:
                    self._file.write(np.clip(b, -1.0, 1.0))
                    self.samples += len(b)
                except BaseException as e:  # noqa: BLE001 - reported by close()
                    self.error = e

    def close(self) -> Path:
        """Finish writing and move the file into place; raises the writer's error."""
        self._q.put(None)
        self._thread.join()
        self._file.close()
        if self.error is not None:
            self._tmp.unlink(missing_ok=True)
            raise self.error
        os.replace(self._tmp, self.path)
        return self.path
