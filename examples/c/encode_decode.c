/* encode_decode: a WAV file -> sscodec packets -> a WAV file, through the
 * plain C API (sscodec.h / libsscodec.so), as an app would embed it.
 *
 *   encode_decode MODEL_DIR IN.wav OUT.wav [BITRATE_BPS [PACKETS_OUT]]
 *
 * MODEL_DIR  converted model folder, e.g. models/speech16k/int8
 * IN.wav     mono, 16-bit PCM or 32-bit float, at the model's sample rate
 *            (16000 Hz for speech16k; this example does not resample)
 * OUT.wav    decoded audio, 32-bit float mono, trimmed to the input length
 * BITRATE    bits per second (default 6000)
 * PACKETS_OUT  optional: every packet as a 2-byte little-endian length + bytes
 * libLiteRt.so comes from $SSCODEC_LITERT_LIB, else the dynamic loader's path.
 *
 * The sender (encoder-only codec) and receiver (decoder-only codec) are two
 * separate streams, as on two phones; audio is pushed in 10 ms chunks that do
 * not divide the 20 ms frame. Prints frames, packets, bytes and the bitrate.
 * Exit status: 0 ok, 1 error, 2 usage.
 *
 * Build against the package (see its README):
 *   cc -std=c99 -O2 -Iinclude encode_decode.c -Llib -lsscodec -Wl,-rpath,'$ORIGIN/lib' -o encode_decode
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sscodec.h"

#define CHUNK_MS 10
#define MAX_PACKET 2048

typedef struct {
  float* samples;
  size_t count;
  uint32_t rate;
} audio;

static uint32_t u32le(const unsigned char* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t u16le(const unsigned char* p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Reads a mono 16-bit PCM or 32-bit float WAV. Returns 0, or 1 with a message. */
static int read_wav(const char* path, audio* a) {
  FILE* f = fopen(path, "rb");
  unsigned char hdr[12], ch[8], fmt[16];
  int have_fmt = 0;
  uint16_t format = 0, channels = 0, bits = 0;
  memset(a, 0, sizeof *a);
  if (!f) {
    fprintf(stderr, "encode_decode: cannot open %s\n", path);
    return 1;
  }
  if (fread(hdr, 1, 12, f) != 12 || memcmp(hdr, "RIFF", 4) != 0 || memcmp(hdr + 8, "WAVE", 4) != 0) {
    fprintf(stderr, "encode_decode: %s is not a RIFF/WAVE file\n", path);
    fclose(f);
    return 1;
  }
  while (fread(ch, 1, 8, f) == 8) {
    uint32_t size = u32le(ch + 4);
    if (memcmp(ch, "fmt ", 4) == 0) {
      if (size < 16 || fread(fmt, 1, 16, f) != 16) break;
      format = u16le(fmt);
      channels = u16le(fmt + 2);
      a->rate = u32le(fmt + 4);
      bits = u16le(fmt + 14);
      if (format == 0xFFFE && size >= 40) { /* WAVE_FORMAT_EXTENSIBLE: sub-format's first 2 bytes */
        unsigned char ext[24];
        if (fread(ext, 1, 24, f) != 24) break;
        format = u16le(ext + 8);
        size -= 24;
      }
      if (fseek(f, (long)(size - 16 + (size & 1)), SEEK_CUR) != 0) break;
      have_fmt = 1;
    } else if (memcmp(ch, "data", 4) == 0) {
      size_t i, n;
      unsigned char* raw;
      if (!have_fmt) break;
      if (channels != 1 || !((format == 1 && bits == 16) || (format == 3 && bits == 32))) {
        fprintf(stderr, "encode_decode: %s: need mono 16-bit PCM or 32-bit float (got %u channel(s), "
                        "format %u, %u bits)\n", path, channels, format, bits);
        fclose(f);
        return 1;
      }
      n = size / (bits / 8);
      raw = (unsigned char*)malloc(size ? size : 1);
      a->samples = (float*)malloc((n ? n : 1) * sizeof(float));
      if (!raw || !a->samples || fread(raw, 1, size, f) != size) {
        fprintf(stderr, "encode_decode: %s: truncated data chunk\n", path);
        free(raw);
        free(a->samples);
        a->samples = NULL;
        fclose(f);
        return 1;
      }
      for (i = 0; i < n; ++i) {
        if (bits == 16) {
          a->samples[i] = (float)(int16_t)u16le(raw + 2 * i) / 32768.0f;
        } else {
          uint32_t u = u32le(raw + 4 * i);
          memcpy(&a->samples[i], &u, 4);
        }
      }
      a->count = n;
      free(raw);
      fclose(f);
      return 0;
    } else if (fseek(f, (long)(size + (size & 1)), SEEK_CUR) != 0) {
      break;
    }
  }
  fprintf(stderr, "encode_decode: %s: no fmt/data chunk\n", path);
  fclose(f);
  return 1;
}

