#include "lyra_v2.h"

#include <chrono>
#include <cstring>

namespace sscodec {

namespace {

Status Expect(const TensorInfo& t, DType dtype, const std::vector<int32_t>& shape,
              const std::string& where) {
  if (t.dtype != dtype || t.shape != shape) {
    return Status(StatusCode::kShapeMismatch,
                  where + " '" + t.name + "' is " + DTypeName(t.dtype) +
                      ShapeToString(t.shape) + ", Lyra v2 expects " + DTypeName(dtype) +
                      ShapeToString(shape));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<LyraV2Chain>> LyraV2Chain::Create(std::shared_ptr<Environment> env,
                                                           const std::string& model_dir,
                                                           const CompileOptions& options) {
  std::unique_ptr<LyraV2Chain> c(new LyraV2Chain());
  const std::string dir = model_dir.empty() || model_dir.back() == '/' ? model_dir : model_dir + "/";
  auto enc = Model::FromFile(env, dir + "soundstream_encoder.tflite", options);
  if (!enc.ok()) return enc.status();
  auto quant = Model::FromFile(env, dir + "quantizer.tflite", options);
  if (!quant.ok()) return quant.status();
  auto dec = Model::FromFile(env, dir + "lyragan.tflite", options);
  if (!dec.ok()) return dec.status();
  c->encoder_ = std::move(enc).value();
  c->quantizer_ = std::move(quant).value();
  c->decoder_ = std::move(dec).value();

  auto r1 = c->encoder_->NewRunner("serving_default");
  if (!r1.ok()) return r1.status();
  auto r2 = c->quantizer_->NewRunner("encode");
  if (!r2.ok()) return r2.status();
  auto r3 = c->quantizer_->NewRunner("decode");
  if (!r3.ok()) return r3.status();
  auto r4 = c->decoder_->NewRunner("serving_default");
  if (!r4.ok()) return r4.status();
  c->enc_ = std::move(r1).value();
  c->quant_enc_ = std::move(r2).value();
  c->quant_dec_ = std::move(r3).value();
  c->dec_ = std::move(r4).value();
  SSCODEC_RETURN_IF_ERROR(c->Wire());
  return c;
}

Status LyraV2Chain::Wire() {
  // Check the graphs are the ones we expect.
  const SignatureInfo& e = enc_->info();
  const SignatureInfo& qe = quant_enc_->info();
  const SignatureInfo& qd = quant_dec_->info();
  const SignatureInfo& d = dec_->info();
  if (e.inputs.size() != 1 || e.outputs.size() != 1 || qe.inputs.size() != 2 ||
      qe.outputs.size() != 2 || qd.inputs.size() != 1 || qd.outputs.size() != 1 ||
      d.inputs.size() != 1 || d.outputs.size() != 1) {
    return Status(StatusCode::kInvalidArgument, "models do not have Lyra v2's signatures");
  }
  auto frames_in = quant_enc_->InputIndex("input_frames");
  if (!frames_in.ok()) return frames_in.status();
  auto nq_in = quant_enc_->InputIndex("num_quantizers");
  if (!nq_in.ok()) return nq_in.status();
  auto idx_out = quant_enc_->OutputIndex("output_0");
  if (!idx_out.ok()) return idx_out.status();
  auto bits_out = quant_enc_->OutputIndex("output_1");
  if (!bits_out.ok()) return bits_out.status();
  const std::vector<int32_t> kFrame = {1, kFrameSamples}, kFeat = {1, 1, kFeatureDim},
                             kIdx = {kMaxQuantizers, 1, 1};
  SSCODEC_RETURN_IF_ERROR(Expect(e.inputs[0], DType::kFloat32, kFrame, "encoder input"));
  SSCODEC_RETURN_IF_ERROR(Expect(e.outputs[0], DType::kFloat32, kFeat, "encoder output"));
  SSCODEC_RETURN_IF_ERROR(Expect(qe.inputs[*frames_in], DType::kFloat32, kFeat, "encode input"));
  SSCODEC_RETURN_IF_ERROR(Expect(qe.inputs[*nq_in], DType::kInt32, {}, "encode input"));
  SSCODEC_RETURN_IF_ERROR(Expect(qe.outputs[*idx_out], DType::kInt32, kIdx, "encode output"));
  SSCODEC_RETURN_IF_ERROR(Expect(qe.outputs[*bits_out], DType::kInt32, {}, "encode output"));
  SSCODEC_RETURN_IF_ERROR(Expect(qd.inputs[0], DType::kInt32, kIdx, "decode input"));
  SSCODEC_RETURN_IF_ERROR(Expect(qd.outputs[0], DType::kFloat32, kFeat, "decode output"));
  SSCODEC_RETURN_IF_ERROR(Expect(d.inputs[0], DType::kFloat32, kFeat, "decoder input"));
  SSCODEC_RETURN_IF_ERROR(Expect(d.outputs[0], DType::kFloat32, kFrame, "decoder output"));

  // Zero-copy wiring: next stage reads the previous stage's output memory.
  SSCODEC_RETURN_IF_ERROR(quant_enc_->BindInput(*frames_in, enc_->output_data(0),
                                                enc_->output_capacity(0)));
  SSCODEC_RETURN_IF_ERROR(quant_dec_->BindInput(0, quant_enc_->output_data(*idx_out),
                                                quant_enc_->output_capacity(*idx_out)));
  SSCODEC_RETURN_IF_ERROR(dec_->BindInput(0, quant_dec_->output_data(0),
                                          quant_dec_->output_capacity(0)));
  enc_in_ = static_cast<float*>(enc_->input_data(0));
  num_q_ = static_cast<int32_t*>(quant_enc_->input_data(*nq_in));
  indices_ = static_cast<int32_t*>(quant_enc_->output_data(*idx_out));
  bits_ = static_cast<const int32_t*>(quant_enc_->output_data(*bits_out));
  dec_out_ = static_cast<const float*>(dec_->output_data(0));
  return Status::Ok();
}

Status LyraV2Chain::Reset() {
  SSCODEC_RETURN_IF_ERROR(encoder_->ResetState());
  SSCODEC_RETURN_IF_ERROR(quantizer_->ResetState());
  SSCODEC_RETURN_IF_ERROR(decoder_->ResetState());
  return Status::Ok();
}

Status LyraV2Chain::ProcessFrame(const float* in, int num_quantizers, float* out,
                                 int32_t* indices_out) {
  if (num_quantizers < 1 || num_quantizers > kMaxQuantizers) {
    return Status(StatusCode::kInvalidArgument,
                  "num_quantizers must be in [1, 46], got " + std::to_string(num_quantizers));
  }
  std::memcpy(enc_in_, in, sizeof(float) * kFrameSamples);
  *num_q_ = num_quantizers;
  SSCODEC_RETURN_IF_ERROR(enc_->Run());
  SSCODEC_RETURN_IF_ERROR(quant_enc_->Run());
  for (int q = num_quantizers; q < kMaxQuantizers; ++q) indices_[q] = 0;
  if (indices_out != nullptr) std::memcpy(indices_out, indices_, sizeof(int32_t) * kMaxQuantizers);
  bits_per_quantizer_ = *bits_;
  SSCODEC_RETURN_IF_ERROR(quant_dec_->Run());
  SSCODEC_RETURN_IF_ERROR(dec_->Run());
  std::memcpy(out, dec_out_, sizeof(float) * kFrameSamples);
  return Status::Ok();
}

Status LyraV2Chain::Process(const float* in, size_t num_frames, int num_quantizers, float* out,
                            int32_t* indices_out, double* frame_seconds) {
  using Clock = std::chrono::steady_clock;
  for (size_t f = 0; f < num_frames; ++f) {
    const auto t0 = Clock::now();
    SSCODEC_RETURN_IF_ERROR(ProcessFrame(in + f * kFrameSamples, num_quantizers,
                                         out + f * kFrameSamples,
                                         indices_out ? indices_out + f * kMaxQuantizers : nullptr));
    if (frame_seconds != nullptr) {
      frame_seconds[f] = std::chrono::duration<double>(Clock::now() - t0).count();
    }
  }
  return Status::Ok();
}

}  // namespace sscodec
