// LoRA: zero-B adapters leave the model unchanged, adapter gradients match finite differences
// with the base frozen (and no gradient reaches the base), merged == unmerged forward, the PEFT
// file round trip, and target selection by name.
#include <gtest/gtest.h>

#include "core/align/lora.h"
#include "core/util/safetensors.h"
#include "tests/align/align_test_util.h"

namespace llm {
namespace {

const std::vector<int32_t> kTokens = {1, 4, 2, 7, 3, 9, 12, 0, 5, 6};  // (2*5)
const std::vector<int32_t> kTargets = {4, 2, 7, 3, kIgnoreIndex, 12, 0, 5, 6, 1};

LoraOptions all_targets(int r = 3) {
  LoraOptions o;
  o.rank = r;
  o.alpha = 6.0;
  o.targets = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head"};
  return o;
}

template <class T>
void randomize_adapters(LoraAdapters<T>& a, uint64_t seed) {
  a.init(seed);
  Rng r(seed + 7);
  for (size_t i = 0; i < a.params.size(); i++) a.params.values()[i] += T(0.2 * r.normal());  // B != 0
}

template <class T>
std::vector<T> logits_of(Transformer<T>& m) {
  Graph<T> g;
  g.grad_enabled = false;
  TensorT<T> l = m.forward(g, kTokens.data(), 2, 5);
  return std::vector<T>(l.data, l.data + l.numel());
}

TEST(Lora, TargetsSelectLayersByTheirLastNameComponent) {
  Transformer<double> m(aligntest::tiny_cfg());
  LoraOptions o;
  o.targets = {"q_proj", "down_proj"};
  LoraAdapters<double> a(m.linear_layers(), o);
  ASSERT_EQ(a.layers().size(), 4u);  // 2 layers x 2 targets
  EXPECT_EQ(a.layers()[0].name, "model.layers.0.self_attn.q_proj");
  EXPECT_EQ(a.layers()[1].name, "model.layers.0.mlp.down_proj");
  EXPECT_TRUE(a.params.has("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"));
  EXPECT_EQ(a.params.get("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight").shape, (Shape{8, 8}));
  EXPECT_EQ(a.params.get("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight").shape, (Shape{8, 12}));
  EXPECT_FALSE(lora_targets_layer({"proj"}, "model.layers.0.self_attn.q_proj"));
  // the output layer is adaptable by name too (PEFT: target_modules=["lm_head"])
  o.targets = {"lm_head"};
  LoraAdapters<double> h(m.linear_layers(/*with_head=*/true), o);
  ASSERT_EQ(h.layers().size(), 1u);
  EXPECT_EQ(h.params.get("base_model.model.lm_head.lora_B.weight").shape, (Shape{13, 8}));
  o.targets = {"qproj"};
  EXPECT_THROW(LoraAdapters<double>(m.linear_layers(), o), std::runtime_error);
}

TEST(Lora, FreshAdaptersLeaveTheModelUnchanged) {
  Transformer<double> m(aligntest::tiny_cfg());
  aligntest::randomize(m, 1);
  const std::vector<double> base = logits_of(m);
  LoraAdapters<double> a(m.linear_layers(true), all_targets());
  a.init(5);
  m.linear_hook = &a;
  const std::vector<double> with = logits_of(m);
  for (size_t i = 0; i < base.size(); i++) EXPECT_EQ(base[i], with[i]);
  // A is kaiming-uniform: within +-1/sqrt(in), not all zero
  TensorT<double> A = a.params.get(a.a_name("model.layers.0.self_attn.q_proj"));
  double mx = 0;
  for (int64_t i = 0; i < A.numel(); i++) mx = std::max(mx, std::abs(A.data[i]));
  EXPECT_GT(mx, 0.05);
  EXPECT_LE(mx, 1.0 / std::sqrt(8.0));
}

TEST(Lora, AdapterGradientsMatchFiniteDifferencesAndTheBaseGetsNone) {
  Transformer<double> m(aligntest::tiny_cfg());
  aligntest::randomize(m, 2);
  LoraAdapters<double> a(m.linear_layers(true), all_targets());
  randomize_adapters(a, 3);
  m.linear_hook = &a;
  m.frozen = true;
  m.params.zero_grad();
  auto loss = [&](bool backward) {
    Graph<double> g;
    TensorT<double> l = cross_entropy(g, m.forward(g, kTokens.data(), 2, 5), kTargets.data());
    if (backward) g.backward(l);
    return l.data[0];
  };
  aligntest::check_store(a.params, loss, "lora");
  for (size_t i = 0; i < m.params.size(); i++) ASSERT_EQ(m.params.grads()[i], 0.0) << "frozen base got a gradient";
}

TEST(Lora, MergedForwardEqualsAdapterForward) {
  Transformer<double> m(aligntest::tiny_cfg());
  aligntest::randomize(m, 4);
  LoraAdapters<double> a(m.linear_layers(true), all_targets(2));
  randomize_adapters(a, 5);
  m.linear_hook = &a;
  const std::vector<double> unmerged = logits_of(m);
  m.linear_hook = nullptr;
  const std::vector<double> base = logits_of(m);
  a.merge_into(m);
  const std::vector<double> merged = logits_of(m);
  double diff_base = 0;
  for (size_t i = 0; i < merged.size(); i++) {
    EXPECT_NEAR(merged[i], unmerged[i], 1e-10);
    diff_base = std::max(diff_base, std::abs(merged[i] - base[i]));
  }
  EXPECT_GT(diff_base, 1e-3);  // the adapters did change the model
}

TEST(Lora, DropoutActsOnlyInTraining) {
  Transformer<double> m(aligntest::tiny_cfg());
  aligntest::randomize(m, 6);
  LoraOptions o = all_targets();
  o.dropout = 0.5;
  LoraAdapters<double> a(m.linear_layers(), o);
  randomize_adapters(a, 7);
  m.linear_hook = &a;
  const std::vector<double> e1 = logits_of(m), e2 = logits_of(m);
  EXPECT_EQ(e1, e2);
  Graph<double> g;
  g.training = true;
  g.grad_enabled = false;
  TensorT<double> t = m.forward(g, kTokens.data(), 2, 5);
  double d = 0;
  for (int64_t i = 0; i < t.numel(); i++) d = std::max(d, std::abs(t.data[i] - e1[size_t(i)]));
  EXPECT_GT(d, 1e-4);
}

TEST(Lora, SaveLoadRoundTripWithPeftNamesAndConfig) {
  Transformer<float> m(aligntest::tiny_cfg());
  m.init(1);
  LoraOptions o;
  o.rank = 4;
  o.alpha = 8;
  o.dropout = 0.05;
  o.targets = {"q_proj", "v_proj", "up_proj"};
  LoraAdapters<float> a(m.linear_layers(), o);
  randomize_adapters(a, 9);
  const std::vector<uint8_t> bytes = save_lora(a);
  const std::string cfg = lora_adapter_config_json(o, "runs/pretrain-tiny");
  SafeTensorsReader r(bytes.data(), bytes.size(), "adapter");
  EXPECT_EQ(r.names().size(), 12u);  // 2 layers x 3 targets x {A, B}
  EXPECT_TRUE(r.has("base_model.model.model.layers.1.mlp.up_proj.lora_B.weight"));
  EXPECT_EQ(r.get("base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight").shape, (std::vector<int64_t>{4, 8}));
  EXPECT_NE(r.metadata().at("adapter_config").find("\"LORA\""), std::string::npos);

  auto b = load_lora(m, bytes.data(), bytes.size(), cfg, "adapter");
  EXPECT_EQ(b->options().rank, 4);
  EXPECT_EQ(b->options().alpha, 8);
  EXPECT_EQ(b->options().targets, o.targets);
  ASSERT_EQ(b->params.size(), a.params.size());
  for (size_t i = 0; i < a.params.size(); i++) EXPECT_EQ(b->params.values()[i], a.params.values()[i]);

  // a config naming other targets than the file holds is rejected, naming the tensor
  LoraOptions o2 = o;
  o2.targets = {"q_proj"};
  try {
    load_lora(m, bytes.data(), bytes.size(), lora_adapter_config_json(o2, ""), "adapter");
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected tensor"), std::string::npos) << e.what();
  }
  o2.targets = {"q_proj", "v_proj", "up_proj", "down_proj"};
  EXPECT_THROW(load_lora(m, bytes.data(), bytes.size(), lora_adapter_config_json(o2, ""), "adapter"), std::runtime_error);
  EXPECT_THROW(lora_options_from_config_json("{\"r\": 4}", "cfg"), std::runtime_error);
}

}  // namespace
}  // namespace llm
