/* Tests the plain C API (include/sscodec.h) from a C99 program:
 *   c_api_test MODEL_DIR       (libLiteRt.so from $SSCODEC_LITERT_LIB or the loader)
 * Encoder and decoder streams, pushes that do not divide the frame, flush
 * padding, bitrate switching, lost / corrupt packets, loopback equivalence,
 * the worker thread, and argument errors. Prints failures; exit 1 if any. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sscodec.h"

static int g_failures = 0;
#define CHECK(cond)                                                         \
  do {                                                                      \
    if (!(cond)) {                                                          \
      ++g_failures;                                                         \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                       \
  } while (0)
#define CHECK_OK(expr)                                                      \
  do {                                                                      \
    sscodec_status st_ = (expr);                                            \
    if (st_ != SSCODEC_OK) {                                                \
      ++g_failures;                                                         \
      fprintf(stderr, "%s:%d: %s -> %s\n", __FILE__, __LINE__, #expr,       \
              sscodec_status_name(st_));                                    \
    }                                                                       \
  } while (0)

static sscodec_codec* make_rt(const char* dir, int enc, int dec, int loopback, int worker, int rt);

#define MAX_PACKETS 4096
#define MAX_PACKET_BYTES 1024

typedef struct {
  unsigned char data[MAX_PACKET_BYTES];
  size_t size;
} packet;

static packet g_packets[MAX_PACKETS];

static float signal_at(size_t n) {
  /* speech-like test signal: two tones with a slow envelope, plus a little noise */
  double t = (double)n / 16000.0;
  double env = 0.5 + 0.5 * sin(2.0 * 3.14159265 * 1.3 * t);
  unsigned int h = (unsigned int)(n * 2654435761u);
  double noise = ((h >> 8) & 0xFFFF) / 65536.0 - 0.5;
  return (float)(0.3 * env * sin(2.0 * 3.14159265 * 220.0 * t) +
                 0.1 * sin(2.0 * 3.14159265 * 1375.0 * t) + 0.01 * noise);
}

static sscodec_codec* make(const char* dir, int enc, int dec, int loopback, int worker) {
  return make_rt(dir, enc, dec, loopback, worker, 0);
}

static sscodec_codec* make_rt(const char* dir, int enc, int dec, int loopback, int worker, int rt) {
  sscodec_config cfg;
  sscodec_codec* c = NULL;
  char err[512];
  sscodec_config_init(&cfg);
  cfg.model_dir = dir;
  cfg.encoder = enc;
  cfg.decoder = dec;
  cfg.loopback = loopback;
  cfg.worker_thread = worker;
  cfg.worker_rt_priority = rt;
  if (sscodec_create(&cfg, &c, err, sizeof err) != SSCODEC_OK) {
    fprintf(stderr, "sscodec_create(%s): %s\n", dir, err);
    ++g_failures;
    return NULL;
  }
  return c;
}

/* Pulls every ready packet into g_packets[*count...]. */
static void pull_all(sscodec_codec* c, size_t* count) {
  size_t size = 0;
  while (*count < MAX_PACKETS &&
         sscodec_pull_packet(c, g_packets[*count].data, MAX_PACKET_BYTES, &size) == SSCODEC_OK) {
    g_packets[*count].size = size;
    ++*count;
  }
}

