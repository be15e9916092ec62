#pragma once
#include <cstdint>
namespace llm {
// targets equal to this carry no loss (PyTorch's default ignore_index)
constexpr int32_t kIgnoreIndex = -100;
}  // namespace llm
