// Plain C API (include/sscodec.h) over the scheduler. Nothing throws across
// it: every C++ exception (bad_alloc, ...) is caught and turned into a status.
#include "include/sscodec.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include "codec_pipeline.h"
#include "environment.h"
#include "scheduler.h"

struct sscodec_codec {
  std::shared_ptr<sscodec::Environment> env;
  std::unique_ptr<sscodec::Scheduler> scheduler;
  mutable std::mutex mu;       // guards error (not used on the wait-free paths)
  mutable std::string error;
  mutable std::string error_copy;
};

namespace {

using sscodec::Status;
using sscodec::StatusCode;

sscodec_status ToC(StatusCode c) {
  return static_cast<sscodec_status>(static_cast<int>(c));  // codes 0..10 coincide
}

void CopyError(const std::string& msg, char* error, size_t error_size) {
  if (!error || error_size == 0) return;
  std::snprintf(error, error_size, "%s", msg.c_str());
}

sscodec_status Fail(const sscodec_codec* c, const Status& s) {
  if (c) {
    std::lock_guard<std::mutex> lock(c->mu);
    c->error = s.ToString();
  }
  return ToC(s.code());
}

sscodec_status Fail(const sscodec_codec* c, sscodec_status st, const std::string& msg) {
  if (c) {
    std::lock_guard<std::mutex> lock(c->mu);
    c->error = std::string(sscodec_status_name(st)) + ": " + msg;
  }
  return st;
}

// n_q for a bitrate: exact (n_q * bits * rate == bps * frame), else error.
bool QuantizersForBitrate(const sscodec::CodecInfo& info, uint32_t bps, int* n_q, std::string* err) {
  const auto& f = info.format;
  const uint64_t num = static_cast<uint64_t>(bps) * f.frame_size;
  const uint64_t den = static_cast<uint64_t>(f.bits_per_code) * f.sample_rate;
  if (den && num % den == 0 && num / den >= 1 && num / den <= f.max_quantizers) {
    *n_q = static_cast<int>(num / den);
    return true;
  }
  const double step = static_cast<double>(den) / f.frame_size;
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "bitrate %u bps is not a multiple of %.0f bps between %.0f and %.0f bps for this model",
                bps, step, step, step * f.max_quantizers);
  *err = buf;
  return false;
}

}  // namespace

