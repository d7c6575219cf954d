/* LD_PRELOAD shim for running aarch64 LiteRT/XNNPACK under qemu-user on an
 * x86-64 host (used by tools/adb_qemu/adb; real phones do not need it).
 *
 * qemu-user 7.x passes the HOST's /proc/cpuinfo through to the guest, so
 * XNNPACK's CPU detection (the cpuinfo library) parses an x86 cpuinfo, finds
 * no ARM processor records and crashes while preparing a model. This shim
 * intercepts opening /proc/cpuinfo and serves an ARM-style one derived from the
 * EMULATED CPU: one record per configured processor, "Features" from the
 * auxiliary vector (AT_HWCAP/AT_HWCAP2, the names the Linux arm64 kernel
 * prints) and implementer/variant/part/revision from MIDR_EL1 (readable from
 * user space when HWCAP_CPUID is set, as qemu emulates). Every other path is
 * opened unchanged.
 *
 * Build: aarch64-linux-gnu-gcc -shared -fPIC -O2 -o cpuinfo_shim.so cpuinfo_shim.c
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* const kHwcap[32] = {
    "fp",    "asimd", "evtstrm", "aes",     "pmull", "sha1",  "sha2",  "crc32",
    "atomics", "fphp", "asimdhp", "cpuid",  "asimdrdm", "jscvt", "fcma", "lrcpc",
    "dcpop", "sha3",  "sm3",     "sm4",     "asimddp", "sha512", "sve", "asimdfhm",
    "dit",   "uscat", "ilrcpc",  "flagm",   "ssbs",  "sb",    "paca",  "pacg"};
static const char* const kHwcap2[32] = {
    "dcpodp", "sve2", "sveaes", "svepmull", "svebitperm", "svesha3", "svesm4", "flagm2",
    "frint", "svei8mm", "svef32mm", "svef64mm", "svebf16", "i8mm", "bf16", "dgh",
    "rng", "bti", "mte", "ecv", "afp", "rpres", "mte3", "sme",
    "smei16i64", "smef64f64", "smei8i32", "smef16f32", "smeb16f32", "smef32f32", "smefa64", "wfxt"};

#define HWCAP_CPUID_BIT (1UL << 11)

static size_t append(char* buf, size_t cap, size_t len, const char* fmt, ...) {
  va_list ap;
  int n;
  if (len >= cap) return len;
  va_start(ap, fmt);
  n = vsnprintf(buf + len, cap - len, fmt, ap);
  va_end(ap);
  return n < 0 ? len : len + (size_t)n;
}

static int make_cpuinfo_fd(void) {
  static char text[1 << 16];
  size_t len = 0;
  unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  uint64_t midr = 0;
  long ncpu = sysconf(_SC_NPROCESSORS_CONF);
  char features[1024];
  size_t flen = 0;
  int i, fd;
  if (hw & HWCAP_CPUID_BIT) {
#if defined(__aarch64__)
    __asm__ volatile("mrs %0, MIDR_EL1" : "=r"(midr));
#endif
  }
  if (midr == 0) midr = 0x410fd0b1; /* no CPUID access: describe a Cortex-A76 r0p1 */
  features[0] = '\0';
  for (i = 0; i < 32; ++i)
    if (hw & (1UL << i)) flen = append(features, sizeof features, flen, "%s%s", flen ? " " : "", kHwcap[i]);
  for (i = 0; i < 32; ++i)
    if (hw2 & (1UL << i)) flen = append(features, sizeof features, flen, "%s%s", flen ? " " : "", kHwcap2[i]);
  if (ncpu < 1) ncpu = 1;
  for (i = 0; i < ncpu && len < sizeof text - 512; ++i) {
    len = append(text, sizeof text, len,
                 "processor\t: %d\nBogoMIPS\t: 50.00\nFeatures\t: %s\nCPU implementer\t: 0x%02x\n"
                 "CPU architecture: 8\nCPU variant\t: 0x%x\nCPU part\t: 0x%03x\nCPU revision\t: %u\n\n",
                 i, features, (unsigned)((midr >> 24) & 0xff), (unsigned)((midr >> 20) & 0xf),
                 (unsigned)((midr >> 4) & 0xfff), (unsigned)(midr & 0xf));
  }
  fd = (int)syscall(SYS_memfd_create, "cpuinfo", 0);
  if (fd < 0) return -1;
  if (write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    errno = EIO;
    return -1;
  }
  return fd;
}

static int is_cpuinfo(const char* path) { return path && strcmp(path, "/proc/cpuinfo") == 0; }

static int real_openat(int dirfd, const char* path, int flags, mode_t mode) {
  return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

/* Every open variant: read the optional mode argument, then serve our
   cpuinfo or forward to the real openat. */
#define SHIM_OPEN(dirfd, path, flags)                                            \
  do {                                                                           \
    va_list ap;                                                                  \
    mode_t m;                                                                    \
    va_start(ap, flags);                                                         \
    m = mode_arg(flags, ap);                                                     \
    va_end(ap);                                                                  \
    return is_cpuinfo(path) ? make_cpuinfo_fd() : real_openat(dirfd, path, flags, m); \
  } while (0)

int open(const char* path, int flags, ...) { SHIM_OPEN(AT_FDCWD, path, flags); }
int open64(const char* path, int flags, ...) { SHIM_OPEN(AT_FDCWD, path, flags); }
int openat(int dirfd, const char* path, int flags, ...) { SHIM_OPEN(dirfd, path, flags); }
int openat64(int dirfd, const char* path, int flags, ...) { SHIM_OPEN(dirfd, path, flags); }
/* _FORTIFY_SOURCE entry points */
int __open_2(const char* path, int flags) { return open(path, flags); }
int __open64_2(const char* path, int flags) { return open(path, flags); }
int __openat_2(int dirfd, const char* path, int flags) { return openat(dirfd, path, flags); }

static FILE* cpuinfo_file(void) {
  int fd = make_cpuinfo_fd();
  FILE* f = fd < 0 ? NULL : fdopen(fd, "r");
  if (!f && fd >= 0) close(fd);
  return f;
}

FILE* fopen(const char* path, const char* mode) {
  static FILE* (*real)(const char*, const char*) = NULL;
  if (is_cpuinfo(path)) return cpuinfo_file();
  if (!real) real = (FILE * (*)(const char*, const char*)) dlsym(RTLD_NEXT, "fopen");
  return real ? real(path, mode) : NULL;
}
FILE* fopen64(const char* path, const char* mode) {
  static FILE* (*real)(const char*, const char*) = NULL;
  if (is_cpuinfo(path)) return cpuinfo_file();
  if (!real) real = (FILE * (*)(const char*, const char*)) dlsym(RTLD_NEXT, "fopen64");
  return real ? real(path, mode) : NULL;
}
