// Real-time frame scheduler: lock-free rings around the codec pipelines.
//
//   send side     PushAudio (any number of samples) -> input ring -> cut
//                 frame_size frames -> EncoderPipeline -> PackPacket ->
//                 packet queue -> PullPacket
//   receive side  PushPacket (bytes, or a lost-frame marker) -> packet queue
//                 -> UnpackPacket -> concealment policy -> DecoderPipeline ->
//                 comfort-noise mix -> output ring -> PullAudio
//
// Threads: PushAudio / PullAudio / PushPacket / PullPacket are each called by
// one thread at a time (e.g. a capture callback, a playback callback, a
// network thread); they are wait-free (no locks, no allocation, no inference).
// Frames are processed either by the caller (Process(), "caller-thread mode")
// or by the scheduler's own worker thread (options.worker_thread), woken by a
// semaphore the producers post to.
//
// Nothing is dropped silently: a push into a full input ring or packet queue
// drops what does not fit and counts it (samples_dropped / packets_dropped),
// a pull from an empty output ring is zero-padded and counted
// (samples_underrun), Flush() zero-pads the last partial frame and counts it
// (samples_padded), lost / corrupt packets are concealed and counted. Full
// downstream queues apply back-pressure (frames wait in their ring) rather
// than dropping. Invariants (checked by the tests):
//   samples_in + samples_padded == frames_encoded * frame_size + input_pending
//   frames_decoded * frame_size == samples_out + output_pending
// Timing: per stage (the four graphs) and per frame; latency = from a frame's
// last input sample (or its packet) arriving to its packet (or audio) being
// ready, as p50/p99/max; a frame whose latency exceeds the frame duration is
// a deadline miss.
#pragma once

#include <semaphore.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "codec_pipeline.h"
#include "concealment.h"
#include "packet.h"
#include "spsc.h"
#include "status.h"

namespace sscodec {

struct SchedulerOptions {
  bool encode = true;          // send side (needs an EncoderPipeline)
  bool decode = true;          // receive side (needs a DecoderPipeline)
  bool loopback = false;       // encoded packets go straight to this decoder
  bool worker_thread = false;  // process on an own thread instead of Process()
  int worker_rt_priority = 0;  // > 0: run the worker SCHED_FIFO at this priority (best effort)
  uint32_t input_frames = 0;   // input ring capacity in frames (0: 50)
  uint32_t output_frames = 0;  // output ring capacity in frames (0: 50)
  uint32_t packet_slots = 0;   // capacity of each packet queue (0: 64)
  int num_quantizers = 0;      // 0: the model's default
  bool denoise = false;        // encoder-side denoise flag
  bool decoder_denoise = false;  // decoder-side denoise (packets without DENOISE only)
  bool dtx = false;            // send DTX packets for silence
  float dtx_threshold_dbfs = -60.0f;  // frame RMS below this is silence
  int dtx_hangover_frames = 10;       // silent frames still sent before DTX starts
  // During DTX every dtx_refresh_frames-th frame goes out as a normal packet
  // with at most dtx_refresh_quantizers codes (SID-like background refresh, as
  // Opus sends one frame per 400 ms): the receiver decodes it and its comfort
  // noise follows a changing background. 0 = never (pure 2-byte DTX packets).
  int dtx_refresh_frames = 20;
  int dtx_refresh_quantizers = 2;
  ConcealmentOptions conceal;
};

// Latency distribution of one side (milliseconds).
struct LatencySummary {
  uint64_t frames = 0;
  double mean_ms = 0, p50_ms = 0, p99_ms = 0, max_ms = 0;
  uint64_t deadline_misses = 0;  // frames with latency > frame duration
};

struct SchedulerStats {
  double frame_ms = 0;  // budget per frame = frame duration
  bool worker_realtime = false;  // the worker runs with real-time priority
  // send side
  uint64_t samples_in = 0;         // accepted by PushAudio
  uint64_t samples_dropped = 0;    // PushAudio overrun (input ring full)
  uint64_t samples_padded = 0;     // zeros added by Flush()
  uint64_t input_pending = 0;      // samples waiting in the input ring
  uint64_t frames_encoded = 0;
  uint64_t packets_dtx_sent = 0;
  uint64_t packets_out = 0;        // handed out by PullPacket
  uint64_t packet_bytes_out = 0;
  uint64_t encode_errors = 0;
  // receive side
  uint64_t packets_in = 0;         // accepted by PushPacket (lost markers included)
  uint64_t packets_dropped = 0;    // PushPacket overrun (packet queue full)
  uint64_t packets_lost = 0;       // lost markers (concealed)
  uint64_t packets_corrupt = 0;    // failed to parse (concealed as lost)
  uint64_t packets_dtx_received = 0;
  uint64_t frames_decoded = 0;     // output frames produced (any kind)
  uint64_t frames_concealed = 0;   // repeat-concealed frames
  uint64_t frames_comfort_noise = 0;  // comfort-noise-only frames
  uint64_t samples_out = 0;        // delivered by PullAudio (real samples)
  uint64_t samples_underrun = 0;   // zero samples PullAudio padded with
  uint64_t output_pending = 0;     // samples waiting in the output ring
  uint64_t decode_errors = 0;
  // timing (totals in milliseconds)
  double stage_ms[kNumStages] = {0, 0, 0, 0};
  double encode_process_ms = 0;    // wall time of send-side frame processing
  double decode_process_ms = 0;    // wall time of receive-side frame processing
  double model_ms = 0;             // sum of stage_ms
  double overhead_ms = 0;          // processing wall time minus model time
  LatencySummary encode_latency, decode_latency;
};

class Scheduler {
 public:
  static StatusOr<std::unique_ptr<Scheduler>> Create(std::unique_ptr<EncoderPipeline> encoder,
                                                     std::unique_ptr<DecoderPipeline> decoder,
                                                     const SchedulerOptions& options);
  ~Scheduler();

