"""Read the operator list of a ``.tflite`` flatbuffer (no interpreter needed).

Used to prove that converted graphs contain no Flex / Select-TF ops (custom
ops named ``Flex…``) and to report op counts per graph.
"""

from __future__ import annotations

from collections import Counter


def _builtin_names():
    from ai_edge_litert import schema_py_generated as schema

    return {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


def _op_codes(model) -> list[str]:
    """Operator name of each of the model's operator codes (custom ops as ``CUSTOM:<code>``)."""
    from ai_edge_litert import schema_py_generated as schema

    names = _builtin_names()
    codes = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        if code == schema.BuiltinOperator.CUSTOM:
            codes.append("CUSTOM:" + (oc.CustomCode() or b"").decode())
        else:
            codes.append(names.get(code, f"BUILTIN_{code}"))
    return codes


def op_list(flatbuffer: bytes) -> list[str]:
    """Names of every operator in every subgraph, in order (custom ops by their custom code)."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(bytearray(flatbuffer), 0)
    codes = _op_codes(model)
    ops = []
    for s in range(model.SubgraphsLength()):
        sg = model.Subgraphs(s)
        for j in range(sg.OperatorsLength()):
            ops.append(codes[sg.Operators(j).OpcodeIndex()])
    return ops


def op_counts(flatbuffer: bytes) -> dict[str, int]:
    return dict(sorted(Counter(op_list(flatbuffer)).items()))


def flex_ops(flatbuffer: bytes) -> list[str]:
    return sorted({o for o in op_list(flatbuffer) if o.startswith("CUSTOM:Flex") or o.startswith("CUSTOM:")})


def assert_no_flex(flatbuffer: bytes, what: str = "graph"):
    bad = flex_ops(flatbuffer)
    if bad:
        from .convert import ConversionError

        raise ConversionError(f"{what}: contains Flex/custom ops {bad}; only TFLite builtins are allowed")


def _tensor_ops(flatbuffer: bytes):
    """(ops, tensors, signature outputs) of subgraph 0: ops as (name, [input ids], [output
    ids]), tensors as (name, is_float32), outputs as {signature name: tensor id}."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(bytearray(flatbuffer), 0)
    codes = _op_codes(model)
    sg = model.Subgraphs(0)
    tensors = [(sg.Tensors(i).Name().decode(), sg.Tensors(i).Type() == schema.TensorType.FLOAT32)
               for i in range(sg.TensorsLength())]
    ops = []
    for j in range(sg.OperatorsLength()):
        op = sg.Operators(j)
        ops.append((codes[op.OpcodeIndex()], [int(x) for x in op.InputsAsNumpy()], [int(x) for x in op.OutputsAsNumpy()]))
    outputs = {}
    if model.SignatureDefsLength():
        sd = model.SignatureDefs(0)
        outputs = {sd.Outputs(k).Name().decode(): sd.Outputs(k).TensorIndex() for k in range(sd.OutputsLength())}
    return ops, tensors, outputs


def output_layer_nodes(flatbuffer: bytes, output: str, layer_op: str = "CONV_2D") -> list[str]:
    """Names (output tensor names, as the TFLite quantizer knows its nodes) of the ops
    from signature output ``output`` back to the ``layer_op`` that computes it, through
    reshapes; e.g. ['PartitionedCall:0', '…convolution_29…'] for the decoder's audio."""
    ops, tensors, outputs = _tensor_ops(flatbuffer)
    if output not in outputs:
        raise ValueError(f"graph has no output {output!r} (has {sorted(outputs)})")
    producer = {o: op for op in ops for o in op[2]}
    t, chain = outputs[output], []
    while t in producer:
        name, inputs, outs = producer[t]
        chain.append(tensors[outs[0]][0])
        if name == layer_op:
            return chain
        if name not in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
            break
        t = inputs[0]
    raise ValueError(f"output {output!r} is not computed by a {layer_op} (through reshapes)")


def float_compute_nodes(flatbuffer: bytes) -> list[str]:
    """Output tensor names of the ops that compute in float32 (every op with a float32
    output except DEQUANTIZE, which only converts int8 back at the graph boundary)."""
    ops, tensors, _ = _tensor_ops(flatbuffer)
    return [tensors[outs[0]][0] for name, _, outs in ops if outs and tensors[outs[0]][1] and name != "DEQUANTIZE"]
