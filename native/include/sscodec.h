/* sscodec: plain C API of the on-device streaming neural audio codec.
 *
 * One sscodec_codec is one stream: an encoder side (PCM in -> packets out),
 * a decoder side (packets in -> PCM out), or both. It wraps the native frame
 * scheduler: lock-free rings, fixed model frames cut from pushes of any size,
 * zero-copy graph chaining, packet-loss concealment, comfort noise, DTX and
 * real-time statistics. No C++ types or exceptions cross this header; every
 * call returns a status (or a count) and never aborts on bad input.
 *
 * Threads: sscodec_push_audio, sscodec_pull_audio, sscodec_push_packet and
 * sscodec_pull_packet are wait-free and may each be called from its own thread
 * (one thread per function at a time), e.g. the audio capture callback, the
 * playback callback and the network thread. Frames are processed by
 * sscodec_process() on the caller's thread, or, with config.worker_thread, by
 * the codec's own worker thread (the audio callbacks then never wait for
 * inference). sscodec_reset / sscodec_destroy must not run concurrently with
 * any other call on the same codec.
 *
 * Typical use (caller-thread mode):
 *
 *   sscodec_config cfg;
 *   sscodec_config_init(&cfg);
 *   cfg.model_dir = "models/speech16k/float32";
 *   cfg.bitrate_bps = 6000;
 *   sscodec_codec* c = NULL;
 *   char err[256];
 *   if (sscodec_create(&cfg, &c, err, sizeof err) != SSCODEC_OK) { puts(err); ... }
 *   sscodec_push_audio(c, pcm, n);            // any n
 *   sscodec_process(c, NULL);
 *   while (sscodec_pull_packet(c, buf, sizeof buf, &size) == SSCODEC_OK) send(buf, size);
 *   ...
 *   sscodec_push_packet(c, pkt, pkt_size);    // or (NULL, 0) for a lost packet
 *   sscodec_process(c, NULL);
 *   sscodec_pull_audio(c, out, n, 1);         // zero-padded on underrun (counted)
 *   sscodec_destroy(c);
 */
#ifndef SSCODEC_H_
#define SSCODEC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SSCODEC_API_VERSION 1

typedef enum sscodec_status {
  SSCODEC_OK = 0,
  SSCODEC_INVALID_ARGUMENT = 1,
  SSCODEC_NOT_FOUND = 2,          /* model folder/file missing */
  SSCODEC_LIBRARY_ERROR = 3,      /* libLiteRt.so missing or incompatible */
  SSCODEC_MODEL_LOAD_ERROR = 4,   /* corrupt / mismatched model folder */
  SSCODEC_COMPILE_ERROR = 5,
  SSCODEC_SHAPE_MISMATCH = 6,     /* graphs do not match the declared interface */
  SSCODEC_TYPE_MISMATCH = 7,
  SSCODEC_RUNTIME_ERROR = 8,
  SSCODEC_FAILED_PRECONDITION = 9, /* call not valid in this configuration/state */
  SSCODEC_UNSUPPORTED = 10,
  SSCODEC_NO_DATA = 11,           /* sscodec_pull_packet: nothing ready (not an error) */
  SSCODEC_BUFFER_TOO_SMALL = 12,
  SSCODEC_QUEUE_FULL = 13         /* sscodec_push_packet: dropped (counted) */
} sscodec_status;

typedef struct sscodec_codec sscodec_codec;

typedef struct sscodec_config {
  uint32_t struct_size;        /* set by sscodec_config_init */
  const char* model_dir;       /* sscodec model folder (manifest.json) or Lyra v2 folder */
  const char* litert_library;  /* path of libLiteRt.so; NULL: $SSCODEC_LITERT_LIB, then the loader */
  int num_threads;             /* XNNPACK threads per graph (default 1) */
  int encoder;                 /* 1: create the encoder side (default 1) */
  int decoder;                 /* 1: create the decoder side (default 1) */
  int loopback;                /* 1: packets go straight from encoder to decoder (default 0) */
  int worker_thread;           /* 1: process on an own thread (default 0) */
  int worker_rt_priority;      /* > 0: worker runs SCHED_FIFO at this priority if permitted (default 0) */
  uint32_t bitrate_bps;        /* initial bitrate; 0: use num_quantizers */
  int num_quantizers;          /* used when bitrate_bps == 0; 0: model default */
  int denoise;                 /* encoder-side denoise flag */
  int decoder_denoise;         /* decoder-side denoise flag */
  int dtx;                     /* send DTX packets for silence */
  float dtx_threshold_dbfs;    /* default -60 */
  uint32_t input_frames;       /* ring capacities in frames / packets; 0 = defaults */
  uint32_t output_frames;
  uint32_t packet_slots;
  int conceal_hold_frames;     /* default 2 */
  int conceal_fade_frames;     /* default 4 */
  int verify_hashes;           /* check graph sha256 against the manifest (default 1) */
  /* Added in 0.2 (a config of the 0.1 size is still accepted; this field then
     takes its default): during DTX, every Nth silent frame is sent as a normal
     low-rate packet (2 codes) so the receiver's comfort noise follows the
     background; default 20 (400 ms), 0 = pure 2-byte DTX packets. */
  int dtx_refresh_frames;
} sscodec_config;

