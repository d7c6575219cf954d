"""Write a layer once, run it offline, frame by frame, or converted.

Every layer that keeps history in streaming mode is a :class:`StreamingLayer`.
It declares its state in ONE place, :meth:`StreamingLayer.state_spec`, and
implements ONE computation, :meth:`StreamingLayer.forward_with_history`, over
``concat(history, x)``.  The two modes differ only in where the history comes
from:

* offline (``layer(x)``): the history is zeros (causal left padding), the
  whole signal is processed at once;
* streaming (``layer.step(x, state)``): the history is the ``state`` tensor
  carried from the previous chunk, and the new state is the last
  ``history`` time steps of ``concat(state, x)``.

Because a zero initial state is exactly the zero padding, offline and
streaming outputs are identical (up to float rounding of the conv kernels).

Composite modules (residual units, encoder, decoder) are written once as
``forward(x, cursor)``.  With ``cursor=None`` leaves run offline; with a
:class:`StateCursor` each stateful leaf takes the next state and pushes its
new state, so the order of states is the order of the leaves in ``forward``.

Tensor layout everywhere: ``[batch, time, channels]`` (channels-last).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import ops


@dataclass(frozen=True)
class StateSpec:
    """Shape of one state tensor, per example.

    Attributes:
        name: unique, human-readable path of the owning layer.
        length: number of past time steps kept (at the layer's input rate).
        channels: channels of the layer's input.
    The full tensor is ``[batch, length, channels]`` float32, zero at stream start.
    It advances by dropping the oldest ``T`` steps and appending the ``T`` steps
    of each new input chunk.
    """

    name: str
    length: int
    channels: int

    @property
    def shape(self) -> tuple[int, int]:
        return (self.length, self.channels)


class StateCursor:
    """Hands states to stateful leaves in call order and collects new states."""

    def __init__(self, states):
        self._states = list(states)
        self._pos = 0
        self.new_states = []

    def take(self, layer):
        if self._pos >= len(self._states):
            raise ValueError(
                f"streaming step got {len(self._states)} states but the model needs more"
            )
        state = self._states[self._pos]
        self._pos += 1
        return state

    def put(self, state):
        self.new_states.append(state)

    def finish(self):
        if self._pos != len(self._states):
            raise ValueError(
                f"streaming step got {len(self._states)} states, model used {self._pos}"
            )
        return self.new_states


class SpecCursor(StateCursor):
    """Dry-run cursor: records each leaf's :class:`StateSpec`, feeds zero states."""

    def __init__(self, batch_size=1):
        super().__init__([])
        self.batch_size = batch_size
        self.specs = []

    def take(self, layer):
        spec = layer.state_spec()
        self.specs.append(spec)
        return ops.zeros((self.batch_size, spec.length, spec.channels), dtype="float32")

    def finish(self):
        return self.new_states


def run_leaf(layer, x, cursor):
    """Run a stateful leaf offline (cursor None) or one streaming step."""
    if cursor is None:
        return layer(x)
    if not layer.built:
        layer.build(x.shape)
    if layer.history == 0:  # memoryless (e.g. 1x1 conv): no state tensor
        return layer.forward_with_history(x)
    y, new_state = layer.step(x, cursor.take(layer))
    cursor.put(new_state)
    return y


def run_module(module, x, cursor, **kwargs):
    """Run a sub-:class:`StreamingModule` offline (through ``__call__``, so its
    weights are created under its own name scope) or one streaming step."""
    if cursor is None:
        return module(x, **kwargs)
    return module.forward(x, cursor, **kwargs)


class StreamingLayer(keras.layers.Layer):
    """Base class of layers whose output depends on past input.

    Subclasses set ``self.history`` (time steps) and ``self.in_channels`` in
    ``build`` and implement ``forward_with_history(xh)`` where ``xh`` is
    ``[B, history + T, C_in]``.
    """

    history: int = 0

    def state_spec(self) -> StateSpec:
        return StateSpec(self.path, self.history, self.in_channels)

    def forward_with_history(self, xh):  # pragma: no cover - abstract
        raise NotImplementedError

    def call(self, x):
        if self.history:
            x = ops.pad(x, [[0, 0], [self.history, 0], [0, 0]])
        return self.forward_with_history(x)

    def step(self, x, state):
        """One streaming chunk. x: [B, T, C_in]; state: [B, history, C_in]."""
        if not self.history:
            return self.forward_with_history(x), state
        xh = ops.concatenate([ops.cast(state, x.dtype), x], axis=1)
        new_state = xh[:, -self.history :, :]
        return self.forward_with_history(xh), new_state


class CausalConv1D(StreamingLayer):
    """Causal 1-D convolution (no lookahead).

    Input ``[B, T, C_in]`` → output ``[B, T // stride, filters]``; ``T`` must be
    a multiple of ``stride``. History = ``(kernel-1)*dilation + 1 - stride``
    samples, so output ``j`` sees inputs up to ``j*stride + stride - 1``.
    """

    def __init__(self, filters, kernel_size, stride=1, dilation=1, use_bias=True, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.kernel_initializer = kernel_initializer
        if stride > 1 and dilation > 1:
            raise ValueError("stride and dilation cannot both exceed 1")
        self.filters = filters
        self.kernel_size = kernel_size
        self.stride = stride
        self.dilation = dilation
        self.use_bias = use_bias
        self.history = (kernel_size - 1) * dilation + 1 - stride
        if self.history < 0:
            raise ValueError("kernel_size must be >= stride")

    def build(self, input_shape):
        self.in_channels = int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, self.in_channels, self.filters),
            initializer=self.kernel_initializer,
        )
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        self.built = True

    def forward_with_history(self, xh):
        y = ops.conv(
            xh,
            ops.cast(self.kernel, xh.dtype),
            strides=self.stride,
            padding="valid",
            dilation_rate=self.dilation,
        )
        if self.use_bias:
            y = y + ops.cast(self.bias, y.dtype)
        return y

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "dilation": self.dilation,
            "use_bias": self.use_bias,
        }


