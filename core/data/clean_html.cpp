#include "core/data/clean_html.h"

#include <algorithm>
#include <cstring>

#include "core/data/unicode_utf8.h"

namespace llm {
namespace {

struct NamedEntity { const char* name; char32_t cp; };
// The named entities that actually show up in scraped prose. The full HTML5 list
// has 2,231 names; the rest are rare enough to leave as-is.
const NamedEntity kEntities[] = {
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
    {"nbsp", 0xA0}, {"copy", 0xA9}, {"reg", 0xAE}, {"trade", 0x2122},
    {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013}, {"lsquo", 0x2018},
    {"rsquo", 0x2019}, {"sbquo", 0x201A}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
    {"bdquo", 0x201E}, {"laquo", 0xAB}, {"raquo", 0xBB}, {"bull", 0x2022},
    {"middot", 0xB7}, {"para", 0xB6}, {"sect", 0xA7}, {"deg", 0xB0},
    {"plusmn", 0xB1}, {"times", 0xD7}, {"divide", 0xF7}, {"micro", 0xB5},
    {"euro", 0x20AC}, {"pound", 0xA3}, {"yen", 0xA5}, {"cent", 0xA2},
    {"iexcl", 0xA1}, {"iquest", 0xBF}, {"shy", 0xAD}, {"ensp", 0x2002},
    {"emsp", 0x2003}, {"thinsp", 0x2009}, {"zwj", 0x200D}, {"zwnj", 0x200C},
    {"frac12", 0xBD}, {"frac14", 0xBC}, {"frac34", 0xBE}, {"sup2", 0xB2},
    {"sup3", 0xB3}, {"larr", 0x2190}, {"rarr", 0x2192}, {"uarr", 0x2191},
    {"darr", 0x2193}, {"hearts", 0x2665}, {"dagger", 0x2020}, {"prime", 0x2032},
    {"agrave", 0xE0}, {"aacute", 0xE1}, {"acirc", 0xE2}, {"auml", 0xE4},
    {"aring", 0xE5}, {"ccedil", 0xE7}, {"egrave", 0xE8}, {"eacute", 0xE9},
    {"ecirc", 0xEA}, {"euml", 0xEB}, {"iacute", 0xED}, {"iuml", 0xEF},
    {"ntilde", 0xF1}, {"oacute", 0xF3}, {"ocirc", 0xF4}, {"ouml", 0xF6},
    {"oslash", 0xF8}, {"uacute", 0xFA}, {"uuml", 0xFC}, {"szlig", 0xDF},
    {"Aacute", 0xC1}, {"Agrave", 0xC0}, {"Auml", 0xC4}, {"Ccedil", 0xC7},
    {"Eacute", 0xC9}, {"Ntilde", 0xD1}, {"Ouml", 0xD6}, {"Uuml", 0xDC},
};

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

// Parses an entity at s[i] == '&'. On success returns its length and sets *cp.
size_t parse_entity(std::string_view s, size_t i, char32_t* cp) {
  size_t j = i + 1;
  if (j < s.size() && s[j] == '#') {
    ++j;
    const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
    if (hex) ++j;
    const size_t start = j;
    uint32_t v = 0;
    while (j < s.size() && j - start < 8) {
      const char c = s[j];
      int d;
      if (is_digit(c)) d = c - '0';
      else if (hex && lower(c) >= 'a' && lower(c) <= 'f') d = lower(c) - 'a' + 10;
      else break;
      v = v * (hex ? 16 : 10) + d;
      ++j;
    }
    if (j == start || j >= s.size() || s[j] != ';') return 0;
    // NUL, surrogates and out-of-range references are replaced, as browsers do;
    // so are other C0 controls (they would also collide with the break markers).
    const bool control = (v < 0x20 && v != '\t' && v != '\n' && v != '\r') || v == 0x7F;
    if (control || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF) v = 0xFFFD;
    *cp = v;
    return j + 1 - i;
  }
  const size_t start = j;
  while (j < s.size() && j - start < 10 && is_alnum(s[j])) ++j;
  if (j == start || j >= s.size() || s[j] != ';') return 0;
  const std::string_view name = s.substr(start, j - start);
  for (const NamedEntity& e : kEntities) {
    if (name == e.name) {
      *cp = e.cp;
      return j + 1 - i;
    }
  }
  return 0;
}

bool ieq_prefix(std::string_view s, size_t i, const char* lit) {
  const size_t n = std::strlen(lit);
  if (i + n > s.size()) return false;
  for (size_t k = 0; k < n; ++k)
    if (lower(s[i + k]) != lit[k]) return false;
  return true;
}

// Finds the '>' that closes a tag starting at s[i] == '<', skipping quoted
// attribute values. npos if the tag never closes.
size_t find_tag_end(std::string_view s, size_t i) {
  char quote = 0;
  for (size_t j = i + 1; j < s.size(); ++j) {
    const char c = s[j];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      // Only a quote right after '=' (possibly spaced) opens an attribute value;
      // a stray apostrophe in broken markup must not swallow the rest of the page.
      size_t k = j;
      while (k > i && (s[k - 1] == ' ' || s[k - 1] == '\t')) --k;
      if (k > i && s[k - 1] == '=') quote = c;
    } else if (c == '>') {
      return j;
    }
  }
  return std::string_view::npos;
}

// HTML element names. A '<' starts a tag only if it names one of these (or a
// custom element, which must contain '-'): "<EMAIL>" placeholders from PII
// masking, "<3" or a generic "<T>" in prose are text, so cleaning is idempotent.
bool is_html_element(std::string_view name) {
  static const char* kNames[] = {
      "a", "abbr", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo",
      "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite", "code", "col",
      "colgroup", "data", "datalist", "dd", "del", "details", "dfn", "dialog", "div", "dl", "dt",
      "em", "embed", "fieldset", "figcaption", "figure", "font", "footer", "form", "frame",
      "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i",
      "iframe", "img", "input", "ins", "kbd", "label", "legend", "li", "link", "main", "map", "mark",
      "math", "menu", "meta", "meter", "nav", "nobr", "noscript", "object", "ol", "optgroup",
      "option", "output", "p", "param", "picture", "pre", "progress", "q", "rp", "rt", "ruby", "s",
      "samp", "script", "section", "select", "slot", "small", "source", "span", "strike", "strong",
      "style", "sub", "summary", "sup", "svg", "table", "tbody", "td", "template", "textarea",
      "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u", "ul", "var", "video", "wbr"};
  if (name.find('-') != std::string_view::npos) return true;
  for (const char* n : kNames)
    if (name == n) return true;
  return false;
}

// Lower-cased tag name after "<" or "</" at s[i] (empty if none).
std::string tag_name_at(std::string_view s, size_t i) {
  size_t k = i + 1;
  if (k < s.size() && s[k] == '/') ++k;
  std::string name;
  while (k < s.size() && (is_alnum(s[k]) || s[k] == '-' || s[k] == ':') && name.size() < 32) name.push_back(lower(s[k++]));
  return name;
}

enum class TagKind { kInline, kLine, kParagraph, kCell, kDropContents };

TagKind classify(std::string_view name) {
  static const char* drop[] = {"script", "style", "noscript", "template", "svg", "head",
                               "iframe", "object"};
  static const char* para[] = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                               "pre", "section", "article", "table", "ul", "ol", "dl",
                               "header", "footer", "main", "aside", "figure", "hr",
                               "address", "fieldset", "form", "nav", "title"};
  static const char* line[] = {"br", "div", "li", "tr", "dt", "dd", "figcaption",
                               "option", "caption", "summary", "details", "body", "html"};
  static const char* cell[] = {"td", "th"};
  for (const char* d : drop) if (name == d) return TagKind::kDropContents;
  for (const char* d : para) if (name == d) return TagKind::kParagraph;
  for (const char* d : line) if (name == d) return TagKind::kLine;
  for (const char* d : cell) if (name == d) return TagKind::kCell;
  return TagKind::kInline;
}

