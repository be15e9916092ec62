// Unicode Normalization Form C (UAX #15): canonical decomposition, canonical
// ordering of combining marks, then canonical composition. Tables come from
// Python's unicodedata via core/data/gen_unicode_tables.py; Hangul syllables are
// decomposed/composed arithmetically (they are 11,172 code points of pure formula).
//
// Why NFC for training text: "é" may arrive as U+00E9 or as "e" + U+0301. Without
// normalization the tokenizer learns two spellings of one word and dedup misses
// copies that differ only in encoding.
#pragma once
#include <string>
#include <string_view>

namespace llm {

const char* unicode_version();      // version of the generated tables, e.g. "14.0.0"

int canonical_combining_class(char32_t cp);  // 0 for starters

// NFC_Quick_Check of a whole string: true means it is certainly already NFC
// (all characters QC=Yes and combining classes in order), so normalization can be
// skipped. False means "No or Maybe": run nfc().
bool nfc_quick_check(std::u32string_view s);
bool nfc_quick_check_utf8(std::string_view s);

std::u32string nfd(std::u32string_view s);
std::u32string nfc(std::u32string_view s);

// UTF-8 in, UTF-8 out. Ill-formed bytes decode to U+FFFD (repair first if you
// want to count them). ASCII and already-NFC text is returned unchanged cheaply.
std::string nfc_utf8(std::string_view s);

}  // namespace llm
