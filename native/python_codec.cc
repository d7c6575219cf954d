// pybind11 bindings of the plain C API (include/sscodec.h): sscodec._native.Codec,
// plus the native concealment policy (for the Python/C++ parity test).
// Errors raise sscodec._native.Error with .code = the sscodec_status name.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "concealment.h"
#include "include/sscodec.h"

namespace py = pybind11;

namespace sscodec_py {

[[noreturn]] void Raise(sscodec_status st, const std::string& msg) {
  py::object type = py::module_::import("sscodec._native").attr("Error");
  const std::string code = sscodec_status_name(st);
  const std::string text = msg.rfind(code, 0) == 0 ? msg : code + ": " + msg;
  py::object exc = type(text);
  exc.attr("code") = code;
  PyErr_SetObject(type.ptr(), exc.ptr());
  throw py::error_already_set();
}

struct Codec {
  sscodec_codec* c = nullptr;
  sscodec_info info{};
  bool worker = false;

  ~Codec() {
    if (c) {
      py::gil_scoped_release release;
      sscodec_destroy(c);
    }
  }
  sscodec_codec* get() const {
    if (!c) Raise(SSCODEC_FAILED_PRECONDITION, "codec is closed");
    return c;
  }
  void Check(sscodec_status st) const {
    if (st != SSCODEC_OK) Raise(st, sscodec_last_error(c));
  }
};

py::dict LatencyDict(const sscodec_latency& l) {
  py::dict d;
  d["frames"] = l.frames;
  d["mean_ms"] = l.mean_ms;
  d["p50_ms"] = l.p50_ms;
  d["p99_ms"] = l.p99_ms;
  d["max_ms"] = l.max_ms;
  d["deadline_misses"] = l.deadline_misses;
  return d;
}

py::dict StatsDict(const sscodec_stats& s) {
  py::dict d;
#define F(name) d[#name] = s.name
  d["worker_realtime"] = static_cast<bool>(s.worker_realtime);
  F(frame_ms); F(samples_in); F(samples_dropped); F(samples_padded); F(input_pending);
  F(frames_encoded); F(packets_dtx_sent); F(packets_out); F(packet_bytes_out); F(encode_errors);
  F(packets_in); F(packets_dropped); F(packets_lost); F(packets_corrupt); F(packets_dtx_received);
  F(frames_decoded); F(frames_concealed); F(frames_comfort_noise); F(samples_out);
  F(samples_underrun); F(output_pending); F(decode_errors); F(encoder_ms); F(rvq_encode_ms);
  F(rvq_decode_ms); F(decoder_ms); F(encode_process_ms); F(decode_process_ms); F(model_ms);
  F(overhead_ms);
#undef F
  d["encode_latency"] = LatencyDict(s.encode_latency);
  d["decode_latency"] = LatencyDict(s.decode_latency);
  return d;
}

void Bind(py::module_& m) {
  py::class_<Codec>(m, "Codec",
                    "One codec stream over the plain C API (sscodec.h): encoder side, decoder "
                    "side, or both (loopback). See sscodec.codec for the Python API.")
      .def(py::init([](const std::string& model_dir, const std::string& litert_library,
                       bool encoder, bool decoder, bool loopback, bool worker_thread,
                       uint32_t bitrate, int num_quantizers, bool denoise, bool decoder_denoise,
                       bool dtx, float dtx_threshold_dbfs, uint32_t input_frames,
                       uint32_t output_frames, uint32_t packet_slots, int num_threads,
                       int conceal_hold_frames, int conceal_fade_frames, bool verify_hashes,
                       int worker_rt_priority, std::optional<int> dtx_refresh_frames) {
             sscodec_config cfg;
             sscodec_config_init(&cfg);
             cfg.model_dir = model_dir.c_str();
             cfg.litert_library = litert_library.empty() ? nullptr : litert_library.c_str();
             cfg.encoder = encoder;
             cfg.decoder = decoder;
             cfg.loopback = loopback;
             cfg.worker_thread = worker_thread;
             cfg.bitrate_bps = bitrate;
             cfg.num_quantizers = num_quantizers;
             cfg.denoise = denoise;
             cfg.decoder_denoise = decoder_denoise;
             cfg.dtx = dtx;
             cfg.dtx_threshold_dbfs = dtx_threshold_dbfs;
             cfg.input_frames = input_frames;
             cfg.output_frames = output_frames;
             cfg.packet_slots = packet_slots;
             cfg.num_threads = num_threads;
             cfg.conceal_hold_frames = conceal_hold_frames;
             cfg.conceal_fade_frames = conceal_fade_frames;
             cfg.verify_hashes = verify_hashes;
             cfg.worker_rt_priority = worker_rt_priority;
             // None keeps sscodec_config_init's value (the scheduler's default).
             if (dtx_refresh_frames) cfg.dtx_refresh_frames = *dtx_refresh_frames;
             auto codec = std::make_unique<Codec>();
             char err[1024] = {0};
             sscodec_status st;
             {
               py::gil_scoped_release release;
               st = sscodec_create(&cfg, &codec->c, err, sizeof err);
             }
             if (st != SSCODEC_OK) Raise(st, err);
             sscodec_get_info(codec->c, &codec->info);
             codec->worker = worker_thread;
             return codec;
           }),
           py::arg("model_dir"), py::arg("litert_library") = "", py::arg("encoder") = true,
           py::arg("decoder") = true, py::arg("loopback") = false,
           py::arg("worker_thread") = false, py::arg("bitrate") = 0,
           py::arg("num_quantizers") = 0, py::arg("denoise") = false,
           py::arg("decoder_denoise") = false, py::arg("dtx") = false,
           py::arg("dtx_threshold_dbfs") = -60.0f, py::arg("input_frames") = 0,
           py::arg("output_frames") = 0, py::arg("packet_slots") = 0,
           py::arg("num_threads") = 1, py::arg("conceal_hold_frames") = 2,
           py::arg("conceal_fade_frames") = 4, py::arg("verify_hashes") = true,
           py::arg("worker_rt_priority") = 0, py::arg("dtx_refresh_frames") = py::none())
      .def_property_readonly("info", [](const Codec& c) {
        const sscodec_info& i = c.info;
        py::dict d;
        d["sample_rate"] = i.sample_rate;
        d["frame_size"] = i.frame_size;
        d["max_quantizers"] = i.max_quantizers;
        d["bits_per_code"] = i.bits_per_code;
        d["codebook_size"] = i.codebook_size;
        d["max_packet_bytes"] = i.max_packet_bytes;
        d["delay_samples"] = i.delay_samples;
        d["encoder_denoise"] = static_cast<bool>(i.encoder_denoise);
        d["decoder_denoise"] = static_cast<bool>(i.decoder_denoise);
        d["model_id"] = std::string(i.model_id);
        d["kind"] = std::string(i.kind);
        d["model_hash"] = py::bytes(reinterpret_cast<const char*>(i.model_hash), i.model_hash_size);
        return d;
      })
      .def("push_audio",
           [](Codec& c, py::array_t<float, py::array::c_style | py::array::forcecast> x) {
             if (x.ndim() != 1) Raise(SSCODEC_INVALID_ARGUMENT, "audio must be 1-D");
             return sscodec_push_audio(c.get(), x.data(), static_cast<size_t>(x.shape(0)));
           },
           py::arg("samples"),
           "Push samples (any count); returns how many were accepted (the rest is counted "
           "as dropped).")
      .def("input_room", [](const Codec& c) { return sscodec_input_room(c.get()); })
      .def("output_ready", [](const Codec& c) { return sscodec_output_ready(c.get()); })
      .def("flush", [](Codec& c) { c.Check(sscodec_flush(c.get())); },
           "Zero-pad the last partial frame (end of stream).")
      .def("pull_packets",
           [](Codec& c) {
             py::list out;
             uint8_t buf[1024];
             size_t size = 0;
             sscodec_status st;
             while ((st = sscodec_pull_packet(c.get(), buf, sizeof buf, &size)) == SSCODEC_OK) {
               out.append(py::bytes(reinterpret_cast<const char*>(buf), size));
             }
             if (st != SSCODEC_NO_DATA) c.Check(st);
             return out;
           },
           "Every packet that is ready, as a list of bytes.")
      .def("push_packet",
           [](Codec& c, py::object packet) {
             sscodec_status st;
             if (packet.is_none()) {
               st = sscodec_push_packet(c.get(), nullptr, 0);
             } else {
               std::string b = packet.cast<std::string>();
               st = sscodec_push_packet(c.get(), reinterpret_cast<const uint8_t*>(b.data()), b.size());
             }
             if (st == SSCODEC_QUEUE_FULL) return false;
             c.Check(st);
             return true;
           },
           py::arg("packet"),
           "Push one frame's packet (None: lost). False if the queue was full (dropped, counted).")
      .def("packet_room", [](const Codec& c) { return sscodec_packet_room(c.get()); },
           "Packets push_packet would accept now.")
      .def("pull_audio",
           [](Codec& c, py::object n_obj, bool pad) {
             size_t n = n_obj.is_none() ? sscodec_output_ready(c.get()) : n_obj.cast<size_t>();
             py::array_t<float> out(static_cast<py::ssize_t>(n));
             const size_t got = sscodec_pull_audio(c.get(), out.mutable_data(), n, pad);
             if (!pad && got < n) out.resize({static_cast<py::ssize_t>(got)});
             return out;
           },
           py::arg("n") = py::none(), py::arg("pad") = false,
           "Up to n decoded samples (None: all ready). pad=True returns exactly n, "
           "zero-padding (and counting) an underrun.")
      .def("process",
           [](Codec& c) {
             size_t frames = 0;
             sscodec_status st;
             {
               py::gil_scoped_release release;
               st = sscodec_process(c.get(), &frames);
             }
             c.Check(st);
             return frames;
           },
           "Caller-thread mode: process every frame possible now; returns the frame count.")
      .def("wait_idle",
           [](Codec& c, int timeout_ms) {
             sscodec_status st;
             {
               py::gil_scoped_release release;
               st = sscodec_wait_idle(c.get(), timeout_ms);
             }
             return st == SSCODEC_OK;
           },
           py::arg("timeout_ms") = 10000)
      .def("encode",
           [](Codec& c, py::array_t<float, py::array::c_style | py::array::forcecast> x,
              bool flush) {
             if (x.ndim() != 1) Raise(SSCODEC_INVALID_ARGUMENT, "audio must be 1-D");
             if (c.worker) Raise(SSCODEC_FAILED_PRECONDITION, "encode() needs caller-thread mode");
             const float* p = x.data();
             const size_t n = static_cast<size_t>(x.shape(0));
             std::vector<std::string> packets;
             sscodec_status st = SSCODEC_OK;
             {
               py::gil_scoped_release release;
               sscodec_codec* h = c.c;
               uint8_t buf[1024];
               size_t size = 0, pos = 0;
               auto drain = [&]() {
                 size_t frames = 0;
                 st = sscodec_process(h, &frames);
                 while (sscodec_pull_packet(h, buf, sizeof buf, &size) == SSCODEC_OK) {
                   packets.emplace_back(reinterpret_cast<const char*>(buf), size);
                 }
               };
               while (pos < n && st == SSCODEC_OK) {
                 const size_t take = std::min(n - pos, sscodec_input_room(h));
                 pos += sscodec_push_audio(h, p + pos, take);
                 drain();
               }
               if (flush && st == SSCODEC_OK) {
                 st = sscodec_flush(h);
                 if (st == SSCODEC_OK) drain();
               }
             }
             c.Check(st);
             py::list out;
             for (const std::string& s : packets) out.append(py::bytes(s));
             return out;
           },
           py::arg("audio"), py::arg("flush") = false,
           "Encoder side, caller-thread mode: push all samples (never dropping), process, "
           "return the packets of every completed frame (flush=True pads and ends the stream).")
      .def("decode",
           [](Codec& c, py::iterable packets) {
             if (c.worker) Raise(SSCODEC_FAILED_PRECONDITION, "decode() needs caller-thread mode");
             std::vector<std::string> data;
             std::vector<char> lost;
             for (py::handle p : packets) {
               if (p.is_none()) {
                 data.emplace_back();
                 lost.push_back(1);
               } else {
                 data.push_back(p.cast<std::string>());
                 lost.push_back(data.back().empty() ? 1 : 0);
               }
             }
             std::vector<float> audio;
             sscodec_status st = SSCODEC_OK;
             {
               py::gil_scoped_release release;
               sscodec_codec* h = c.c;
               const size_t F = c.info.frame_size;
               audio.reserve(data.size() * F);
               std::vector<float> buf(F * 64);
               for (size_t i = 0; i < data.size() && st == SSCODEC_OK; ++i) {
                 st = lost[i] ? sscodec_push_packet(h, nullptr, 0)
                              : sscodec_push_packet(h, reinterpret_cast<const uint8_t*>(data[i].data()),
                                                    data[i].size());
                 if (st != SSCODEC_OK) break;
                 size_t frames = 0;
                 st = sscodec_process(h, &frames);
                 size_t got;
                 while ((got = sscodec_pull_audio(h, buf.data(), buf.size(), 0)) > 0) {
                   audio.insert(audio.end(), buf.begin(), buf.begin() + static_cast<long>(got));
                 }
               }
             }
             c.Check(st);
             py::array_t<float> out(static_cast<py::ssize_t>(audio.size()));
             std::copy(audio.begin(), audio.end(), out.mutable_data());
             return out;
           },
           py::arg("packets"),
           "Decoder side, caller-thread mode: one frame of audio per packet (None = lost, "
           "concealed), as one float32 array.")
      .def("set_bitrate", [](Codec& c, uint32_t bps) { c.Check(sscodec_set_bitrate(c.get(), bps)); })
      .def("set_num_quantizers",
           [](Codec& c, int n) { c.Check(sscodec_set_num_quantizers(c.get(), n)); })
      .def("set_denoise",
           [](Codec& c, bool enc, bool dec) { c.Check(sscodec_set_denoise(c.get(), enc, dec)); },
           py::arg("encoder_side"), py::arg("decoder_side") = false)
      .def("set_dtx", [](Codec& c, bool on) { c.Check(sscodec_set_dtx(c.get(), on)); })
      .def("reset",
           [](Codec& c) {
             sscodec_status st;
             {
               py::gil_scoped_release release;
               st = sscodec_reset(c.get());
             }
             c.Check(st);
           })
      .def("stats",
           [](const Codec& c) {
             sscodec_stats s;
             sscodec_get_stats(c.get(), &s);
             return StatsDict(s);
           })
      .def("last_error", [](const Codec& c) { return std::string(sscodec_last_error(c.get())); })
      .def("close", [](Codec& c) {
        if (c.c) {
          py::gil_scoped_release release;
          sscodec_destroy(c.c);
          c.c = nullptr;
        }
      });

  using sscodec::ConcealMode;
  using sscodec::ConcealmentOptions;
  using sscodec::ConcealmentPolicy;
  using sscodec::FramePlan;
  py::class_<ConcealmentPolicy>(m, "ConcealmentPolicy",
                                "The native packet-loss concealment policy (same rules as "
                                "sscodec.concealment.ConcealmentPolicy).")
      .def(py::init([](int hold, int fade, int min_q) {
             ConcealmentOptions o;
             o.hold_frames = hold;
             o.fade_frames = fade;
             o.min_repeat_quantizers = min_q;
             return std::make_unique<ConcealmentPolicy>(o, 255);
           }),
           py::arg("hold_frames") = 2, py::arg("fade_frames") = 4,
           py::arg("min_repeat_quantizers") = 4)
      .def("next", [](ConcealmentPolicy& p, py::object event) {
        FramePlan f;
        if (event.is_none()) {
          f = p.OnLoss();
        } else if (py::isinstance<py::str>(event) && event.cast<std::string>() == "dtx") {
          f = p.OnDtx();
        } else {
          std::vector<uint16_t> codes = event.cast<std::vector<uint16_t>>();
          f = p.OnPacket(codes.data(), static_cast<int>(codes.size()));
        }
        static const char* kModes[] = {"decode", "repeat", "comfort_noise"};
        py::object codes = py::none();
        if (f.codes) codes = py::cast(std::vector<uint16_t>(f.codes, f.codes + f.n_q));
        return py::make_tuple(kModes[static_cast<int>(f.mode)], codes,
                              py::make_tuple(f.speech0, f.speech1),
                              py::make_tuple(f.noise0, f.noise1), f.lost_count);
      }, py::arg("event"), "event: codes (list), None (lost) or 'dtx' -> (mode, codes, speech, noise, lost)");
}

}  // namespace sscodec_py