// Break requests left in the extracted text by block tags. They are control
// bytes that cannot survive from the input (strip_html turns input controls into
// spaces), so collapse_whitespace can merge them: "</li><li>" asks for two line
// breaks but must give one, so requests combine with max, not sum.
constexpr char kLineBreak = '\x01', kParaBreak = '\x02';

// Collapses whitespace of the extracted text: runs of spaces/tabs/NBSP -> one
// space, spaces trimmed around line breaks, at most one blank line in a row.
// Source newlines are kept as line breaks (blank line = paragraph) so text that
// merely contains an entity keeps its layout.
std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  int brk = 0;         // pending break: 0 none, 1 line, 2 paragraph
  int run_nl = 0;      // consecutive source '\n' (spaces between them ignored)
  bool space = false;  // pending space
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\n') {
      brk = std::max(brk, ++run_nl >= 2 ? 2 : 1);
      continue;
    }
    if (c == kLineBreak || c == kParaBreak) {
      brk = std::max(brk, c == kParaBreak ? 2 : 1);
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      space = true;
      continue;
    }
    if ((uint8_t)c == 0xC2 && i + 1 < s.size() && (uint8_t)s[i + 1] == 0xA0) {  // NBSP
      space = true;
      ++i;
      continue;
    }
    if (!out.empty()) {
      if (brk) out.append(brk == 2 ? "\n\n" : "\n");
      else if (space) out.push_back(' ');
    }
    brk = run_nl = 0;
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string decode_html_entities(std::string_view s, size_t* count) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      char32_t cp;
      const size_t len = parse_entity(s, i, &cp);
      if (len) {
        utf8_append(out, cp);
        if (count) ++*count;
        i += len - 1;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool looks_like_html(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size()) {
      const char c = s[i + 1];
      const bool tag_start = c == '!' || c == '?' || is_html_element(tag_name_at(s, i));
      if (tag_start && find_tag_end(s, i) != std::string_view::npos) return true;
    } else if (s[i] == '&') {
      char32_t cp;
      if (parse_entity(s, i, &cp)) return true;
    }
  }
  return false;
}