static void test_errors(const char* dir) {
  sscodec_config cfg;
  sscodec_codec* c = (sscodec_codec*)0x1;
  char err[512];
  sscodec_config_init(&cfg);
  cfg.model_dir = "/nonexistent/model/dir";
  CHECK(sscodec_create(&cfg, &c, err, sizeof err) == SSCODEC_NOT_FOUND);
  CHECK(c == NULL);
  CHECK(strstr(err, "not found") != NULL);
  CHECK(sscodec_create(NULL, &c, err, sizeof err) == SSCODEC_INVALID_ARGUMENT);
  cfg.model_dir = dir;
  cfg.bitrate_bps = 12345;
  CHECK(sscodec_create(&cfg, &c, err, sizeof err) == SSCODEC_INVALID_ARGUMENT);
  CHECK(strstr(err, "bitrate") != NULL);
  cfg.bitrate_bps = 0;
  /* struct_size: this header's size or the 0.1 size (before dtx_refresh_frames); nothing else */
  CHECK(cfg.dtx_refresh_frames == 20);
  cfg.struct_size = (uint32_t)offsetof(sscodec_config, dtx_refresh_frames);
  CHECK(sscodec_create(&cfg, &c, err, sizeof err) == SSCODEC_OK && c != NULL);
  sscodec_destroy(c);
  c = (sscodec_codec*)0x1;
  cfg.struct_size = (uint32_t)sizeof cfg + 4;
  CHECK(sscodec_create(&cfg, &c, err, sizeof err) == SSCODEC_INVALID_ARGUMENT && c == NULL);
  cfg.struct_size = (uint32_t)sizeof cfg;
  cfg.litert_library = "/nonexistent/libLiteRt.so";
  CHECK(sscodec_create(&cfg, &c, err, sizeof err) == SSCODEC_LIBRARY_ERROR);
  /* NULL codec everywhere: no crash */
  CHECK(sscodec_push_audio(NULL, NULL, 10) == 0);
  CHECK(sscodec_pull_audio(NULL, NULL, 10, 1) == 0);
  CHECK(sscodec_process(NULL, NULL) == SSCODEC_INVALID_ARGUMENT);
  CHECK(sscodec_get_stats(NULL, NULL) == SSCODEC_INVALID_ARGUMENT);
  CHECK(strcmp(sscodec_status_name(SSCODEC_QUEUE_FULL), "QUEUE_FULL") == 0);
  sscodec_destroy(NULL);
}

