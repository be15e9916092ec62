#include "core/eval/answer.h"

#include <cctype>

namespace llm {

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

static std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<std::string> canonical_number(std::string_view in) {
  std::string s;
  for (char c : trim(in))
    if (c != ',' && c != '$' && c != ' ') s += c;  // "$1,200" -> "1200", "- $5" -> "-5"
  while (!s.empty() && (s.back() == '.' || s.back() == '%')) s.pop_back();  // "12." "50%"
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  std::string ip, fp;  // integer and fractional digits
  while (i < s.size() && is_digit(s[i])) ip += s[i++];
  if (i < s.size() && s[i] == '.') {
    i++;
    while (i < s.size() && is_digit(s[i])) fp += s[i++];
  }
  if (i != s.size() || (ip.empty() && fp.empty())) return std::nullopt;
  size_t z = 0;
  while (z + 1 < ip.size() && ip[z] == '0') z++;
  ip = ip.empty() ? "0" : ip.substr(z);
  while (!fp.empty() && fp.back() == '0') fp.pop_back();
  if (ip == "0" && fp.empty()) neg = false;  // "-0", "-0.00"
  return (neg ? "-" : "") + ip + (fp.empty() ? "" : "." + fp);
}

std::vector<std::string> find_numbers(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    if (!is_digit(s[i])) {
      i++;
      continue;
    }
    size_t b = i;
    // a '-' right before the digits is a sign unless it joins two terms ("16-3" is a difference)
    if (b > 0 && s[b - 1] == '-' && (b < 2 || (!is_alnum(s[b - 2]) && s[b - 2] != ')'))) b--;
    while (i < s.size() && is_digit(s[i])) i++;
    // thousands groups: ",ddd" not followed by another digit
    while (i + 3 < s.size() && s[i] == ',' && is_digit(s[i + 1]) && is_digit(s[i + 2]) && is_digit(s[i + 3]) &&
           (i + 4 >= s.size() || !is_digit(s[i + 4])))
      i += 4;
    if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
      i++;
      while (i < s.size() && is_digit(s[i])) i++;
    }
    if (auto c = canonical_number(s.substr(b, i - b))) out.push_back(*c);
  }
  return out;
}

std::string normalize_answer(std::string_view ref) {
  const size_t h = ref.rfind("####");
  if (h != std::string_view::npos) ref = ref.substr(h + 4);
  ref = trim(ref);
  if (auto c = canonical_number(ref)) return *c;
  std::string s(ref);
  while (!s.empty() && s.back() == '.') s.pop_back();
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string extract_answer(std::string_view completion) {
  const size_t h = completion.rfind("####");
  if (h != std::string_view::npos) {
    std::string_view tail = completion.substr(h + 4);
    const size_t nl = tail.find('\n');
    if (nl != std::string_view::npos) tail = tail.substr(0, nl);
    std::vector<std::string> nums = find_numbers(tail);
    return nums.empty() ? normalize_answer(tail) : nums.front();
  }
  std::vector<std::string> nums = find_numbers(completion);
  return nums.empty() ? std::string() : nums.back();
}

bool answer_matches(std::string_view completion, std::string_view reference) {
  const std::string want = normalize_answer(reference);
  return !want.empty() && extract_answer(completion) == want;
}

}  // namespace llm
