"""Read the operator list of a ``.tflite`` flatbuffer (no interpreter needed).

Used to prove that converted graphs contain no Flex / Select-TF ops (custom
ops named ``Flex…``) and to report op counts per graph.
"""

from __future__ import annotations

from collections import Counter


def _builtin_names():
    from ai_edge_litert import schema_py_generated as schema

    return {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


def op_list(flatbuffer: bytes) -> list[str]:
    """Names of every operator in every subgraph, in order (custom ops by their custom code)."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(bytearray(flatbuffer), 0)
    names = _builtin_names()
    codes = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        if code == schema.BuiltinOperator.CUSTOM:
            codes.append("CUSTOM:" + (oc.CustomCode() or b"").decode())
        else:
            codes.append(names.get(code, f"BUILTIN_{code}"))
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
