#include <pybind11/pybind11.h>

#ifndef SSCODEC_VERSION
#define SSCODEC_VERSION "0.0.0"
#endif

PYBIND11_MODULE(_native, m) {
  m.doc() = "sscodec native core (LiteRT C API wrapper)";
  m.attr("__version__") = SSCODEC_VERSION;
}
