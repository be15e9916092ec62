// Incremental detokenization for streaming: token ids in, text out, only whole UTF-8 characters,
// holding back any tail that could still become a stop string. When a stop string appears the
// text before it is emitted and the stream is stopped (the stop string itself is not emitted).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"

namespace llm {

class TextStream {
 public:
  // Empty stop strings are ignored. skip_special: special tokens (<|im_end|>, ...) produce no
  // text (the default, like vLLM); false renders them as their content.
  TextStream(const Tokenizer& tok, std::vector<std::string> stop, bool skip_special = true);
  // newly emittable text after adding token (may be ""); nothing more after stopped().
  // Throws std::runtime_error on an id outside [0, vocab_size).
  std::string push(int32_t token);
  // end of generation: whatever is still held back (incomplete UTF-8 becomes U+FFFD)
  std::string flush();
  bool stopped() const { return stopped_; }
  const std::string& text() const { return emitted_; }  // everything emitted so far
  const std::string& matched_stop() const { return matched_stop_; }  // "" unless stopped()

 private:
  void decode_window(bool final);  // new ids -> bytes_ -> whole chars appended to held_
  std::string release(bool final); // held_ -> emitted text, minus a possible stop-string start

  const Tokenizer& tok_;
  std::vector<std::string> stop_;
  bool skip_special_;
  std::vector<uint8_t> special_;   // (vocab) 1 for special token ids
  std::vector<int32_t> ids_;       // rendered ids so far (skipped specials excluded)
  size_t prefix_off_ = 0;          // ids_[prefix_off_, read_off_) = context window of the decoder
  size_t read_off_ = 0;            // ids_[read_off_, end) not yet turned into bytes
  std::string bytes_;              // decoded bytes ending in an unfinished UTF-8 char (0..3 bytes)
  std::string held_;               // whole chars not emitted yet (may start a stop string)
  std::string emitted_;
  std::string matched_stop_;
  bool stopped_ = false;
};

}  // namespace llm
