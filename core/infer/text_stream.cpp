// TextStream: token ids -> emittable text, in three stages (docs/sampling.md, "Streaming text"):
//
//   ids --(windowed decode)--> bytes_ --(whole UTF-8 chars)--> held_ --(stop strings)--> emitted
//
// 1. Windowed decode (the Hugging Face / TGI "prefix_offset, read_offset" trick): some decoders
//    depend on context (WordPiece glues "##" pieces and puts spaces between words, SentencePiece
//    drops the leading space of a text), so a token's text is decode(window + token) minus
//    decode(window), where the window is the previous chunk of ids. Cost per push is O(window),
//    not O(text) as re-decoding everything would be.
// 2. Byte-level BPE tokens may end inside a multi-byte character: a tail that is a valid but
//    incomplete UTF-8 prefix waits in bytes_; bytes that can never become valid are replaced by
//    U+FFFD at once (maximal-subpart rule, core/data/unicode_utf8.h).
// 3. held_ keeps the longest suffix that is a proper prefix of some stop string, so a stop
//    string split over tokens is still caught and never half-emitted.
//
// Special tokens (<|im_end|>, <|endoftext|>, ...) are skipped by default, like vLLM's
// skip_special_tokens=true: the engine ends generation on stop token ids, and a special that is
// not a stop token is control information, not text. With skip_special = false they render as
// their content and take part in stop-string matching.
#include "core/infer/text_stream.h"

#include <stdexcept>

#include "core/data/unicode_utf8.h"

namespace llm {

namespace {

// Bytes at the end of s that form a valid but unfinished UTF-8 sequence (0..3): they may still
// be completed by the next token, so they must not be emitted or replaced yet.
size_t incomplete_utf8_tail(const std::string& s) {
  const size_t n = s.size();
  size_t i = n;
  for (int back = 0; back < 3 && i > 0; back++) {  // find the last non-continuation byte
    --i;
    if ((uint8_t(s[i]) & 0xC0) != 0x80) break;
  }
  if (i == n) return 0;
  const uint8_t lead = uint8_t(s[i]);
  if (lead < 0xC2 || lead > 0xF4) return 0;  // ASCII, or a byte that can never start a char
  int bad = 0;
  if (utf8_valid_seq_len(s, i, &bad) != 0) return 0;  // complete
  return i + size_t(bad) == n ? n - i : 0;             // truncated by the end, not by a bad byte
}

std::string slice_decode(const Tokenizer& tok, const std::vector<int32_t>& ids, size_t a, size_t b) {
  return tok.decode(std::vector<int32_t>(ids.begin() + a, ids.begin() + b));
}

}  // namespace

TextStream::TextStream(const Tokenizer& tok, std::vector<std::string> stop, bool skip_special)
    : tok_(tok), skip_special_(skip_special) {
  for (std::string& s : stop)
    if (!s.empty()) stop_.push_back(std::move(s));  // "" would match everywhere: ignore it
  special_.assign(tok_.vocab_size(), 0);
  for (const auto& sp : tok_.special_tokens())
    if (sp.second >= 0 && sp.second < int32_t(special_.size())) special_[sp.second] = 1;
}

void TextStream::decode_window(bool final) {
  // new text = decode(window + new ids) - decode(window); accepted only when it extends the
  // window's text (otherwise the decoder is mid-way through something: wait for more ids)
  if (read_off_ < ids_.size()) {
    const std::string prefix = slice_decode(tok_, ids_, prefix_off_, read_off_);
    const std::string full = slice_decode(tok_, ids_, prefix_off_, ids_.size());
    if (full.size() > prefix.size() && full.compare(0, prefix.size(), prefix) == 0) {
      bytes_.append(full, prefix.size(), std::string::npos);
      prefix_off_ = read_off_;
      read_off_ = ids_.size();
    }
  }
  // whole characters move on; an unfinished one waits (or becomes U+FFFD at the end)
  const size_t tail = final ? 0 : incomplete_utf8_tail(bytes_);
  held_ += utf8_repair(std::string_view(bytes_).substr(0, bytes_.size() - tail));
  bytes_.erase(0, bytes_.size() - tail);
}

std::string TextStream::release(bool final) {
  // earliest stop string occurrence wins (the longest one on a tie)
  size_t at = std::string::npos, len = 0;
  const std::string* which = nullptr;
  for (const std::string& s : stop_) {
    const size_t p = held_.find(s);
    if (p != std::string::npos && (p < at || (p == at && s.size() > len))) {
      at = p;
      len = s.size();
      which = &s;
    }
  }
  std::string out;
  if (which) {
    out = held_.substr(0, at);
    matched_stop_ = *which;
    stopped_ = true;
    held_.clear();
    bytes_.clear();
  } else {
    size_t keep = 0;  // longest suffix of held_ that is a proper prefix of a stop string
    if (!final)
      for (const std::string& s : stop_)
        for (size_t k = std::min(s.size() - 1, held_.size()); k > keep; k--)
          if (held_.compare(held_.size() - k, k, s, 0, k) == 0) { keep = k; break; }
    size_t cut = held_.size() - keep;
    while (cut > 0 && cut < held_.size() && (uint8_t(held_[cut]) & 0xC0) == 0x80) cut--;  // char boundary
    out = held_.substr(0, cut);
    held_.erase(0, cut);
  }
  emitted_ += out;
  return out;
}

std::string TextStream::push(int32_t token) {
  if (stopped_) return "";
  if (token < 0 || token >= int32_t(special_.size()))
    throw std::runtime_error("TextStream::push: token id " + std::to_string(token) + " outside [0, " +
                             std::to_string(special_.size()) + ")");
  if (skip_special_ && special_[token]) return "";
  ids_.push_back(token);
  decode_window(false);
  return release(false);
}

std::string TextStream::flush() {
  if (stopped_) return "";
  decode_window(true);
  std::string out = release(true);
  // the stream is drained: later pushes start from a clean window
  prefix_off_ = read_off_ = ids_.size();
  return out;
}

}  // namespace llm
