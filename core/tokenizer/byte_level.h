// GPT-2's byte -> unicode mapping ("byte level"). Every byte gets a printable
// character so a token's bytes can be written as a JSON string: printable
// Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves, the other 68
// (controls, space, DEL, NBSP, soft hyphen) map to U+0100.. in byte order, so
// ' ' -> 'Ġ' (U+0120) and '\n' -> 'Ċ' (U+010A).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace llm::byte_level {

// The code point that stands for byte b.
uint32_t byte_to_char(uint8_t b);
// The byte a code point stands for, or -1 when it is not in the alphabet.
int char_to_byte(uint32_t cp);

// bytes -> the UTF-8 string of their stand-in characters (what tokenizer.json stores).
std::string encode(std::string_view bytes);
// The inverse. Returns false (and leaves *bytes partial) when s holds a
// character outside the 256-character alphabet or is not valid UTF-8.
bool decode(std::string_view s, std::string* bytes);

}  // namespace llm::byte_level