class CausalUpsample(StreamingLayer):
    """Causal learned upsampling by an integer factor (sub-pixel 1-D conv).

    A causal conv at the low rate produces ``factor * filters`` channels which
    are reshaped to ``factor`` consecutive output samples:
    ``[B, T, C_in]`` → ``[B, T*factor, filters]``. Equivalent in receptive field
    to a transposed conv with kernel ``kernel_size*factor`` but with no overlap-add
    state, and it maps to plain CONV_2D + RESHAPE ops in TFLite (int8-friendly).
    """

    def __init__(self, filters, factor, kernel_size=2, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.factor = factor
        self.kernel_size = kernel_size
        self.conv = CausalConv1D(filters * factor, kernel_size, kernel_initializer=self._icnr, name="conv")
        self.history = self.conv.history

    def build(self, input_shape):
        self.in_channels = int(input_shape[-1])
        self.conv.build(input_shape)
        self.built = True

    def _icnr(self, shape, dtype=None):
        """ICNR initialisation (Aitken et al., 2017): all ``factor`` output phases
        start with the same kernel (= nearest-neighbour upsampling then a conv),
        so training starts free of checkerboard (Nyquist) tones."""
        k, cin, _ = shape
        base = keras.initializers.GlorotUniform()((k, cin, self.filters), dtype=dtype)
        return ops.tile(base, (1, 1, self.factor))

    def forward_with_history(self, xh):
        y = self.conv.forward_with_history(xh)
        b = ops.shape(y)[0]
        t = ops.shape(y)[1]
        return ops.reshape(y, (b, t * self.factor, self.filters))

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "factor": self.factor,
            "kernel_size": self.kernel_size,
        }


class StreamingModule(keras.layers.Layer):
    """A composite written once as ``forward(x, cursor, **kw)``.

    ``call`` runs it offline; ``step`` runs one streaming chunk with explicit
    state tensors in the order returned by :meth:`state_specs`.
    """

    def forward(self, x, cursor, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def build(self, input_shape):
        """Create sub-layer weights by one offline pass over a chunk of zeros."""
        chunk = tuple(d if d is not None else 1 for d in input_shape[1:])
        self.forward(ops.zeros((1, *chunk), dtype=self.compute_dtype), None)
        self.built = True

    def call(self, x, flag=None, fq=None):
        """Offline. ``fq``: training-time fake quantizer, passed on only when given
        (modules that support it: the encoder and its residual units)."""
        kwargs = {"fq": fq} if fq is not None else {}
        return self.forward(x, None, flag=flag, **kwargs)

    def step(self, x, states, **kwargs):
        """x: one chunk; states: list of tensors. Returns (y, new_states)."""
        cursor = StateCursor(states)
        y = self.forward(x, cursor, **kwargs)
        return y, cursor.finish()

    def state_specs(self, chunk_shape, **kwargs):
        """States of one stream, in ``step`` order, found by a dry run.

        chunk_shape: per-example shape of one input chunk, e.g. ``(320, 1)``.
        """
        cursor = SpecCursor()
        self.forward(ops.zeros((1, *chunk_shape)), cursor, **kwargs)
        return cursor.specs

    def initial_states(self, chunk_shape, batch_size=1, **kwargs):
        return [
            ops.zeros((batch_size, s.length, s.channels), dtype="float32")
            for s in self.state_specs(chunk_shape, **kwargs)
        ]
