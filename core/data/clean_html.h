// HTML/markup stripping for web-scraped documents.
//
// A small state machine, not a DOM parser: it only needs to turn markup into the
// text a reader would see. Rules:
//   * <script>, <style>, <noscript>, <template>, <svg>, <head> elements are removed WITH
//     their contents; comments <!-- -->, <!DOCTYPE>, <?..?> and CDATA markers are dropped;
//   * every other tag is removed; block-level tags (p, div, br, li, h1..h6, tr, ...)
//     become line breaks so paragraphs do not run together;
//   * entities are decoded: &#NNN; &#xHH; and the common named ones (&amp; &nbsp; ...);
//   * whitespace runs are collapsed (spaces within a line, at most one blank line).
// A '<' that does not start a known HTML element ("a < b", "<3", the "<EMAIL>"
// placeholder of PII masking) is kept as text, so cleaning twice changes nothing.
#pragma once
#include <string>
#include <string_view>

namespace llm {

struct HtmlStripStats {
  size_t tags = 0;            // tags removed (including comments/doctype)
  size_t dropped_elements = 0;  // script/style/... elements removed with contents
  size_t entities = 0;        // entities decoded
};

// True if the text contains something strip_html would change: a tag, a comment
// or an entity. Plain prose returns false so the pipeline leaves it byte-identical.
bool looks_like_html(std::string_view s);

std::string strip_html(std::string_view s, HtmlStripStats* stats = nullptr);

// Decode &...; entities only (no tag handling). Unknown names are left as-is;
// numeric references to C0 controls (but tab/LF/CR), surrogates or > U+10FFFF
// become U+FFFD.
std::string decode_html_entities(std::string_view s, size_t* count = nullptr);

}  // namespace llm
