// Exact-match answers for math tasks (GSM8K style): pull the final answer out of a completion and
// put numbers in one canonical spelling so "$1,200.00", "1200" and "1200." all compare equal.
//
// Extraction rule (the one GSM8K's reference solutions follow):
//   1. text after the LAST "####" when the completion has one (its first number, else the text);
//   2. otherwise the LAST number in the completion.
// A number is an optional '-' sign, digits with optional thousands commas ("1,234": a comma is
// only a separator when exactly three digits follow it, so the list "1,2,3" is three numbers),
// and an optional decimal part (".5"; a dot ending a sentence is not a decimal point).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llm {

// All the numbers of s in order, each in canonical form (see canonical_number).
// "I paid $1,200.50 for 3 items." -> {"1200.5", "3"}
std::vector<std::string> find_numbers(std::string_view s);

// Canonical spelling of a numeric string, or nullopt when it is not a number after removing
// '$', '%', commas, spaces and one trailing '.': sign kept only when the value is non-zero, no
// leading zeros, no trailing fractional zeros, no trailing dot. "-0" -> "0", "007.50" -> "7.5",
// "12.0" -> "12", "+3" -> "3", ".5" -> "0.5".
std::optional<std::string> canonical_number(std::string_view s);

// The answer a completion commits to, canonical when numeric; "" when it has none.
std::string extract_answer(std::string_view completion);

// The reference answer of a dataset row in canonical form: canonical_number when numeric,
// else the trimmed, lower-cased text. (GSM8K references are the text after "####".)
std::string normalize_answer(std::string_view reference);

// Exact match after normalization: extract_answer(completion) == normalize_answer(reference).
bool answer_matches(std::string_view completion, std::string_view reference);

}  // namespace llm
