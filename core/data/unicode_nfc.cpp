#include "core/data/unicode_nfc.h"

#include <algorithm>

#include "core/data/unicode_nfc_tables.h"
#include "core/data/unicode_utf8.h"

namespace llm {
namespace ut = nfc_tables;

namespace {

// Hangul constants (Unicode 14, section 3.12). A syllable S = L V [T]:
//   S = S0 + (L - L0) * NCOUNT + (V - V0) * TCOUNT + (T - T0), T = T0 meaning "no T".
constexpr char32_t S0 = 0xAC00, L0 = 0x1100, V0 = 0x1161, T0 = 0x11A7;
constexpr int LCOUNT = 19, VCOUNT = 21, TCOUNT = 28, NCOUNT = VCOUNT * TCOUNT,
              SCOUNT = LCOUNT * NCOUNT;

bool is_hangul_syllable(char32_t c) { return c >= S0 && c < S0 + SCOUNT; }

// The first code point that has a decomposition, combining class or QC != Yes.
// Everything below is a pure starter and is its own NFC.
constexpr char32_t kFirstInteresting = 0xC0;

template <class T>
const T* find_range(const T* table, int count, char32_t cp) {
  int lo = 0, hi = count - 1;
  while (lo <= hi) {
    const int mid = (lo + hi) / 2;
    if (cp < table[mid].lo) hi = mid - 1;
    else if (cp > table[mid].hi) lo = mid + 1;
    else return &table[mid];
  }
  return nullptr;
}

const ut::DecompEntry* find_decomp(char32_t cp) {
  int lo = 0, hi = ut::kDecompIndexCount - 1;
  while (lo <= hi) {
    const int mid = (lo + hi) / 2;
    if (cp < ut::kDecompIndex[mid].cp) hi = mid - 1;
    else if (cp > ut::kDecompIndex[mid].cp) lo = mid + 1;
    else return &ut::kDecompIndex[mid];
  }
  return nullptr;
}

int quick_check_value(char32_t cp) {  // 0 = Yes, 1 = No, 2 = Maybe
  if (cp < kFirstInteresting) return 0;
  const ut::QcRange* r = find_range(ut::kQcRanges, ut::kQcRangesCount, cp);
  return r ? r->value : 0;
}

// Returns the primary composite of (a, b), or 0 if there is none.
char32_t compose_pair(char32_t a, char32_t b) {
  // Hangul LV: L + V.
  if (a >= L0 && a < L0 + LCOUNT && b >= V0 && b < V0 + VCOUNT)
    return S0 + ((a - L0) * VCOUNT + (b - V0)) * TCOUNT;
  // Hangul LVT: LV + T (only LV syllables, i.e. with no T yet).
  if (is_hangul_syllable(a) && (a - S0) % TCOUNT == 0 && b > T0 && b < T0 + TCOUNT)
    return a + (b - T0);
  int lo = 0, hi = ut::kCompPairsCount - 1;
  while (lo <= hi) {
    const int mid = (lo + hi) / 2;
    const ut::CompPair& p = ut::kCompPairs[mid];
    if (a < p.first || (a == p.first && b < p.second)) hi = mid - 1;
    else if (a > p.first || b > p.second) lo = mid + 1;
    else return p.composite;
  }
  return 0;
}

void decompose_into(char32_t c, std::u32string& out) {
  if (is_hangul_syllable(c)) {
    const int s = (int)(c - S0);
    out.push_back(L0 + s / NCOUNT);
    out.push_back(V0 + (s % NCOUNT) / TCOUNT);
    if (s % TCOUNT) out.push_back(T0 + s % TCOUNT);
    return;
  }
  const ut::DecompEntry* e = c >= kFirstInteresting ? find_decomp(c) : nullptr;
  if (!e) {
    out.push_back(c);
    return;
  }
  for (int k = 0; k < e->len; ++k) out.push_back(ut::kDecompPool[e->offset + k]);
}

// Canonical ordering: within each run of non-starters, stable-sort by combining
// class. Runs are short (a few marks), so insertion sort is the right tool.
void canonical_order(std::u32string& s) {
  const size_t n = s.size();
  for (size_t i = 1; i < n; ++i) {
    const int ci = canonical_combining_class(s[i]);
    if (ci == 0) continue;
    size_t j = i;
    while (j > 0) {
      const int cp = canonical_combining_class(s[j - 1]);
      if (cp <= ci) break;  // starters (0) stop the scan; equal classes keep order
      std::swap(s[j - 1], s[j]);
      --j;
    }
  }
}

// Canonical composition in place (UAX #15 sample algorithm). A character C can
// join the last starter S unless it is "blocked": some character B between them
// has ccc(B) == 0 or ccc(B) >= ccc(C).
void compose(std::u32string& s) {
  if (s.empty()) return;
  size_t starter_pos = 0;
  char32_t starter = s[0];
  int last_class = canonical_combining_class(starter);
  if (last_class != 0) last_class = 256;  // a leading non-starter composes with nothing
  size_t out = 1;
  for (size_t i = 1; i < s.size(); ++i) {
    const char32_t c = s[i];
    const int cls = canonical_combining_class(c);
    const char32_t comp = compose_pair(starter, c);
    if (comp && (last_class < cls || last_class == 0)) {
      s[starter_pos] = comp;
      starter = comp;
      continue;  // c is absorbed; last_class still describes the previous kept char
    }
    if (cls == 0) {
      starter_pos = out;
      starter = c;
    }
    last_class = cls;
    s[out++] = c;
  }
  s.resize(out);
}

}  // namespace

const char* unicode_version() { return ut::kUnicodeVersion; }

int canonical_combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  const ut::CccRange* r = find_range(ut::kCccRanges, ut::kCccRangesCount, cp);
  return r ? r->ccc : 0;
}

bool nfc_quick_check(std::u32string_view s) {
  int last_class = 0;
  for (char32_t c : s) {
    if (c < kFirstInteresting) {
      last_class = 0;
      continue;
    }
    const int cls = canonical_combining_class(c);
    if (cls != 0 && last_class > cls) return false;
    if (quick_check_value(c) != 0) return false;
    last_class = cls;
  }
  return true;
}

bool nfc_quick_check_utf8(std::string_view s) {
  int last_class = 0;
  for (size_t i = 0; i < s.size();) {
    if ((uint8_t)s[i] < 0x80) {  // ASCII: starter, QC=Yes
      ++i;
      last_class = 0;
      continue;
    }
    const char32_t c = utf8_next(s, i);
    if (c < kFirstInteresting) {
      last_class = 0;
      continue;
    }
    const int cls = canonical_combining_class(c);
    if (cls != 0 && last_class > cls) return false;
    if (quick_check_value(c) != 0) return false;
    last_class = cls;
  }
  return true;
}

std::u32string nfd(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size() + s.size() / 4);
  for (char32_t c : s) decompose_into(c, out);
  canonical_order(out);
  return out;
}

std::u32string nfc(std::u32string_view s) {
  if (nfc_quick_check(s)) return std::u32string(s);
  std::u32string d = nfd(s);
  compose(d);
  return d;
}

std::string nfc_utf8(std::string_view s) {
  if (nfc_quick_check_utf8(s) && utf8_is_valid(s)) return std::string(s);
  return u32_to_utf8(nfc(utf8_to_u32(s)));
}

}  // namespace llm
