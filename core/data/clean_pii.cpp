#include "core/data/clean_pii.h"

#include <algorithm>
#include <vector>

namespace llm {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

// A match [begin, end) found by a scanner.
struct Span { size_t begin, end; };

// E-mail anchored at the '@' at position at. Returns length 0 span if none.
Span match_email(std::string_view s, size_t at) {
  size_t b = at;
  while (b > 0 && is_local_char(s[b - 1])) --b;
  while (b < at && (s[b] == '.' || s[b] == '-')) ++b;  // a local part cannot start with '.'
  if (b == at) return {0, 0};
  // Domain: labels of [A-Za-z0-9-] separated by single dots; the last is the TLD.
  size_t e = at + 1, last_dot = 0;
  int labels = 0;
  for (;;) {
    const size_t label_start = e;
    while (e < s.size() && (is_alnum(s[e]) || s[e] == '-')) ++e;
    if (e == label_start) break;
    ++labels;
    if (e + 1 < s.size() && s[e] == '.' && is_alnum(s[e + 1])) {
      last_dot = e;
      ++e;
      continue;
    }
    break;
  }
  if (labels < 2) return {0, 0};
  // TLD: letters only, >= 2 of them (rules out "x@1.2" and version strings).
  size_t tld_len = 0;
  for (size_t k = last_dot + 1; k < e; ++k) {
    if (!is_alpha(s[k])) return {0, 0};
    ++tld_len;
  }
  if (tld_len < 2) return {0, 0};
  return {b, e};
}

// IPv4 starting at i (s[i] is a digit, s[i-1] is not a digit/'.'/letter).
Span match_ipv4(std::string_view s, size_t i) {
  size_t e = i;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (e >= s.size() || s[e] != '.') return {0, 0};
      ++e;
    }
    const size_t start = e;
    int v = 0;
    while (e < s.size() && is_digit(s[e]) && e - start < 4) v = v * 10 + (s[e++] - '0');
    const size_t len = e - start;
    if (len == 0 || len > 3 || v > 255 || (len > 1 && s[start] == '0')) return {0, 0};
  }
  // Must not continue as a longer number/version: "1.2.3.4.5", "1.2.3.45678".
  if (e < s.size() && (is_alnum(s[e]) || (s[e] == '.' && e + 1 < s.size() && is_digit(s[e + 1]))))
    return {0, 0};
  return {i, e};
}

// IPv6 starting at i (s[i] is a hex digit or ':').
Span match_ipv6(std::string_view s, size_t i) {
  size_t e = i;
  int groups = 0;
  bool compressed = false, has_digit = false;
  if (e + 1 < s.size() && s[e] == ':' && s[e + 1] == ':') {
    compressed = true;
    e += 2;
  }
  for (;;) {
    const size_t start = e;
    while (e < s.size() && is_hex(s[e]) && e - start < 5) {
      has_digit |= is_digit(s[e]);
      ++e;
    }
    const size_t len = e - start;
    if (len == 0) break;
    if (len > 4 || groups >= 8) return {0, 0};
    ++groups;
    if (e + 1 < s.size() && s[e] == ':' && s[e + 1] == ':') {
      if (compressed) return {0, 0};  // only one "::" allowed
      compressed = true;
      e += 2;
      continue;
    }
    if (e + 1 < s.size() && s[e] == ':' && is_hex(s[e + 1])) {
      ++e;
      continue;
    }
    break;
  }
  if (e < s.size() && (is_alnum(s[e]) || s[e] == ':')) return {0, 0};
  // Full form needs 8 groups; a compressed form fewer than 8 and a digit somewhere,
  // so "std::vector" or "a::b" stay text. Times like 12:30:45 have 3 groups, no "::".
  const bool ok = compressed ? (groups < 8 && has_digit) : groups == 8;
  return ok ? Span{i, e} : Span{0, 0};
}

