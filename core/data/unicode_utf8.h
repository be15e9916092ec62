// UTF-8 decoding, encoding and repair for the cleaning pipeline.
//
// Repair follows the Unicode "maximal subpart" practice (Unicode 14, section 3.9,
// Table 3-7), the same one Python's bytes.decode("utf-8", "replace") and the WHATWG
// decoder use: every maximal prefix of a would-be sequence that cannot be completed
// becomes ONE U+FFFD, then decoding restarts at the offending byte. Overlong forms
// (C0, C1, E0 80..9F, F0 80..8F), UTF-16 surrogates (ED A0..BF) and code points above
// U+10FFFF (F4 90.., F5..FF) are all rejected by the lead/second-byte ranges.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llm {

struct Utf8RepairStats {
  size_t bytes_repaired = 0;  // input bytes that were part of an invalid sequence
  size_t replacements = 0;    // U+FFFD characters written for them
};

// Length (1..4) of the valid UTF-8 sequence starting at s[i], or 0 if the bytes at i
// are not a complete well-formed sequence. *bad_len gets the maximal-subpart length
// (>= 1) to replace when 0 is returned.
int utf8_valid_seq_len(std::string_view s, size_t i, int* bad_len = nullptr);

bool utf8_is_valid(std::string_view s);

// Copy of `s` with every ill-formed subsequence replaced by U+FFFD (EF BF BD).
// Valid input comes back byte-identical. `stats` (optional) is incremented.
std::string utf8_repair(std::string_view s, Utf8RepairStats* stats = nullptr);

// Decode; ill-formed bytes decode to U+FFFD (one per maximal subpart).
std::u32string utf8_to_u32(std::string_view s);
void utf8_append(std::string& out, char32_t cp);  // cp must be a scalar value
std::string u32_to_utf8(std::u32string_view cps);

// Decode one code point at s[i] (advancing i); bad bytes yield U+FFFD.
char32_t utf8_next(std::string_view s, size_t& i);

}  // namespace llm
