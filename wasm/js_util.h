// Helpers every binding file needs: C++ exceptions -> JS Errors, bytes <-> Uint8Array.
#pragma once
#include <emscripten/val.h>

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace llm::web {

// C++ exceptions reach JS as bare pointers in this emscripten; every entry point turns them into
// a JS Error carrying the message instead.
[[noreturn]] inline void throw_js(const std::string& message) {
  emscripten::val::global("Error").new_(message).throw_();
  __builtin_unreachable();
}
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw_js(e.what());
  }
}

// Uint8Array (or any array-like of bytes) -> bytes on the wasm heap
inline std::vector<uint8_t> bytes_from_js(const emscripten::val& arr) {
  const size_t n = arr["length"].as<size_t>();
  std::vector<uint8_t> v(n);
  emscripten::val view(emscripten::typed_memory_view(n, v.data()));
  view.call<void>("set", arr);
  return v;
}
// bytes -> a new Uint8Array owned by JS (a copy, so it survives heap growth)
inline emscripten::val bytes_to_js(const uint8_t* p, size_t n) {
  emscripten::val out = emscripten::val::global("Uint8Array").new_(n);
  out.call<void>("set", emscripten::val(emscripten::typed_memory_view(n, p)));
  return out;
}
inline emscripten::val bytes_to_js(const std::vector<uint8_t>& v) { return bytes_to_js(v.data(), v.size()); }
inline emscripten::val floats_to_js(const float* p, size_t n) {
  emscripten::val out = emscripten::val::global("Float32Array").new_(n);
  out.call<void>("set", emscripten::val(emscripten::typed_memory_view(n, p)));
  return out;
}
inline emscripten::val ints_to_js(const std::vector<int32_t>& v) {
  emscripten::val out = emscripten::val::global("Int32Array").new_(v.size());
  out.call<void>("set", emscripten::val(emscripten::typed_memory_view(v.size(), v.data())));
  return out;
}
// Int32Array / array of numbers -> ids
inline std::vector<int32_t> ints_from_js(const emscripten::val& arr) {
  const size_t n = arr["length"].as<size_t>();
  std::vector<int32_t> v(n);
  for (size_t i = 0; i < n; i++) v[i] = arr[i].as<int32_t>();
  return v;
}

}  // namespace llm::web
