# Cross-compile for 64-bit ARM Linux (glibc) with Debian's g++-aarch64-linux-gnu:
#   cmake -S . -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DSSCODEC_BUILD_PYTHON=OFF -DSSCODEC_BUILD_CAPI=ON
# Programs run on an x86-64 host under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR),
# on aarch64 Linux directly, and on Android through the bundled glibc loader
# (see runtime/android/ and docs/android.md).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(SSCODEC_CROSS_PREFIX "aarch64-linux-gnu-" CACHE STRING "cross tool prefix")
set(CMAKE_C_COMPILER ${SSCODEC_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${SSCODEC_CROSS_PREFIX}g++)

# Debian installs the target's glibc/libstdc++ under /usr/aarch64-linux-gnu.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest / try_run on the host: qemu-user with the target's sysroot.
find_program(SSCODEC_QEMU_AARCH64 qemu-aarch64)
if(SSCODEC_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SSCODEC_QEMU_AARCH64} -cpu cortex-a76 -L /usr/aarch64-linux-gnu)
endif()