/* Encoder-only and decoder-only streams; returns the decoded signal via out. */
static void test_stream(const char* dir) {
  static const size_t kPushSizes[] = {128, 441, 480, 512, 1, 319, 321, 2000};
  const size_t total = 16000 * 3 + 77; /* not a multiple of the frame */
  sscodec_codec* enc = make(dir, 1, 0, 0, 0);
  sscodec_codec* dec = make(dir, 0, 1, 0, 0);
  sscodec_codec* loop = make(dir, 1, 1, 1, 0);
  sscodec_info info;
  sscodec_stats st;
  float* in;
  float* out;
  float* out_loop;
  size_t pos = 0, k = 0, npk = 0, i, got = 0, got_loop = 0, frames;
  uint32_t max_bps;
  if (!enc || !dec || !loop) return;
  CHECK_OK(sscodec_get_info(enc, &info));
  CHECK(info.frame_size > 0 && info.sample_rate > 0 && info.max_quantizers > 0);
  CHECK(info.delay_samples == info.frame_size);
  CHECK(info.model_hash_size == 32);
  frames = (total + info.frame_size - 1) / info.frame_size;
  max_bps = info.max_quantizers * info.bits_per_code * info.sample_rate / info.frame_size;
  in = (float*)malloc(total * sizeof(float));
  out = (float*)calloc(frames * info.frame_size + 1000, sizeof(float));
  out_loop = (float*)calloc(frames * info.frame_size + 1000, sizeof(float));
  for (i = 0; i < total; ++i) in[i] = signal_at(i);

  /* Bitrate switching mid-stream: full rate for the first half, then 1 quantizer. */
  CHECK_OK(sscodec_set_bitrate(enc, max_bps));
  CHECK_OK(sscodec_set_bitrate(loop, max_bps));
  CHECK(sscodec_set_bitrate(enc, max_bps + 1) == SSCODEC_INVALID_ARGUMENT);
  CHECK(strstr(sscodec_last_error(enc), "bitrate") != NULL);
  while (pos < total) {
    size_t n = kPushSizes[k++ % (sizeof kPushSizes / sizeof kPushSizes[0])];
    if (n > total - pos) n = total - pos;
    if (pos < total / 2 && pos + n >= total / 2) {
      CHECK_OK(sscodec_set_num_quantizers(enc, 1));
      CHECK_OK(sscodec_set_num_quantizers(loop, 1));
    }
    CHECK(sscodec_push_audio(enc, in + pos, n) == n);
    CHECK(sscodec_push_audio(loop, in + pos, n) == n);
    pos += n;
    CHECK_OK(sscodec_process(enc, NULL));
    CHECK_OK(sscodec_process(loop, NULL));
    pull_all(enc, &npk);
    got_loop += sscodec_pull_audio(loop, out_loop + got_loop, 100000, 0);
  }
  CHECK(npk == total / info.frame_size);
  CHECK_OK(sscodec_flush(enc));
  CHECK_OK(sscodec_flush(loop));
  CHECK_OK(sscodec_process(enc, NULL));
  CHECK_OK(sscodec_process(loop, NULL));
  pull_all(enc, &npk);
  got_loop += sscodec_pull_audio(loop, out_loop + got_loop, 100000, 0);
  CHECK(npk == frames);
  CHECK(got_loop == frames * info.frame_size);
  {
    uint8_t tiny[1];
    size_t sz = 0;
    CHECK(sscodec_pull_packet(enc, tiny, sizeof tiny, &sz) == SSCODEC_NO_DATA);
  }
  /* packet n_q follows the bitrate switch */
  CHECK(g_packets[0].data[1] == info.max_quantizers);
  CHECK(g_packets[npk - 1].data[1] == 1);
  CHECK(g_packets[0].size == 2 + (info.max_quantizers * info.bits_per_code + 7) / 8);

  CHECK_OK(sscodec_get_stats(enc, &st));
  CHECK(st.samples_in == total);
  CHECK(st.samples_padded == frames * info.frame_size - total);
  CHECK(st.frames_encoded == frames);
  CHECK(st.samples_dropped == 0 && st.input_pending == 0);
  CHECK(st.packets_out == frames);
  CHECK(st.model_ms > 0.0 && st.encoder_ms > 0.0);
  CHECK(st.encode_latency.frames == frames);

  /* Decoder: every packet, in order; the result must equal the loopback stream. */
  for (i = 0; i < npk; ++i) {
    CHECK_OK(sscodec_push_packet(dec, g_packets[i].data, g_packets[i].size));
    CHECK_OK(sscodec_process(dec, NULL));
    got += sscodec_pull_audio(dec, out + got, 100000, 0);
  }
  CHECK(got == frames * info.frame_size);
  {
    double maxdiff = 0, energy = 0;
    for (i = 0; i < got; ++i) {
      double d = fabs(out[i] - out_loop[i]);
      if (d > maxdiff) maxdiff = d;
      energy += out[i] * out[i];
    }
    CHECK(maxdiff == 0.0);
    CHECK(energy > 0.0);
  }
  CHECK_OK(sscodec_get_stats(dec, &st));
  CHECK(st.packets_in == npk && st.frames_decoded == npk && st.samples_out == got);
  CHECK(st.packets_lost == 0 && st.packets_corrupt == 0 && st.output_pending == 0);

  /* Loss and corruption: every 5th packet lost, every 7th garbage; the
   * decoder still produces one frame per packet and counts each case. */
  CHECK_OK(sscodec_reset(dec));
  got = 0;
  {
    size_t lost = 0, corrupt = 0;
    const uint8_t garbage[5] = {0xFF, 0x07, 1, 2, 3};
    for (i = 0; i < npk; ++i) {
      if (i % 5 == 1) {
        CHECK_OK(sscodec_push_packet(dec, NULL, 0));
        ++lost;
      } else if (i % 7 == 3) {
        CHECK_OK(sscodec_push_packet(dec, garbage, sizeof garbage));
        ++corrupt;
      } else {
        CHECK_OK(sscodec_push_packet(dec, g_packets[i].data, g_packets[i].size));
      }
      CHECK_OK(sscodec_process(dec, NULL));
      got += sscodec_pull_audio(dec, out + got, 100000, 0);
    }
    CHECK(got == frames * info.frame_size);
    CHECK_OK(sscodec_get_stats(dec, &st));
    CHECK(st.packets_lost == lost);
    CHECK(st.packets_corrupt == corrupt);
    CHECK(st.frames_concealed + st.frames_comfort_noise >= lost + corrupt);
    for (i = 0; i < got; ++i) CHECK(isfinite(out[i]));
  }
  /* Underrun: pulling more than there is pads with zeros and counts them. */
  {
    float buf[100];
    buf[99] = 1.0f;
    CHECK(sscodec_pull_audio(dec, buf, 100, 1) == 0);
    CHECK(buf[99] == 0.0f);
    CHECK_OK(sscodec_get_stats(dec, &st));
    CHECK(st.samples_underrun == 100);
  }
  CHECK(sscodec_push_packet(loop, g_packets[0].data, g_packets[0].size) == SSCODEC_FAILED_PRECONDITION);
  free(in);
  free(out);
  free(out_loop);
  sscodec_destroy(enc);
  sscodec_destroy(dec);
  sscodec_destroy(loop);
}

