// pybind11 bindings of the native core: sscodec._native.
//
// Every core Status that is not OK becomes sscodec._native.Error (a
// RuntimeError) whose message starts with the code name and whose `.code`
// attribute is that name ("NOT_FOUND", "SHAPE_MISMATCH", ...). Graph execution
// (Runner.run, LyraV2Chain.process*) releases the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "environment.h"
#include "litert_loader.h"
#include "lyra_v2.h"
#include "model.h"
#include "signature_runner.h"
#include "status.h"

#ifndef SSCODEC_VERSION
#define SSCODEC_VERSION "0.0.0"
#endif

namespace py = pybind11;
using namespace sscodec;  // NOLINT

namespace sscodec_py {
void Bind(py::module_& m);  // python_codec.cc: Codec (C API), ConcealmentPolicy
}

namespace {

struct NativeError : std::exception {
  StatusCode code;
  std::string message;
  NativeError(StatusCode c, std::string m) : code(c), message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

PyObject* g_error_type = nullptr;

[[noreturn]] void Throw(const Status& s) { throw NativeError(s.code(), s.ToString()); }
void Check(const Status& s) {
  if (!s.ok()) Throw(s);
}
template <typename T>
T Unwrap(StatusOr<T>&& v) {
  if (!v.ok()) Throw(v.status());
  return std::move(v).value();
}

py::object NumpyDType(DType t) {
  if (t == DType::kUnknown || t == DType::kBFloat16) return py::none();
  return py::module_::import("numpy").attr("dtype")(DTypeName(t));
}

DType DTypeOfArray(const py::array& a) {
  static const std::pair<const char*, DType> kNames[] = {
      {"float32", DType::kFloat32}, {"float16", DType::kFloat16}, {"float64", DType::kFloat64},
      {"int8", DType::kInt8},       {"int16", DType::kInt16},     {"int32", DType::kInt32},
      {"int64", DType::kInt64},     {"uint8", DType::kUInt8},     {"uint16", DType::kUInt16},
      {"uint32", DType::kUInt32},   {"uint64", DType::kUInt64},   {"bool", DType::kBool},
  };
  for (const auto& [name, t] : kNames) {
    if (a.dtype().is(py::dtype(name))) return t;
  }
  return DType::kUnknown;
}

std::string ArrayDTypeName(const py::array& a) {
  return py::str(a.dtype()).cast<std::string>();
}

py::tuple ShapeTuple(const std::vector<int32_t>& shape) {
  py::tuple t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) t[i] = shape[i];
  return t;
}

CompileOptions MakeOptions(int num_threads, const std::string& kernels, long long flags) {
  CompileOptions o;
  o.num_threads = num_threads;
  if (kernels == "xnnpack") {
    o.kernels = CpuKernels::kXnnpack;
  } else if (kernels == "builtin") {
    o.kernels = CpuKernels::kBuiltin;
  } else if (kernels == "reference") {
    o.kernels = CpuKernels::kReference;
  } else {
    Throw(Status(StatusCode::kInvalidArgument,
                 "kernels must be 'xnnpack', 'builtin' or 'reference', got '" + kernels + "'"));
  }
  o.xnnpack_flags = flags;
  return o;
}

// Python-side runner: keeps arrays bound zero-copy alive.
struct PyRunner {
  std::unique_ptr<SignatureRunner> runner;
  std::vector<py::object> bound_inputs;
  std::vector<py::object> bound_outputs;

  size_t Index(const py::handle& key, bool input) const {
    const size_t n = input ? runner->num_inputs() : runner->num_outputs();
    if (py::isinstance<py::str>(key)) {
      const std::string name = key.cast<std::string>();
      return Unwrap(input ? runner->InputIndex(name) : runner->OutputIndex(name));
    }
    if (py::isinstance<py::int_>(key)) {
      long long i = key.cast<long long>();
      if (i < 0 || static_cast<size_t>(i) >= n) {
        Throw(Status(StatusCode::kInvalidArgument,
                     std::string(input ? "input" : "output") + " index " + std::to_string(i) +
                         " out of range (" + std::to_string(n) + ")"));
      }
      return static_cast<size_t>(i);
    }
    Throw(Status(StatusCode::kInvalidArgument, "tensor key must be a name (str) or an index (int)"));
  }