  const CodecInfo& info() const { return info_; }
  const SchedulerOptions& options() const { return opt_; }
  int frame_size() const { return frame_; }
  // Algorithmic delay of the scheduler: samples buffered before a frame is
  // encoded (one frame).
  int delay_samples() const { return frame_; }

  // --- producer / consumer calls (wait-free) --------------------------------
  // Accepts up to n samples; returns how many (the rest are counted dropped).
  size_t PushAudio(const float* samples, size_t n);
  // Producer side: samples PushAudio would accept now (to push without drops).
  size_t input_room() const { return opt_.encode ? in_ring_->write_available() : 0; }
  // Packet producer side: packets PushPacket would accept now.
  size_t packet_room() const {
    return opt_.decode && !opt_.loopback ? in_packets_->capacity() - in_packets_->size() : 0;
  }
  // Consumer side: decoded samples ready for PullAudio.
  size_t output_ready() const { return opt_.decode ? out_ring_->read_available() : 0; }
  // Zero-pads the input to a whole frame (counted). kFailedPrecondition if the
  // ring has no room for the padding (process first).
  Status Flush();
  // Next packet into buf (capacity cap). kNotFound if none is ready;
  // kInvalidArgument if cap is too small (the packet stays queued).
  Status PullPacket(uint8_t* buf, size_t cap, size_t* size);
  // One frame's packet; data == nullptr or size == 0 marks a lost frame.
  // false if the packet queue is full (the packet is dropped and counted).
  bool PushPacket(const uint8_t* data, size_t size);
  // Up to n decoded samples into out; returns how many were real. With
  // pad_underrun the rest of out is zero-filled and counted as underrun.
  size_t PullAudio(float* out, size_t n, bool pad_underrun);

