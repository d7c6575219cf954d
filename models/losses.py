"""Training losses (SoundStream, Sec. 3.4) and the mel distance used in eval.

* :class:`MultiScaleMelLoss`: for windows s = 64 … 2048 (hop s/4),
  ``mean|M_s(x) - M_s(y)| + sqrt(s/2) * mean_t ||log M_s(x) - log M_s(y)||_2 / n_mels``.
* :class:`MultiResolutionSTFTLoss` (optional, ``w_stft``): spectral convergence + mean
  |log-magnitude| difference on linear-frequency STFT bins, which resolve the harmonics
  that 64 mel bands merge above ~1.5 kHz.
* hinge adversarial losses for D and G;
* feature matching: mean L1 distance of D activations, normalised by the
  mean magnitude of the real activation.

All inputs are audio ``[B, T]`` float; losses are float32 scalars.
"""

from __future__ import annotations

import numpy as np
from keras import ops


def mel_filterbank(sample_rate, n_fft, n_mels, fmin=0.0, fmax=None):
    """HTK-style triangular mel filters, float32 ``[n_fft // 2 + 1, n_mels]``."""
    fmax = fmax or sample_rate / 2

    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)

    bins = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    mels = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fb = np.zeros((n_fft // 2 + 1, n_mels), np.float32)
    for m in range(n_mels):
        lo, c, hi = mels[m], mels[m + 1], mels[m + 2]
        up = (bins - lo) / max(c - lo, 1e-9)
        down = (hi - bins) / max(hi - c, 1e-9)
        fb[:, m] = np.maximum(0.0, np.minimum(up, down))
    # guarantee every filter catches at least its nearest bin (tiny FFTs)
    for m in range(n_mels):
        if fb[:, m].sum() == 0:
            fb[np.argmin(np.abs(bins - mels[m + 1])), m] = 1.0
    return fb


def stft_magnitude(audio, w, eps):
    """audio [B, T] → |STFT| [B, frames, w // 2 + 1] (Hann window w, hop w/4, no padding;
    ``eps`` under the square root keeps the gradient finite at zero)."""
    re, im = ops.stft(ops.cast(audio, "float32"), w, w // 4, w, center=False)
    return ops.sqrt(re * re + im * im + eps)


def usable_windows(windows, n, what):
    """The windows that fit in ``n`` samples (static T; None = all); ValueError if none."""
    out = [w for w in windows if n is None or w <= n]
    if not out:
        raise ValueError(f"audio of {n} samples is shorter than every {what} window {windows}")
    return out


class MultiScaleMelLoss:
    def __init__(self, sample_rate, windows=(64, 128, 256, 512, 1024, 2048), n_mels=64, eps=1e-5):
        self.windows = windows
        self.eps = eps
        self.banks = {w: mel_filterbank(sample_rate, w, min(n_mels, w // 4)) for w in windows}

    def mel(self, audio, w):
        """audio [B, T] → mel magnitudes [B, frames, n_mels]."""
        return ops.matmul(stft_magnitude(audio, w, self.eps), self.banks[w])

    def __call__(self, x, y):
        """x, y: [B, T]; scales whose window exceeds T are skipped (static T)."""
        windows = usable_windows(self.windows, x.shape[-1], "mel")
        total = 0.0
        for w in windows:
            mx, my = self.mel(x, w), self.mel(y, w)
            l1 = ops.mean(ops.abs(mx - my))
            dlog = ops.log(mx + self.eps) - ops.log(my + self.eps)
            l2 = ops.mean(ops.sqrt(ops.sum(dlog * dlog, axis=-1) + 1e-8)) / self.banks[w].shape[1] ** 0.5
            total = total + l1 + (w / 2) ** 0.5 * l2 / 4.0
        return total / len(windows)


class MultiResolutionSTFTLoss:
    """Linear-frequency STFT magnitude loss at several resolutions (window w, hop w/4):
    ``||X| - |Y||_F / ||X||_F + mean|log|X| - log|Y||``, averaged over the windows.

    The mel loss's 64 bands are ~100–200 Hz wide above 1.5 kHz, as wide as the harmonic
    spacing of speech, so it cannot see whether harmonics there are right; ViSQOL (which
    compares magnitude spectrograms and ignores phase) and PESQ do. x, y: [B, T] float;
    returns a float32 scalar."""

    def __init__(self, windows=(512, 1024, 2048), eps=1e-5):
        self.windows = windows
        self.eps = eps

    def __call__(self, x, y):
        windows = usable_windows(self.windows, x.shape[-1], "STFT")
        total = 0.0
        for w in windows:
            mx, my = stft_magnitude(x, w, self.eps), stft_magnitude(y, w, self.eps)
            sc = ops.sqrt(ops.sum(ops.square(mx - my))) / (ops.sqrt(ops.sum(ops.square(mx))) + 1e-7)
            total = total + sc + ops.mean(ops.abs(ops.log(mx) - ops.log(my)))
        return total / len(windows)


def log_mel_distance(x, y, sample_rate, w=1024, n_mels=64):
    """Mean absolute log-mel difference (eval metric, lower is better); numpy in/out."""
    loss = MultiScaleMelLoss(sample_rate, windows=(w,), n_mels=n_mels)
    mx = ops.convert_to_numpy(loss.mel(np.asarray(x)[None], w))
    my = ops.convert_to_numpy(loss.mel(np.asarray(y)[None], w))
    return float(np.mean(np.abs(np.log(mx + 1e-5) - np.log(my + 1e-5))))


def d_hinge_loss(real_outs, fake_outs):
    loss = 0.0
    for (lr, _), (lf, _) in zip(real_outs, fake_outs):
        loss = loss + ops.mean(ops.relu(1.0 - ops.cast(lr, "float32"))) + ops.mean(
            ops.relu(1.0 + ops.cast(lf, "float32"))
        )
    return loss / len(real_outs)


def g_hinge_loss(fake_outs):
    loss = 0.0
    for lf, _ in fake_outs:
        loss = loss + ops.mean(ops.relu(1.0 - ops.cast(lf, "float32")))
    return loss / len(fake_outs)


def feature_matching_loss(real_outs, fake_outs):
    loss, n = 0.0, 0
    for (_, fr), (_, ff) in zip(real_outs, fake_outs):
        for a, b in zip(fr, ff):
            a = ops.stop_gradient(ops.cast(a, "float32"))
            b = ops.cast(b, "float32")
            loss = loss + ops.mean(ops.abs(a - b)) / (ops.mean(ops.abs(a)) + 1e-5)
            n += 1
    return loss / n