extern "C" {

const char* sscodec_status_name(sscodec_status s) {
  switch (s) {
    case SSCODEC_OK: return "OK";
    case SSCODEC_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case SSCODEC_NOT_FOUND: return "NOT_FOUND";
    case SSCODEC_LIBRARY_ERROR: return "LIBRARY_ERROR";
    case SSCODEC_MODEL_LOAD_ERROR: return "MODEL_LOAD_ERROR";
    case SSCODEC_COMPILE_ERROR: return "COMPILE_ERROR";
    case SSCODEC_SHAPE_MISMATCH: return "SHAPE_MISMATCH";
    case SSCODEC_TYPE_MISMATCH: return "TYPE_MISMATCH";
    case SSCODEC_RUNTIME_ERROR: return "RUNTIME_ERROR";
    case SSCODEC_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case SSCODEC_UNSUPPORTED: return "UNSUPPORTED";
    case SSCODEC_NO_DATA: return "NO_DATA";
    case SSCODEC_BUFFER_TOO_SMALL: return "BUFFER_TOO_SMALL";
    case SSCODEC_QUEUE_FULL: return "QUEUE_FULL";
  }
  return "UNKNOWN";
}

void sscodec_config_init(sscodec_config* c) {
  if (!c) return;
  std::memset(c, 0, sizeof(*c));
  c->struct_size = sizeof(*c);
  c->num_threads = 1;
  c->encoder = 1;
  c->decoder = 1;
  c->dtx_threshold_dbfs = -60.0f;
  c->conceal_hold_frames = 2;
  c->conceal_fade_frames = 4;
  c->verify_hashes = 1;
  c->dtx_refresh_frames = sscodec::SchedulerOptions{}.dtx_refresh_frames;
}

sscodec_status sscodec_create(const sscodec_config* cfg, sscodec_codec** out, char* error,
                              size_t error_size) {
  if (out) *out = nullptr;
  // Accept this header's config and the 0.1 one (without dtx_refresh_frames).
  constexpr uint32_t kConfigSizeV01 = offsetof(sscodec_config, dtx_refresh_frames);
  if (!cfg || !out || (cfg->struct_size != sizeof(sscodec_config) && cfg->struct_size != kConfigSizeV01) ||
      !cfg->model_dir) {
    CopyError("INVALID_ARGUMENT: need a config from sscodec_config_init with model_dir set, and out",
              error, error_size);
    return SSCODEC_INVALID_ARGUMENT;
  }
  try {
    auto env = sscodec::Environment::Create(cfg->litert_library ? cfg->litert_library : "");
    if (!env.ok()) {
      CopyError(env.status().ToString(), error, error_size);
      return ToC(env.status().code());
    }
    sscodec::PipelineOptions po;
    po.compile.num_threads = cfg->num_threads > 0 ? cfg->num_threads : 1;
    po.verify_hashes = cfg->verify_hashes != 0;
    const bool want_enc = cfg->encoder || cfg->loopback;
    const bool want_dec = cfg->decoder || cfg->loopback;
    std::unique_ptr<sscodec::EncoderPipeline> enc;
    std::unique_ptr<sscodec::DecoderPipeline> dec;
    if (want_enc) {
      auto e = sscodec::OpenEncoder(*env, cfg->model_dir, po);
      if (!e.ok()) {
        CopyError(e.status().ToString(), error, error_size);
        return ToC(e.status().code());
      }
      enc = std::move(e).value();
    }
    if (want_dec) {
      auto d = sscodec::OpenDecoder(*env, cfg->model_dir, po);
      if (!d.ok()) {
        CopyError(d.status().ToString(), error, error_size);
        return ToC(d.status().code());
      }
      dec = std::move(d).value();
    }
    const sscodec::CodecInfo info = enc ? enc->info() : (dec ? dec->info() : sscodec::CodecInfo());
    sscodec::SchedulerOptions so;
    so.encode = want_enc;
    so.decode = want_dec;
    so.loopback = cfg->loopback != 0;
    so.worker_thread = cfg->worker_thread != 0;
    so.worker_rt_priority = cfg->worker_rt_priority;
    so.input_frames = cfg->input_frames;
    so.output_frames = cfg->output_frames;
    so.packet_slots = cfg->packet_slots;
    so.num_quantizers = cfg->num_quantizers;
    if (cfg->bitrate_bps) {
      std::string msg;
      if (!QuantizersForBitrate(info, cfg->bitrate_bps, &so.num_quantizers, &msg)) {
        CopyError("INVALID_ARGUMENT: " + msg, error, error_size);
        return SSCODEC_INVALID_ARGUMENT;
      }
    }
    so.denoise = cfg->denoise != 0;
    so.decoder_denoise = cfg->decoder_denoise != 0;
    so.dtx = cfg->dtx != 0;
    so.dtx_threshold_dbfs = cfg->dtx_threshold_dbfs;
    if (cfg->struct_size >= sizeof(sscodec_config)) so.dtx_refresh_frames = cfg->dtx_refresh_frames;
    so.conceal.hold_frames = cfg->conceal_hold_frames;
    so.conceal.fade_frames = cfg->conceal_fade_frames;
    auto s = sscodec::Scheduler::Create(std::move(enc), std::move(dec), so);
    if (!s.ok()) {
      CopyError(s.status().ToString(), error, error_size);
      return ToC(s.status().code());
    }
    auto* c = new sscodec_codec();
    c->env = std::move(env).value();
    c->scheduler = std::move(s).value();
    *out = c;
    CopyError("", error, error_size);
    return SSCODEC_OK;
  } catch (const std::bad_alloc&) {
    CopyError("RUNTIME_ERROR: out of memory", error, error_size);
    return SSCODEC_RUNTIME_ERROR;
  } catch (...) {
    CopyError("RUNTIME_ERROR: unexpected exception", error, error_size);
    return SSCODEC_RUNTIME_ERROR;
  }
}

void sscodec_destroy(sscodec_codec* c) {
  delete c;  // stops the worker thread first (Scheduler destructor)
}

sscodec_status sscodec_get_info(const sscodec_codec* c, sscodec_info* info) {
  if (!c || !info) return SSCODEC_INVALID_ARGUMENT;
  const sscodec::CodecInfo& i = c->scheduler->info();
  std::memset(info, 0, sizeof(*info));
  info->struct_size = sizeof(*info);
  info->sample_rate = i.format.sample_rate;
  info->frame_size = i.format.frame_size;
  info->max_quantizers = i.format.max_quantizers;
  info->bits_per_code = i.format.bits_per_code;
  info->codebook_size = i.format.EffectiveCodebookSize();
  info->max_packet_bytes = static_cast<uint32_t>(sscodec::MaxPacketSize(i.format));
  info->delay_samples = static_cast<uint32_t>(c->scheduler->delay_samples());
  info->encoder_denoise = i.encoder_denoise;
  info->decoder_denoise = i.decoder_denoise;
  std::snprintf(info->model_id, sizeof(info->model_id), "%s", i.model_id.c_str());
  std::snprintf(info->kind, sizeof(info->kind), "%s", i.kind.c_str());
  info->model_hash_size = static_cast<uint32_t>(std::min<size_t>(i.model_hash.size(), 64));
  if (info->model_hash_size) std::memcpy(info->model_hash, i.model_hash.data(), info->model_hash_size);
  return SSCODEC_OK;
}

size_t sscodec_push_audio(sscodec_codec* c, const float* samples, size_t n) {
  if (!c) return 0;
  return c->scheduler->PushAudio(samples, n);
}

size_t sscodec_input_room(const sscodec_codec* c) { return c ? c->scheduler->input_room() : 0; }

size_t sscodec_packet_room(const sscodec_codec* c) { return c ? c->scheduler->packet_room() : 0; }

size_t sscodec_output_ready(const sscodec_codec* c) { return c ? c->scheduler->output_ready() : 0; }

sscodec_status sscodec_flush(sscodec_codec* c) {
  if (!c) return SSCODEC_INVALID_ARGUMENT;
  Status s = c->scheduler->Flush();
  return s.ok() ? SSCODEC_OK : Fail(c, s);
}

sscodec_status sscodec_pull_packet(sscodec_codec* c, uint8_t* buf, size_t cap, size_t* size) {
  if (size) *size = 0;
  if (!c || !size) return SSCODEC_INVALID_ARGUMENT;
  Status s = c->scheduler->PullPacket(buf, cap, size);
  if (s.ok()) return SSCODEC_OK;
  if (s.code() == StatusCode::kNotFound) return SSCODEC_NO_DATA;
  if (s.code() == StatusCode::kInvalidArgument) return SSCODEC_BUFFER_TOO_SMALL;
  return ToC(s.code());
}

sscodec_status sscodec_push_packet(sscodec_codec* c, const uint8_t* packet, size_t size) {
  if (!c) return SSCODEC_INVALID_ARGUMENT;
  if (!c->scheduler->options().decode || c->scheduler->options().loopback) {
    return SSCODEC_FAILED_PRECONDITION;
  }
  return c->scheduler->PushPacket(packet, size) ? SSCODEC_OK : SSCODEC_QUEUE_FULL;
}

size_t sscodec_pull_audio(sscodec_codec* c, float* out, size_t n, int pad) {
  if (!c) return 0;
  return c->scheduler->PullAudio(out, n, pad != 0);
}

sscodec_status sscodec_process(sscodec_codec* c, size_t* frames) {
  if (frames) *frames = 0;
  if (!c) return SSCODEC_INVALID_ARGUMENT;
  Status s = c->scheduler->Process(frames);
  return s.ok() ? SSCODEC_OK : Fail(c, s);
}

sscodec_status sscodec_wait_idle(sscodec_codec* c, int timeout_ms) {
  if (!c) return SSCODEC_INVALID_ARGUMENT;
  if (c->scheduler->WaitIdle(timeout_ms < 0 ? 0 : timeout_ms)) return SSCODEC_OK;
  return Fail(c, SSCODEC_RUNTIME_ERROR, "worker not idle after " + std::to_string(timeout_ms) + " ms");
}

sscodec_status sscodec_set_bitrate(sscodec_codec* c, uint32_t bps) {
  if (!c) return SSCODEC_INVALID_ARGUMENT;
  int n_q = 0;
  std::string msg;
  if (!QuantizersForBitrate(c->scheduler->info(), bps, &n_q, &msg)) {
    return Fail(c, SSCODEC_INVALID_ARGUMENT, msg);
  }
  Status s = c->scheduler->SetNumQuantizers(n_q);
  return s.ok() ? SSCODEC_OK : Fail(c, s);
}

sscodec_status sscodec_set_num_quantizers(sscodec_codec* c, int n_q) {
  if (!c) return SSCODEC_INVALID_ARGUMENT;
  Status s = c->scheduler->SetNumQuantizers(n_q);
  return s.ok() ? SSCODEC_OK : Fail(c, s);
}

sscodec_status sscodec_set_denoise(sscodec_codec* c, int enc, int dec) {
  if (!c) return SSCODEC_INVALID_ARGUMENT;
  Status s = c->scheduler->SetDenoise(enc != 0);
  if (s.ok()) s = c->scheduler->SetDecoderDenoise(dec != 0);
  return s.ok() ? SSCODEC_OK : Fail(c, s);
}

sscodec_status sscodec_set_dtx(sscodec_codec* c, int enabled) {
  if (!c) return SSCODEC_INVALID_ARGUMENT;
  c->scheduler->SetDtx(enabled != 0);
  return SSCODEC_OK;
}

sscodec_status sscodec_reset(sscodec_codec* c) {
  if (!c) return SSCODEC_INVALID_ARGUMENT;
  try {
    Status s = c->scheduler->Reset();
    return s.ok() ? SSCODEC_OK : Fail(c, s);
  } catch (...) {
    return Fail(c, SSCODEC_RUNTIME_ERROR, "unexpected exception in reset");
  }
}

sscodec_status sscodec_get_stats(const sscodec_codec* c, sscodec_stats* out) {
  if (!c || !out) return SSCODEC_INVALID_ARGUMENT;
  const sscodec::SchedulerStats s = c->scheduler->GetStats();
  std::memset(out, 0, sizeof(*out));
  out->struct_size = sizeof(*out);
  out->frame_ms = s.frame_ms;
  out->worker_realtime = s.worker_realtime;
  out->samples_in = s.samples_in;
  out->samples_dropped = s.samples_dropped;
  out->samples_padded = s.samples_padded;
  out->input_pending = s.input_pending;
  out->frames_encoded = s.frames_encoded;
  out->packets_dtx_sent = s.packets_dtx_sent;
  out->packets_out = s.packets_out;
  out->packet_bytes_out = s.packet_bytes_out;
  out->encode_errors = s.encode_errors;
  out->packets_in = s.packets_in;
  out->packets_dropped = s.packets_dropped;
  out->packets_lost = s.packets_lost;
  out->packets_corrupt = s.packets_corrupt;
  out->packets_dtx_received = s.packets_dtx_received;
  out->frames_decoded = s.frames_decoded;
  out->frames_concealed = s.frames_concealed;
  out->frames_comfort_noise = s.frames_comfort_noise;
  out->samples_out = s.samples_out;
  out->samples_underrun = s.samples_underrun;
  out->output_pending = s.output_pending;
  out->decode_errors = s.decode_errors;
  out->encoder_ms = s.stage_ms[0];
  out->rvq_encode_ms = s.stage_ms[1];
  out->rvq_decode_ms = s.stage_ms[2];
  out->decoder_ms = s.stage_ms[3];
  out->encode_process_ms = s.encode_process_ms;
  out->decode_process_ms = s.decode_process_ms;
  out->model_ms = s.model_ms;
  out->overhead_ms = s.overhead_ms;
  auto lat = [](const sscodec::LatencySummary& l, sscodec_latency* o) {
    o->frames = l.frames;
    o->mean_ms = l.mean_ms;
    o->p50_ms = l.p50_ms;
    o->p99_ms = l.p99_ms;
    o->max_ms = l.max_ms;
    o->deadline_misses = l.deadline_misses;
  };
  lat(s.encode_latency, &out->encode_latency);
  lat(s.decode_latency, &out->decode_latency);
  return SSCODEC_OK;
}

const char* sscodec_last_error(const sscodec_codec* c) {
  if (!c) return "";
  std::lock_guard<std::mutex> lock(c->mu);
  std::string worker = c->scheduler->last_error();
  c->error_copy = c->error.empty() ? worker : c->error;
  return c->error_copy.c_str();
}

}  // extern "C"
