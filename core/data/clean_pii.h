// PII masking: e-mail addresses, phone numbers and IP addresses are replaced by
// placeholder tokens so a model trained on the corpus cannot memorize them.
//
// Hand-written scanners instead of std::regex: they run in linear time on any
// input (std::regex backtracks and is slow on multi-GB corpora) and encode the
// few rules that keep ordinary numbers (years, prices, dates, decimals) unmasked.
//   email  local@domain.tld     local: [A-Za-z0-9._%+-]+, domain labels [A-Za-z0-9-]
//                               joined by dots, TLD of >= 2 letters
//   ipv4   a.b.c.d              each 0..255, no leading zeros, not inside a longer
//                               dotted number
//   ipv6   x:x:x:x:x:x:x:x or a "::"-compressed form with at least one digit
//   phone  [+]digit groups joined by ' ', '-', '.' or "(...)", 7..15 digits in all.
//          Unmarked numbers (no '+' or parentheses) need groups of >= 3 digits after
//          the first and a last group of >= 4 ("555-1234", "555.123.4567"), so dates
//          (2023-01-15, 15.01.2023), ranges (1990-2000), decimals and thousands
//          ("1 000 000") stay text; 10..15 bare digits or spaced digits also count.
#pragma once
#include <string>
#include <string_view>

namespace llm {

struct PiiConfig {
  bool email = true;
  bool phone = true;
  bool ipv4 = true;
  bool ipv6 = true;
  std::string email_token = "<EMAIL>";
  std::string phone_token = "<PHONE>";
  std::string ip_token = "<IP>";
};

struct PiiCounts {
  size_t emails = 0, phones = 0, ipv4 = 0, ipv6 = 0;
  size_t total() const { return emails + phones + ipv4 + ipv6; }
};

std::string mask_pii(std::string_view s, const PiiConfig& cfg = {}, PiiCounts* counts = nullptr);

}  // namespace llm