  const TensorInfo& Info(size_t i, bool input) const {
    return input ? runner->info().inputs[i] : runner->info().outputs[i];
  }

  // numpy view of the memory bound to a tensor (no copy); keeps `self` alive.
  py::array View(py::object self, size_t i, bool input, bool writable) const {
    const TensorInfo& t = Info(i, input);
    void* data = input ? runner->input_data(i) : runner->output_data(i);
    std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
    py::array a(py::dtype(DTypeName(t.dtype)), shape, data, self);
    if (!writable) {
      a.attr("flags").attr("writeable") = false;
    }
    return a;
  }

  // Converts `value` to a C-contiguous array with the tensor's dtype/shape.
  // numpy arrays must match exactly (TYPE_MISMATCH / SHAPE_MISMATCH); Python
  // scalars and lists are converted to the tensor's dtype.
  py::array Validated(size_t i, const py::object& value, bool input) const {
    const TensorInfo& t = Info(i, input);
    const char* kind = input ? "input" : "output";
    py::array arr;
    if (py::isinstance<py::array>(value) || py::hasattr(value, "__array_interface__")) {
      arr = py::array::ensure(value);
      if (!arr) Throw(Status(StatusCode::kInvalidArgument, "cannot convert value to an array"));
      if (DTypeOfArray(arr) != t.dtype) {
        Throw(Status(StatusCode::kTypeMismatch,
                     std::string(kind) + " '" + t.name + "' of signature '" +
                         runner->info().key + "' expects dtype " + DTypeName(t.dtype) +
                         ", got " + ArrayDTypeName(arr)));
      }
    } else {
      arr = py::module_::import("numpy").attr("asarray")(value, py::dtype(DTypeName(t.dtype)));
    }
    std::vector<int64_t> shape(arr.shape(), arr.shape() + arr.ndim());
    std::vector<int64_t> want(t.shape.begin(), t.shape.end());
    if (shape != want) {
      Throw(Status(StatusCode::kShapeMismatch, std::string(kind) + " '" + t.name +
                                                   "' of signature '" + runner->info().key +
                                                   "' expects shape " + ShapeToString(want) +
                                                   ", got " + ShapeToString(shape)));
    }
    return py::array::ensure(arr, py::array::c_style);
  }

  void SetInput(const py::handle& key, const py::object& value) {
    const size_t i = Index(key, true);
    py::array arr = Validated(i, value, true);
    Check(runner->SetInput(i, arr.data(), static_cast<size_t>(arr.nbytes())));
  }

  void Bind(const py::handle& key, const py::object& value, bool input) {
    const size_t i = Index(key, input);
    std::vector<py::object>& keep = input ? bound_inputs : bound_outputs;
    if (keep.size() < (input ? runner->num_inputs() : runner->num_outputs())) {
      keep.resize(input ? runner->num_inputs() : runner->num_outputs());
    }
    if (value.is_none()) {
      Check(input ? runner->BindInput(i, nullptr, 0) : runner->BindOutput(i, nullptr, 0));
      keep[i] = py::none();
      return;
    }
    if (!py::isinstance<py::array>(value)) {
      Throw(Status(StatusCode::kInvalidArgument, "bind_* needs a numpy array (or None)"));
    }
    py::array arr = py::reinterpret_borrow<py::array>(value);
    py::array checked = Validated(i, value, input);
    if (!checked.is(arr)) {
      Throw(Status(StatusCode::kInvalidArgument,
                   "array bound zero-copy must be C-contiguous (use sscodec.litert.aligned_empty)"));
    }
    if (!arr.writeable()) {
      Throw(Status(StatusCode::kInvalidArgument, "array bound zero-copy must be writeable"));
    }
    void* data = arr.mutable_data();
    const size_t cap = static_cast<size_t>(arr.nbytes());
    Check(input ? runner->BindInput(i, data, cap) : runner->BindOutput(i, data, cap));
    keep[i] = value;
  }

