// Runs a PyTorch reference fixture (tests/reference/) through our model and measures the error of
// logits, loss and every parameter gradient. One implementation, used by the native GoogleTest
// suite and by the wasm build (Vitest), so both builds are held to the same reference.
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace llm {

struct FixtureResult {
  double logits = 0, loss = 0;     // relative errors
  double grads = 0;                // worst relative error over all parameter gradients
  std::string worst;               // parameter with the worst gradient error
  std::map<std::string, double> per_param;
  std::string to_json() const;
};

// error metric: max|ours - ref| / max|ref|; when ref is all zeros (k_proj.bias gradients are
// exactly zero without RoPE) the denominator is 1e-2, i.e. max|ours| must be <= 1e-6.
double relative_error(const float* ours, const float* ref, size_t n);

FixtureResult run_fixture(const std::string& config_json, const uint8_t* bytes, size_t size);

}  // namespace llm