typedef struct sscodec_info {
  uint32_t struct_size;
  uint32_t sample_rate;
  uint32_t frame_size;
  uint32_t max_quantizers;
  uint32_t bits_per_code;
  uint32_t codebook_size;
  uint32_t max_packet_bytes;
  uint32_t delay_samples;      /* scheduler buffering delay (one frame) */
  int encoder_denoise;
  int decoder_denoise;
  char model_id[256];
  char kind[16];               /* "sscodec" or "lyra-v2" */
  uint8_t model_hash[64];
  uint32_t model_hash_size;
} sscodec_info;

typedef struct sscodec_latency {
  uint64_t frames;
  double mean_ms, p50_ms, p99_ms, max_ms;
  uint64_t deadline_misses;
} sscodec_latency;

typedef struct sscodec_stats {
  uint32_t struct_size;
  double frame_ms;
  int worker_realtime;         /* the worker thread got real-time priority */
  /* encoder side */
  uint64_t samples_in, samples_dropped, samples_padded, input_pending;
  uint64_t frames_encoded, packets_dtx_sent, packets_out, packet_bytes_out, encode_errors;
  /* decoder side */
  uint64_t packets_in, packets_dropped, packets_lost, packets_corrupt, packets_dtx_received;
  uint64_t frames_decoded, frames_concealed, frames_comfort_noise;
  uint64_t samples_out, samples_underrun, output_pending, decode_errors;
  /* time, milliseconds (totals) */
  double encoder_ms, rvq_encode_ms, rvq_decode_ms, decoder_ms;
  double encode_process_ms, decode_process_ms, model_ms, overhead_ms;
  sscodec_latency encode_latency, decode_latency;
} sscodec_stats;

/* Defaults (see the field comments). */
void sscodec_config_init(sscodec_config* config);

/* Loads the model and creates a stream. On failure *out is NULL and, if
 * error is non-NULL, a NUL-terminated message is written to it. */
sscodec_status sscodec_create(const sscodec_config* config, sscodec_codec** out, char* error,
                              size_t error_size);
void sscodec_destroy(sscodec_codec* codec);

sscodec_status sscodec_get_info(const sscodec_codec* codec, sscodec_info* info);

/* Encoder side. Returns the number of samples accepted; the rest did not fit
 * in the input ring and are counted in stats.samples_dropped. */
size_t sscodec_push_audio(sscodec_codec* codec, const float* samples, size_t n);
/* Samples sscodec_push_audio would accept right now (producer thread). */
size_t sscodec_input_room(const sscodec_codec* codec);
/* Zero-pads the last partial frame (end of stream; counted as samples_padded). */
sscodec_status sscodec_flush(sscodec_codec* codec);
/* SSCODEC_OK and *size: a packet was copied; SSCODEC_NO_DATA: none ready. */
sscodec_status sscodec_pull_packet(sscodec_codec* codec, uint8_t* buffer, size_t capacity,
                                   size_t* size);

/* Decoder side: one frame's packet; (NULL, 0) marks a lost frame.
 * SSCODEC_QUEUE_FULL: the queue is full, the packet was dropped (counted). */
sscodec_status sscodec_push_packet(sscodec_codec* codec, const uint8_t* packet, size_t size);
/* Up to n decoded samples; returns how many were available. With pad != 0
 * the rest of out is zero-filled and counted as stats.samples_underrun. */
size_t sscodec_pull_audio(sscodec_codec* codec, float* out, size_t n, int pad);

/* Packets sscodec_push_packet would accept right now (network thread). */
size_t sscodec_packet_room(const sscodec_codec* codec);
/* Decoded samples ready for sscodec_pull_audio (consumer thread). */
size_t sscodec_output_ready(const sscodec_codec* codec);

/* Caller-thread mode: processes every frame that can be processed now. */
sscodec_status sscodec_process(sscodec_codec* codec, size_t* frames_processed);
/* Worker mode: waits up to timeout_ms until the worker is idle. */
sscodec_status sscodec_wait_idle(sscodec_codec* codec, int timeout_ms);

/* Controls (any thread; apply to frames processed afterwards). */
sscodec_status sscodec_set_bitrate(sscodec_codec* codec, uint32_t bitrate_bps);
sscodec_status sscodec_set_num_quantizers(sscodec_codec* codec, int num_quantizers);
sscodec_status sscodec_set_denoise(sscodec_codec* codec, int encoder_side, int decoder_side);
sscodec_status sscodec_set_dtx(sscodec_codec* codec, int enabled);

/* New stream: all state, queues and statistics cleared. */
sscodec_status sscodec_reset(sscodec_codec* codec);

sscodec_status sscodec_get_stats(const sscodec_codec* codec, sscodec_stats* stats);
/* Last error message of this codec ("" if none); valid until the next call. */
const char* sscodec_last_error(const sscodec_codec* codec);
const char* sscodec_status_name(sscodec_status status);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* SSCODEC_H_ */