// Phone number starting at i (s[i] is '+', '(' or a digit). The scanner reads
// digit groups joined by single separators, then judges the group shape.
Span match_phone(std::string_view s, size_t i) {
  size_t e = i;
  const bool plus = s[e] == '+';
  if (plus) ++e;
  std::vector<int> groups;  // digit count of each group, in order
  int parens = 0;           // 0 none, 1 open, 2 closed
  bool spaces = false;
  char dot_or_dash = 0;
  size_t last_digit_end = 0;
  while (e < s.size()) {
    if (s[e] == '(' && parens == 0 && e + 1 < s.size() && is_digit(s[e + 1])) {
      parens = 1;
      ++e;
    }
    if (e >= s.size() || !is_digit(s[e])) break;
    const size_t start = e;
    while (e < s.size() && is_digit(s[e])) ++e;
    groups.push_back((int)(e - start));
    last_digit_end = e;
    if (groups.size() > 8 || e - start > 15) return {0, 0};  // bounds the work per start
    if (e < s.size() && s[e] == ')' && parens == 1) {
      parens = 2;
      ++e;
      if (e < s.size() && is_digit(s[e])) continue;  // "(555)1234567"
    }
    // One separator between groups: a space, '-' or '.' (not mixed '-' and '.').
    if (e + 1 < s.size() && (s[e] == ' ' || s[e] == '-' || s[e] == '.') &&
        (is_digit(s[e + 1]) || (s[e + 1] == '(' && parens == 0))) {
      if (s[e] == ' ') {
        spaces = true;
      } else {
        if (dot_or_dash && dot_or_dash != s[e]) break;  // 12-34.56 is not a phone
        dot_or_dash = s[e];
      }
      ++e;
      continue;
    }
    break;
  }
  if (groups.empty() || parens == 1) return {0, 0};
  e = last_digit_end;
  if (e < s.size() && (is_alpha(s[e]) || s[e] == '@' || s[e] == '_')) return {0, 0};
  int digits = 0, min_rest = 99;
  for (size_t g = 0; g < groups.size(); ++g) {
    digits += groups[g];
    if (g > 0) min_rest = std::min(min_rest, groups[g]);
  }
  if (digits > 15) return {0, 0};
  const bool marked = plus || parens == 2;  // "+..." or "(...)" is a strong phone cue
  if (groups.size() == 1) return digits >= 10 || (marked && digits >= 7) ? Span{i, e} : Span{0, 0};
  if (digits < 7) return {0, 0};
  // Thousands grouping (1 000 000 000, 12.345.678): first group <= 3, then all 3s.
  bool thousands = !marked && groups[0] <= 3;
  for (size_t g = 1; g < groups.size(); ++g) thousands &= groups[g] == 3;
  if (thousands) return {0, 0};
  // Spaced groups with >= 10 digits: international styles like "01 23 45 67 89".
  if ((spaces || marked) && !dot_or_dash && digits >= 10) return {i, e};
  if (marked) return min_rest >= 2 ? Span{i, e} : Span{0, 0};
  // Unmarked: every group after the first has >= 3 digits (rejects dates
  // 15.01.2023, 2023-01-15) and the last >= 4 ...
  if (min_rest < 3 || groups.back() < 4) return {0, 0};
  // ... and two groups only in the local 3-4 shape (rejects ranges like 1990-2000).
  if (groups.size() == 2 && groups[0] != 3) return {0, 0};
  return {i, e};
}

}  // namespace

std::string mask_pii(std::string_view s, const PiiConfig& cfg, PiiCounts* counts) {
  PiiCounts local;
  PiiCounts& cnt = counts ? *counts : local;
  // 1. Collect e-mails first: they contain digits and dots that the other scanners
  //    must not see.
  std::vector<Span> emails;
  if (cfg.email) {
    for (size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
      const Span m = match_email(s, at);
      if (m.end > m.begin && (emails.empty() || m.begin >= emails.back().end)) {
        emails.push_back(m);
        at = m.end - 1;
      }
    }
  }
  std::string out;
  out.reserve(s.size());
  size_t next_email = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (next_email < emails.size() && i == emails[next_email].begin) {
      out.append(cfg.email_token);
      i = emails[next_email++].end;
      ++cnt.emails;
      continue;
    }
    const char c = s[i];
    const char prev = i > 0 ? s[i - 1] : ' ';
    // Scanners only start at a token boundary.
    const bool boundary = !is_alnum(prev) && prev != '.' && prev != '_' && prev != ':' &&
                          prev != '-' && prev != '/';
    if (boundary && (is_hex(c) || c == ':' || c == '+' || c == '(')) {
      Span m{0, 0};
      size_t* counter = nullptr;
      const std::string* token = nullptr;
      if (cfg.ipv4 && is_digit(c) && (m = match_ipv4(s, i)).end > m.begin) {
        counter = &cnt.ipv4;
        token = &cfg.ip_token;
      } else if (cfg.ipv6 && (is_hex(c) || c == ':') && (m = match_ipv6(s, i)).end > m.begin) {
        counter = &cnt.ipv6;
        token = &cfg.ip_token;
      } else if (cfg.phone && (is_digit(c) || c == '+' || c == '(') &&
                 (m = match_phone(s, i)).end > m.begin) {
        counter = &cnt.phones;
        token = &cfg.phone_token;
      }
      // A match must not overlap an e-mail that starts inside it.
      if (counter && !(next_email < emails.size() && emails[next_email].begin < m.end)) {
        out.append(*token);
        ++*counter;
        i = m.end;
        continue;
      }
    }
    out.push_back(c);
    // Skip the rest of an alphanumeric word so scanners never start mid-word.
    ++i;
    if (is_alnum(c)) {
      while (i < s.size() && is_alnum(s[i]) &&
             !(next_email < emails.size() && i == emails[next_email].begin))
        out.push_back(s[i++]);
    }
  }
  return out;
}

}  // namespace llm
