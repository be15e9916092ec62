// Checkpoint round trips (Llama and GPT-2 naming), HF config.json, and clear errors on bad input.
#include <gtest/gtest.h>

#include "core/model/checkpoint.h"
#include "core/util/safetensors.h"
#include "core/util/strict_json.h"
#include <functional>

using namespace llm;

static ModelConfig cfg_llama() {
  ModelConfig c;
  c.dim = 16, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 2, c.vocab_size = 23, c.max_seq_len = 8;
  return c;
}
static ModelConfig cfg_gpt2() {
  ModelConfig c = cfg_llama();
  c.n_kv_heads = 4, c.ffn = "gelu_mlp", c.norm = "layernorm", c.pos = "learned", c.bias = true,
  c.tie_embeddings = true;
  return c;
}

static std::vector<float> logits_of(Transformer<float>& m) {
  std::vector<int32_t> tok{1, 5, 7, 2, 9, 22};
  Graph<float> g;
  g.grad_enabled = false;
  TensorT<float> l = m.forward(g, tok.data(), 2, 3);
  return std::vector<float>(l.data, l.data + l.numel());
}

TEST(Checkpoint, RoundTripLlamaAndGpt2) {
  for (const ModelConfig& c : {cfg_llama(), cfg_gpt2()}) {
    Transformer<float> a(c);
    a.init(3);
    std::vector<uint8_t> bytes = save_weights(a);
    ModelConfig c2 = config_from_hf_json(hf_config_json(c));
    EXPECT_EQ(c2.to_json(), c.to_json());
    Transformer<float> b(c2);
    load_weights(b, bytes.data(), bytes.size(), "model.safetensors");
    EXPECT_EQ(logits_of(a), logits_of(b));
    SafeTensorsReader r(bytes.data(), bytes.size());
    EXPECT_EQ(r.has("transformer.h.0.attn.c_attn.weight"), is_gpt2_style(c));
    EXPECT_EQ(r.has("model.layers.0.self_attn.q_proj.weight"), !is_gpt2_style(c));
  }
}

TEST(Checkpoint, Gpt2UsesConv1DLayout) {
  Transformer<float> m(cfg_gpt2());
  m.init(1);
  std::vector<uint8_t> bytes = save_weights(m);
  SafeTensorsReader r(bytes.data(), bytes.size());
  const int C = 16;
  std::vector<float> ca = r.floats("transformer.h.1.attn.c_attn.weight", {C, 3 * C});  // (in, out)
  TensorT<float> wk = m.params.get("model.layers.1.self_attn.k_proj.weight");          // (out, in)
  for (int o = 0; o < C; o++)
    for (int i = 0; i < C; i++) EXPECT_EQ(ca[size_t(i) * 3 * C + C + o], wk.data[o * C + i]);
  EXPECT_FALSE(r.has("lm_head.weight"));
}

TEST(Checkpoint, HfConfigKeys) {
  json j = json::parse(hf_config_json(cfg_llama()));
  EXPECT_EQ(j["model_type"], "llama");
  EXPECT_EQ(j["num_key_value_heads"], 2);
  EXPECT_EQ(j["intermediate_size"], cfg_llama().hidden());
  json g = json::parse(hf_config_json(cfg_gpt2()));
  EXPECT_EQ(g["model_type"], "gpt2");
  EXPECT_EQ(g["n_embd"], 16);
  ModelConfig alibi = cfg_llama();
  alibi.pos = "alibi";
  EXPECT_EQ(json::parse(hf_config_json(alibi))["model_type"], "llm-from-scratch");
  // a plain HF llama config.json (no "llm" block) also loads
  json plain = j;
  plain.erase("llm");
  EXPECT_EQ(config_from_hf_json(plain.dump()).to_json(), cfg_llama().to_json());
}

static std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, TruncatedCorruptedAndMismatchedFilesAreClearErrors) {
  Transformer<float> m(cfg_llama());
  m.init(2);
  std::vector<uint8_t> bytes = save_weights(m);
  Transformer<float> b(cfg_llama());
  for (size_t cut : {size_t(3), size_t(100), bytes.size() / 2, bytes.size() - 1}) {
    std::string e = error_of([&] { load_weights(b, bytes.data(), cut, "model.safetensors"); });
    EXPECT_NE(e.find("model.safetensors"), std::string::npos) << cut << ": " << e;
  }
  std::vector<uint8_t> bad = bytes;
  bad[8] = '#';  // break the JSON header
  EXPECT_NE(error_of([&] { load_weights(b, bad.data(), bad.size(), "x"); }).find("JSON"), std::string::npos);
  ModelConfig other = cfg_llama();
  other.dim = 24, other.n_heads = 4;
  Transformer<float> o(other);
  EXPECT_NE(error_of([&] { load_weights(o, bytes.data(), bytes.size(), "x"); }).find("shape"), std::string::npos);
  Transformer<float> g2(cfg_gpt2());
  EXPECT_NE(error_of([&] { load_weights(g2, bytes.data(), bytes.size(), "x"); }).find("Llama"), std::string::npos);
}

TEST(ModelConfigJson, UnknownKeysAndBadValuesAreNamed) {
  EXPECT_NE(error_of([] { ModelConfig::from_json(R"({"dim": 64, "n_layer": 2})"); }).find("'n_layer'"),
            std::string::npos);
  EXPECT_NE(error_of([] { ModelConfig::from_json(R"({"dim": 64, "n_heads": 5})"); }).find("divisible"),
            std::string::npos);
  EXPECT_NE(error_of([] { ModelConfig::from_json(R"({"norm": "batchnorm"})"); }).find("norm"), std::string::npos);
  EXPECT_NE(error_of([] { ModelConfig::from_json(R"({"dim": "big"})"); }).find("'dim'"), std::string::npos);
  EXPECT_NE(error_of([] { ModelConfig::from_json(R"({"dim": 64,)"); }).find("invalid JSON"), std::string::npos);
  ModelConfig c = ModelConfig::from_json(R"({"dim": 96, "n_heads": 6, "n_kv_heads": 2})");
  EXPECT_EQ(c.hidden(), 256);  // 8/3 * 96 = 256, a multiple of 32
  EXPECT_EQ(ModelConfig::from_json(c.to_json()).to_json(), c.to_json());
}

TEST(ModelInit, Gpt2StyleInitStatistics) {
  ModelConfig c = cfg_llama();
  c.dim = 64, c.n_heads = 4, c.n_kv_heads = 4, c.n_layers = 4, c.vocab_size = 512;
  Transformer<float> m(c);
  m.init(9);
  auto stdev = [](TensorT<float> t) {
    double s = 0;
    for (int64_t i = 0; i < t.numel(); i++) s += double(t.data[i]) * t.data[i];
    return std::sqrt(s / double(t.numel()));
  };
  EXPECT_NEAR(stdev(m.params.get("model.embed_tokens.weight")), 0.02, 0.001);
  EXPECT_NEAR(stdev(m.params.get("model.layers.0.mlp.down_proj.weight")), 0.02 / std::sqrt(8.0), 0.0005);
  EXPECT_EQ(m.params.get("model.norm.weight").data[0], 1.0f);
}