static void test_worker(const char* dir, int rt) {
  sscodec_codec* c = make_rt(dir, 1, 1, 1, 1, rt);
  sscodec_info info;
  sscodec_stats st;
  size_t i, got = 0, total = 16000;
  float buf[441];
  float* out;
  if (!c) return;
  CHECK_OK(sscodec_get_info(c, &info));
  out = (float*)calloc(total + 2 * info.frame_size, sizeof(float));
  CHECK(sscodec_process(c, NULL) == SSCODEC_FAILED_PRECONDITION);
  for (i = 0; i < total; i += 441) {
    size_t j, n = total - i < 441 ? total - i : 441;
    for (j = 0; j < n; ++j) buf[j] = signal_at(i + j);
    CHECK(sscodec_push_audio(c, buf, n) == n);
    got += sscodec_pull_audio(c, out + got, total + info.frame_size - got, 0);
  }
  CHECK_OK(sscodec_flush(c));
  CHECK_OK(sscodec_wait_idle(c, 20000));
  got += sscodec_pull_audio(c, out + got, total + 2 * info.frame_size - got, 0);
  CHECK(got == (total + info.frame_size - 1) / info.frame_size * info.frame_size);
  CHECK_OK(sscodec_get_stats(c, &st));
  CHECK(st.samples_in == total && st.samples_dropped == 0);
  CHECK(st.frames_decoded == st.frames_encoded);
  CHECK(st.decode_latency.frames == st.frames_decoded);
  CHECK_OK(sscodec_reset(c));
  CHECK_OK(sscodec_get_stats(c, &st));
  CHECK(st.samples_in == 0 && st.frames_decoded == 0);
  free(out);
  sscodec_destroy(c);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL_DIR\n", argv[0]);
    return 2;
  }
  {
    char path[4096];
    FILE* f;
    snprintf(path, sizeof path, "%s/manifest.json", argv[1]);
    f = fopen(path, "rb");
    if (!f) {
      printf("c_api_test: SKIPPED (no model at %s)\n", argv[1]);
      return 77;
    }
    fclose(f);
  }
  test_errors(argv[1]);
  test_stream(argv[1]);
  test_worker(argv[1], 0);
  test_worker(argv[1], 5); /* real-time priority if permitted; same results either way */
  if (g_failures) {
    fprintf(stderr, "c_api_test: %d failure(s)\n", g_failures);
    return 1;
  }
  printf("c_api_test: all passed\n");
  return 0;
}