static void put32(unsigned char* p, uint32_t v) {
  p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

/* 32-bit float mono WAV (format 3). */
static int write_wav(const char* path, const float* x, size_t n, uint32_t rate) {
  unsigned char h[44];
  FILE* f = fopen(path, "wb");
  size_t i;
  int ok;
  if (!f) {
    fprintf(stderr, "encode_decode: cannot write %s\n", path);
    return 1;
  }
  memcpy(h, "RIFF", 4); put32(h + 4, (uint32_t)(36 + 4 * n)); memcpy(h + 8, "WAVEfmt ", 8);
  put32(h + 16, 16); h[20] = 3; h[21] = 0; h[22] = 1; h[23] = 0; put32(h + 24, rate);
  put32(h + 28, rate * 4); h[32] = 4; h[33] = 0; h[34] = 32; h[35] = 0;
  memcpy(h + 36, "data", 4); put32(h + 40, (uint32_t)(4 * n));
  ok = fwrite(h, 1, 44, f) == 44;
  for (i = 0; ok && i < n; ++i) {
    unsigned char b[4];
    uint32_t u;
    memcpy(&u, &x[i], 4);
    put32(b, u);
    ok = fwrite(b, 1, 4, f) == 4;
  }
  if (fclose(f) != 0 || !ok) {
    fprintf(stderr, "encode_decode: write to %s failed\n", path);
    return 1;
  }
  return 0;
}

static sscodec_codec* open_side(const char* model_dir, int encoder) {
  sscodec_config cfg;
  sscodec_codec* c = NULL;
  char err[1024];
  sscodec_config_init(&cfg);
  cfg.model_dir = model_dir;
  cfg.encoder = encoder;
  cfg.decoder = !encoder;
  if (sscodec_create(&cfg, &c, err, sizeof err) != SSCODEC_OK) {
    fprintf(stderr, "encode_decode: cannot open the %s of %s: %s\n", encoder ? "encoder" : "decoder", model_dir, err);
    return NULL;
  }
  return c;
}

int main(int argc, char** argv) {
  audio in;
  sscodec_codec *enc = NULL, *dec = NULL;
  sscodec_info info;
  unsigned char packet[MAX_PACKET];
  float* out = NULL;
  size_t pos = 0, chunk, out_n = 0, out_cap, packets = 0, bytes = 0, size = 0;
  unsigned long bps = 6000;
  FILE* pf = NULL;
  int rc = 1;
  if (argc < 4 || argc > 6) {
    fprintf(stderr, "usage: %s MODEL_DIR IN.wav OUT.wav [BITRATE_BPS [PACKETS_OUT]]\n", argv[0]);
    return 2;
  }
  if (argc >= 5) {
    char* end = NULL;
    bps = strtoul(argv[4], &end, 10);
    if (!end || *end != '\0' || bps == 0) {
      fprintf(stderr, "encode_decode: bad bitrate '%s'\n", argv[4]);
      return 2;
    }
  }
  if (read_wav(argv[2], &in) != 0) return 1;
  if (!(enc = open_side(argv[1], 1)) || !(dec = open_side(argv[1], 0))) goto done;
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  sscodec_get_info(enc, &info);
  if (in.rate != info.sample_rate) {
    fprintf(stderr, "encode_decode: %s is %u Hz; the model wants %u Hz (resample it first)\n", argv[2], in.rate,
            info.sample_rate);
    goto done;
  }
  if (sscodec_set_bitrate(enc, (uint32_t)bps) != SSCODEC_OK) {
    fprintf(stderr, "encode_decode: %s\n", sscodec_last_error(enc));
    goto done;
  }
  if (argc == 6 && !(pf = fopen(argv[5], "wb"))) {
    fprintf(stderr, "encode_decode: cannot write %s\n", argv[5]);
    goto done;
  }
  out_cap = in.count + 2 * (size_t)info.frame_size;
  out = (float*)calloc(out_cap, sizeof(float));
  if (!out) goto done;
  chunk = (size_t)info.sample_rate * CHUNK_MS / 1000;
  for (;;) {
    int last = pos >= in.count;
    if (!last) {
      size_t n = in.count - pos < chunk ? in.count - pos : chunk;
      if (sscodec_push_audio(enc, in.samples + pos, n) != n) {
        fprintf(stderr, "encode_decode: input ring full\n");
        goto done;
      }
      pos += n;
    } else if (sscodec_flush(enc) != SSCODEC_OK) {  /* zero-pads the last partial frame */
      goto done;
    }
    if (sscodec_process(enc, NULL) != SSCODEC_OK) {
      fprintf(stderr, "encode_decode: encode: %s\n", sscodec_last_error(enc));
      goto done;
    }
    /* "network": every packet goes to the receiver */
    while (sscodec_pull_packet(enc, packet, sizeof packet, &size) == SSCODEC_OK) {
      ++packets;
      bytes += size;
      if (pf) {
        unsigned char len[2] = {(unsigned char)(size & 0xFF), (unsigned char)(size >> 8)};
        if (fwrite(len, 1, 2, pf) != 2 || fwrite(packet, 1, size, pf) != size) goto done;
      }
      if (sscodec_push_packet(dec, packet, size) != SSCODEC_OK ||
          sscodec_process(dec, NULL) != SSCODEC_OK) {
        fprintf(stderr, "encode_decode: decode: %s\n", sscodec_last_error(dec));
        goto done;
      }
      out_n += sscodec_pull_audio(dec, out + out_n, out_cap - out_n, 0);
    }
    if (last) break;
  }
  if (out_n < in.count) {
    fprintf(stderr, "encode_decode: decoded %lu samples, expected at least %lu\n", (unsigned long)out_n,
            (unsigned long)in.count);
    goto done;
  }
  if (write_wav(argv[3], out, in.count, info.sample_rate) != 0) goto done;
  printf("model %s: %lu samples (%.2f s) -> %lu packets, %lu bytes (%.0f bps with packet headers, "
         "%lu bps code rate) -> %s\n",
         info.model_id, (unsigned long)in.count, (double)in.count / info.sample_rate, (unsigned long)packets,
         (unsigned long)bytes, packets ? 8.0 * bytes * info.sample_rate / ((double)packets * info.frame_size) : 0.0,
         bps, argv[3]);
  rc = 0;
done:
  if (pf && fclose(pf) != 0) rc = 1;
  sscodec_destroy(enc);
  sscodec_destroy(dec);
  free(in.samples);
  free(out);
  return rc;
}