  // --- processing --------------------------------------------------------------
  // Caller-thread mode: processes every frame that can be processed now;
  // *frames (nullable) = frames processed. kFailedPrecondition with a worker.
  Status Process(size_t* frames);
  // Worker mode: waits until the worker has nothing left it can do (or
  // timeout); true if idle.
  bool WaitIdle(int timeout_ms);

  // --- control (any thread; applies to frames processed afterwards) ----------
  Status SetNumQuantizers(int n_q);
  int num_quantizers() const { return nq_.load(std::memory_order_relaxed); }
  Status SetDenoise(bool on);
  Status SetDecoderDenoise(bool on);
  void SetDtx(bool on) { dtx_.store(on, std::memory_order_relaxed); }

  // New stream: stops the worker, empties every queue, zeroes model state,
  // concealment and statistics, restarts the worker. Not concurrently with
  // the push/pull calls.
  Status Reset();

  SchedulerStats GetStats() const;
  // Test hook (quiescent scheduler only): one pending frame-completion time
  // per complete frame waiting in the input ring.
  bool TimesInSync() const;
  // Last processing error message ("" if none).
  std::string last_error() const;

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

 private:
  struct PacketSlot {
    int64_t ready_ns;  // when the frame/packet became available
    uint16_t size;
    uint8_t kind;      // 0 packet, 1 lost marker, 2 oversize (corrupt)
    uint8_t data[kMaxPacketBytes];
  };
  class Histogram;

  Scheduler() = default;
  Status Init();
  bool EncodeOne();
  bool DecodeOne();
  size_t ProcessAvailable();
  void WorkerLoop();
  void Wake();
  void StartWorker();
  void StopWorker();
  void RecordError(const Status& s, bool encode);
  void ClearStats();

  SchedulerOptions opt_;
  CodecInfo info_;
  int frame_ = 0;
  int64_t frame_ns_ = 0;
  std::unique_ptr<EncoderPipeline> enc_;
  std::unique_ptr<DecoderPipeline> dec_;

  std::unique_ptr<SpscRing<float>> in_ring_;
  std::unique_ptr<SpscRing<int64_t>> frame_times_;
  std::unique_ptr<SpscSlots<PacketSlot>> out_packets_;
  std::unique_ptr<SpscSlots<PacketSlot>> in_packets_;
  std::unique_ptr<SpscRing<float>> out_ring_;

  // Processing-thread state.
  std::vector<uint16_t> codes_;
  std::vector<uint16_t> rx_codes_;
  std::vector<float> mix_, noise_;
  std::unique_ptr<ConcealmentPolicy> policy_;
  std::unique_ptr<ComfortNoise> cng_;
  int quiet_frames_ = 0;

  std::atomic<int> nq_{1};
  std::atomic<bool> denoise_{false}, dec_denoise_{false}, dtx_{false};

  // Worker.
  std::thread worker_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> busy_{false};
  std::atomic<bool> worker_rt_{false};
  sem_t sem_;
  bool sem_ok_ = false;

  // Statistics: each counter has a single writer; readers use relaxed loads.
  struct Counters {
    std::atomic<uint64_t> samples_in{0}, samples_dropped{0}, samples_padded{0};
    std::atomic<uint64_t> frames_encoded{0}, packets_dtx_sent{0}, packets_out{0},
        packet_bytes_out{0}, encode_errors{0};
    std::atomic<uint64_t> packets_in{0}, packets_dropped{0}, packets_lost{0}, packets_corrupt{0},
        packets_dtx_received{0}, frames_decoded{0}, frames_concealed{0},
        frames_comfort_noise{0}, samples_out{0}, samples_underrun{0}, decode_errors{0};
    std::atomic<int64_t> stage_ns[kNumStages];
    std::atomic<int64_t> encode_process_ns{0}, decode_process_ns{0};
  };
  std::unique_ptr<Counters> c_;
  std::unique_ptr<Histogram> enc_lat_, dec_lat_;
  mutable std::mutex err_mu_;  // error path only
  std::string last_error_;
};

}  // namespace sscodec