  py::dict Call(const py::kwargs& kwargs) {
    for (auto item : kwargs) SetInput(item.first, py::reinterpret_borrow<py::object>(item.second));
    {
      py::gil_scoped_release release;
      Check(runner->Run());
    }
    py::dict out;
    for (size_t i = 0; i < runner->num_outputs(); ++i) {
      const TensorInfo& t = Info(i, false);
      std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
      py::array a(py::dtype(DTypeName(t.dtype)), shape);
      Check(runner->GetOutput(i, a.mutable_data(), static_cast<size_t>(a.nbytes())));
      out[py::str(t.name)] = a;
    }
    return out;
  }
};

std::string TensorRepr(const TensorInfo& t) {
  return "TensorInfo(name='" + t.name + "', dtype=" + DTypeName(t.dtype) +
         ", shape=" + ShapeToString(t.shape) + ")";
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "sscodec native core: LiteRT C API wrapper (dlopen'ed libLiteRt.so)";
  m.attr("__version__") = SSCODEC_VERSION;
  m.attr("LITERT_LIB_ENV") = kLiteRtLibEnvVar;
  m.attr("HOST_ALIGNMENT") = SignatureRunner::kHostAlignment;

  static py::exception<NativeError> error_type(m, "Error", PyExc_RuntimeError);
  g_error_type = error_type.ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const NativeError& e) {
      py::object type = py::reinterpret_borrow<py::object>(g_error_type);
      py::object exc = type(e.message);
      exc.attr("code") = StatusCodeName(e.code);
      PyErr_SetObject(g_error_type, exc.ptr());
    }
  });

  m.def(
      "load_library",
      [](const std::string& path) { return Unwrap(LiteRtLibrary::Load(path))->path(); },
      py::arg("path") = "",
      "dlopen() libLiteRt.so and resolve the C API; returns the resolved path. "
      "Empty path: $SSCODEC_LITERT_LIB, else the loader's search for libLiteRt.so.");

  py::class_<TensorInfo>(m, "TensorInfo")
      .def_readonly("name", &TensorInfo::name)
      .def_property_readonly("dtype", [](const TensorInfo& t) { return NumpyDType(t.dtype); })
      .def_property_readonly("dtype_name", [](const TensorInfo& t) { return DTypeName(t.dtype); })
      .def_property_readonly("shape", [](const TensorInfo& t) { return ShapeTuple(t.shape); })
      .def_readonly("ranked", &TensorInfo::ranked)
      .def_readonly("nbytes", &TensorInfo::num_bytes)
      .def_readonly("size", &TensorInfo::num_elements)
      .def("__repr__", &TensorRepr);

  py::class_<SignatureInfo>(m, "SignatureInfo")
      .def_readonly("key", &SignatureInfo::key)
      .def_readonly("index", &SignatureInfo::index)
      .def_readonly("inputs", &SignatureInfo::inputs)
      .def_readonly("outputs", &SignatureInfo::outputs)
      .def("__repr__", [](const SignatureInfo& s) {
        std::string r = "SignatureInfo(key='" + s.key + "', inputs=[";
        for (size_t i = 0; i < s.inputs.size(); ++i) r += (i ? ", " : "") + TensorRepr(s.inputs[i]);
        r += "], outputs=[";
        for (size_t i = 0; i < s.outputs.size(); ++i) r += (i ? ", " : "") + TensorRepr(s.outputs[i]);
        return r + "])";
      });

  py::class_<Environment, std::shared_ptr<Environment>>(m, "Environment")
      .def(py::init([](const std::string& library_path, const std::string& log_level) {
             static const std::pair<const char*, int> kLevels[] = {
                 {"verbose", lrt::kLogVerbose}, {"info", lrt::kLogInfo},
                 {"warning", lrt::kLogWarning}, {"error", lrt::kLogError},
                 {"silent", lrt::kLogSilent}};
             int level = -1;
             for (const auto& [name, v] : kLevels) {
               if (log_level == name) level = v;
             }
             if (level < 0) {
               Throw(Status(StatusCode::kInvalidArgument,
                            "log_level must be verbose/info/warning/error/silent, got '" +
                                log_level + "'"));
             }
             return Unwrap(Environment::Create(library_path, level));
           }),
           py::arg("library_path") = "", py::arg("log_level") = "error",
           "LiteRT environment in the libLiteRt.so at library_path "
           "(empty: $SSCODEC_LITERT_LIB, else the loader's search). log_level: LiteRT's "
           "(process-wide) logger threshold.")
      .def_property_readonly("library_path",
                             [](const Environment& e) { return e.library().path(); });

  py::class_<Model, std::shared_ptr<Model>>(m, "Model")
      .def_static(
          "from_file",
          [](std::shared_ptr<Environment> env, const std::string& path, int num_threads,
             const std::string& kernels, long long xnnpack_flags) {
            CompileOptions o = MakeOptions(num_threads, kernels, xnnpack_flags);
            py::gil_scoped_release release;
            return Unwrap(Model::FromFile(std::move(env), path, o));
          },
          py::arg("env"), py::arg("path"), py::arg("num_threads") = 1,
          py::arg("kernels") = "xnnpack", py::arg("xnnpack_flags") = -1)
      .def_static(
          "from_buffer",
          [](std::shared_ptr<Environment> env, py::buffer data, int num_threads,
             const std::string& kernels, long long xnnpack_flags) {
            CompileOptions o = MakeOptions(num_threads, kernels, xnnpack_flags);
            py::buffer_info info = data.request();
            if (info.ndim > 1 && info.strides.back() != info.itemsize) {
              Throw(Status(StatusCode::kInvalidArgument, "model buffer must be contiguous"));
            }
            const size_t size = static_cast<size_t>(info.size * info.itemsize);
            const void* ptr = info.ptr;
            py::gil_scoped_release release;
            return Unwrap(Model::FromBuffer(std::move(env), ptr, size, o));
          },
          py::arg("env"), py::arg("data"), py::arg("num_threads") = 1,
          py::arg("kernels") = "xnnpack", py::arg("xnnpack_flags") = -1)
      .def_property_readonly("signatures", &Model::signatures)
      .def_property_readonly("signature_keys",
                             [](const Model& mo) {
                               std::vector<std::string> k;
                               for (const auto& s : mo.signatures()) k.push_back(s.key);
                               return k;
                             })
      .def(
          "signature",
          [](const Model& mo, const std::string& key) { return *Unwrap(mo.GetSignature(key)); },
          py::arg("key") = "")
      .def_property_readonly("source", &Model::source)
      .def_property_readonly("num_threads", [](const Model& mo) { return mo.options().num_threads; })
      .def("reset_state", [](Model& mo) {
        py::gil_scoped_release release;
        Check(mo.ResetState());
      }, "Fresh streaming state (recompiles); existing runners stay valid.")
      .def(
          "runner",
          [](Model& mo, const std::string& key) {
            auto r = std::make_unique<PyRunner>();
            r->runner = Unwrap(mo.NewRunner(key));
            return r;
          },
          py::arg("key") = "", "Runner for one signature (empty key: the only signature).");

  py::class_<PyRunner>(m, "Runner")
      .def_property_readonly("info", [](const PyRunner& r) { return r.runner->info(); })
      .def_property_readonly("key", [](const PyRunner& r) { return r.runner->info().key; })
      .def_property_readonly("input_names",
                             [](const PyRunner& r) {
                               std::vector<std::string> n;
                               for (const auto& t : r.runner->info().inputs) n.push_back(t.name);
                               return n;
                             })
      .def_property_readonly("output_names",
                             [](const PyRunner& r) {
                               std::vector<std::string> n;
                               for (const auto& t : r.runner->info().outputs) n.push_back(t.name);
                               return n;
                             })
      .def(
          "input",
          [](py::object self, py::object key) {
            const PyRunner& r = self.cast<const PyRunner&>();
            return r.View(self, r.Index(key, true), true, true);
          },
          py::arg("key"), "Writable numpy view of the memory bound to an input (no copy).")
      .def(
          "output",
          [](py::object self, py::object key) {
            const PyRunner& r = self.cast<const PyRunner&>();
            return r.View(self, r.Index(key, false), false, false);
          },
          py::arg("key"),
          "Read-only numpy view of the memory bound to an output (no copy; "
          "overwritten by the next run()).")
      .def("set_input", &PyRunner::SetInput, py::arg("key"), py::arg("value"),
           "Copy value into an input; numpy arrays must match dtype and shape exactly.")
      .def(
          "get_output",
          [](PyRunner& r, py::object key) {
            const size_t i = r.Index(key, false);
            const TensorInfo& t = r.Info(i, false);
            std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
            py::array a(py::dtype(DTypeName(t.dtype)), shape);
            Check(r.runner->GetOutput(i, a.mutable_data(), static_cast<size_t>(a.nbytes())));
            return a;
          },
          py::arg("key"), "Copy of an output.")
      .def(
          "bind_input",
          [](PyRunner& r, py::object key, py::object arr) { r.Bind(key, arr, true); },
          py::arg("key"), py::arg("array"),
          "Bind a C-contiguous, 64-byte-aligned numpy array to an input, zero-copy "
          "(None: back to the runner's own buffer).")
      .def(
          "bind_output",
          [](PyRunner& r, py::object key, py::object arr) { r.Bind(key, arr, false); },
          py::arg("key"), py::arg("array"), "Like bind_input, for an output.")
      .def(
          "run",
          [](PyRunner& r) {
            py::gil_scoped_release release;
            Check(r.runner->Run());
          },
          "Run the signature once on the bound input memory (GIL released).")
      .def("__call__", &PyRunner::Call,
           "runner(**inputs) -> {output name: array copy}: set inputs, run, copy outputs.");

  py::class_<LyraV2Chain>(m, "LyraV2Chain")
      .def(py::init([](std::shared_ptr<Environment> env, const std::string& model_dir,
                       int num_threads) {
             CompileOptions o;
             o.num_threads = num_threads;
             py::gil_scoped_release release;
             return Unwrap(LyraV2Chain::Create(std::move(env), model_dir, o));
           }),
           py::arg("env"), py::arg("model_dir"), py::arg("num_threads") = 1)
      .def_property_readonly_static("frame_samples",
                                    [](py::object) { return LyraV2Chain::kFrameSamples; })
      .def_property_readonly_static("max_quantizers",
                                    [](py::object) { return LyraV2Chain::kMaxQuantizers; })
      .def_property_readonly("bits_per_quantizer", &LyraV2Chain::bits_per_quantizer)
      .def("reset", [](LyraV2Chain& c) {
        py::gil_scoped_release release;
        Check(c.Reset());
      }, "Fresh stream state.")
      .def(
          "process",
          [](LyraV2Chain& c, py::array_t<float, py::array::c_style | py::array::forcecast> audio,
             int num_quantizers) {
            if (audio.ndim() != 1) {
              Throw(Status(StatusCode::kShapeMismatch, "audio must be 1-D float32 samples"));
            }
            const size_t n = static_cast<size_t>(audio.shape(0));
            const size_t frames = n / LyraV2Chain::kFrameSamples;
            if (frames * LyraV2Chain::kFrameSamples != n) {
              Throw(Status(StatusCode::kShapeMismatch,
                           "audio length " + std::to_string(n) + " is not a multiple of 320"));
            }
            py::array_t<float> out(static_cast<py::ssize_t>(n));
            py::array_t<int32_t> idx({static_cast<py::ssize_t>(frames),
                                      static_cast<py::ssize_t>(LyraV2Chain::kMaxQuantizers)});
            py::array_t<double> secs(static_cast<py::ssize_t>(frames));
            const float* in = audio.data();
            float* o = out.mutable_data();
            int32_t* ix = idx.mutable_data();
            double* s = secs.mutable_data();
            {
              py::gil_scoped_release release;
              Check(c.Process(in, frames, num_quantizers, o, ix, s));
            }
            return py::make_tuple(out, idx, secs);
          },
          py::arg("audio"), py::arg("num_quantizers"),
          "Whole-frame audio (len % 320 == 0) -> (decoded float32[n], indices int32[frames,46], "
          "seconds per frame float64[frames]), frame by frame in C++ (GIL released).");

  sscodec_py::Bind(m);
}