std::string strip_html(std::string_view s, HtmlStripStats* stats) {
  HtmlStripStats local;
  HtmlStripStats& st = stats ? *stats : local;
  std::string text;  // extracted text with raw entities, before decoding
  text.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c != '<' || i + 1 >= s.size()) {
      text.push_back(c == kLineBreak || c == kParaBreak ? ' ' : c);
      ++i;
      continue;
    }
    if (ieq_prefix(s, i, "<!--")) {
      const size_t end = s.find("-->", i + 4);
      i = end == std::string_view::npos ? s.size() : end + 3;
      ++st.tags;
      continue;
    }
    if (ieq_prefix(s, i, "<![cdata[")) {  // CDATA content is literal text
      const size_t end = s.find("]]>", i + 9);
      const size_t stop = end == std::string_view::npos ? s.size() : end;
      text.append(s.substr(i + 9, stop - (i + 9)));
      i = end == std::string_view::npos ? s.size() : end + 3;
      ++st.tags;
      continue;
    }
    const char n1 = s[i + 1];
    const bool closing = n1 == '/';
    const bool is_tag = n1 == '!' || n1 == '?' || is_html_element(tag_name_at(s, i));
    const size_t end = is_tag ? find_tag_end(s, i) : std::string_view::npos;
    if (end == std::string_view::npos) {  // "a < b", "<3": plain text
      text.push_back(c);
      ++i;
      continue;
    }
    ++st.tags;
    if (n1 == '!' || n1 == '?') {  // doctype, processing instruction
      i = end + 1;
      continue;
    }
    size_t k = i + (closing ? 2 : 1);
    std::string name;
    while (k < end && (is_alnum(s[k]) || s[k] == '-' || s[k] == ':')) name.push_back(lower(s[k++]));
    const bool self_closing = end > i && s[end - 1] == '/';
    const TagKind kind = classify(name);
    i = end + 1;
    if (kind == TagKind::kDropContents) {
      if (closing || self_closing) continue;
      // Skip to the matching close tag ("</script" ... '>'), or to the end.
      const std::string close = "</" + name;
      size_t j = i;
      for (;;) {
        j = s.find("</", j);
        if (j == std::string_view::npos || ieq_prefix(s, j, close.c_str())) break;
        j += 2;
      }
      if (j == std::string_view::npos) {
        i = s.size();
      } else {
        const size_t close_end = s.find('>', j);
        i = close_end == std::string_view::npos ? s.size() : close_end + 1;
      }
      ++st.dropped_elements;
      text.push_back(kLineBreak);
      continue;
    }
    if (kind == TagKind::kParagraph) text.push_back(kParaBreak);
    else if (kind == TagKind::kLine) text.push_back(kLineBreak);
    else if (kind == TagKind::kCell) text.push_back(' ');
  }
  return collapse_whitespace(decode_html_entities(text, &st.entities));
}

}  // namespace llm
