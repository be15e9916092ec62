// HTML stripping and PII masking.
#include <gtest/gtest.h>

#include "core/data/clean_html.h"
#include "core/data/clean_pii.h"

using llm::HtmlStripStats;
using llm::PiiCounts;

TEST(CleanHtml, StripsTagsScriptsAndDecodesEntities) {
  const std::string page =
      "<!DOCTYPE html><html><head><title>T</title><style>p { color: red }</style></head>"
      "<body><h1>Hello &amp; welcome</h1><p>First <b>bold</b>&nbsp;word.</p>"
      "<script type=\"text/javascript\">var s = '<p>not text</p>';</script>"
      "<ul><li>one</li><li>two &#x1F600; &#169; &lt;tag&gt;</li></ul><!-- hidden --></body></html>";
  HtmlStripStats st;
  const std::string text = llm::strip_html(page, &st);
  EXPECT_EQ(text, "Hello & welcome\n\nFirst bold word.\n\none\ntwo \xF0\x9F\x98\x80 \xC2\xA9 <tag>");
  EXPECT_EQ(st.dropped_elements, 2u);  // head (title and style inside it), script
  EXPECT_EQ(st.entities, 6u);  // amp nbsp #x1F600 #169 lt gt
  EXPECT_GT(st.tags, 10u);
  EXPECT_EQ(text.find("color"), std::string::npos);
  EXPECT_EQ(text.find("not text"), std::string::npos);
}

TEST(CleanHtml, KeepsLiteralAnglesAndUnknownEntities) {
  EXPECT_EQ(llm::strip_html("a < b and c > d, <3 &unknown; AT&T"), "a < b and c > d, <3 &unknown; AT&T");
  EXPECT_FALSE(llm::looks_like_html("a < b and 2 > 1, AT&T rocks"));
  EXPECT_TRUE(llm::looks_like_html("fish &amp; chips"));
  EXPECT_TRUE(llm::looks_like_html("<div>x</div>"));
  // Only real element names are tags: PII placeholders and generics stay text.
  EXPECT_FALSE(llm::looks_like_html("mail <EMAIL> or call <PHONE> from <IP>"));
  EXPECT_EQ(llm::strip_html("<p>mail <EMAIL></p> and vector<int> or <my-widget>w</my-widget>"),
            "mail <EMAIL>\n\nand vector<int> or w");
  // Attribute values may contain '>' inside quotes.
  EXPECT_EQ(llm::strip_html("<a href=\"x>y\" title='1 > 0'>link</a> text"), "link text");
  // An unterminated script swallows the rest; an unterminated comment too.
  EXPECT_EQ(llm::strip_html("keep<script>var a = 1;"), "keep");
  EXPECT_EQ(llm::strip_html("keep<!-- never closed"), "keep");
}

TEST(CleanHtml, NumericEntityEdgeCases) {
  size_t n = 0;
  // NUL, a surrogate and an out-of-range code point become U+FFFD.
  EXPECT_EQ(llm::decode_html_entities("&#0;&#xD800;&#x110000;&#65;&#x42;", &n),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "AB");
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(llm::decode_html_entities("&#;&#x;&amp"), "&#;&#x;&amp");  // incomplete: kept
}

TEST(CleanPii, MasksEmailsPhonesAndIps) {
  PiiCounts c;
  const std::string out = llm::mask_pii(
      "Write to john.doe+news@example.co.uk or Bob@mail.org. Call 555-1234, (555) 123-4567, "
      "+1 800 555 0199 or +44 20 7946 0958. Servers 192.168.1.1 and 2001:db8::8a2e:370:7334.",
      {}, &c);
  EXPECT_EQ(out,
            "Write to <EMAIL> or <EMAIL>. Call <PHONE>, <PHONE>, <PHONE> or <PHONE>. "
            "Servers <IP> and <IP>.");
  EXPECT_EQ(c.emails, 2u);
  EXPECT_EQ(c.phones, 4u);
  EXPECT_EQ(c.ipv4, 1u);
  EXPECT_EQ(c.ipv6, 1u);
}

TEST(CleanPii, LeavesOrdinaryNumbersAlone) {
  const std::string text =
      "On 2023-01-15 (or 15.01.2023) from 1990-2000, pi was 3.14159 and $1,234,567 bought "
      "1 000 000 apples at 12:30:45; version 1.2.3.4.5, 256.1.1.1, std::vector, a::b, x@1.2, "
      "user@localhost, room 101, year 1999.";
  PiiCounts c;
  EXPECT_EQ(llm::mask_pii(text, {}, &c), text);
  EXPECT_EQ(c.total(), 0u);
}

TEST(CleanPii, ConfigSwitchesAndTokens) {
  llm::PiiConfig cfg;
  cfg.email = false;
  cfg.ip_token = "[ip]";
  EXPECT_EQ(llm::mask_pii("a@b.com at 10.0.0.1", cfg), "a@b.com at [ip]");
  cfg.ipv4 = false;
  EXPECT_EQ(llm::mask_pii("10.0.0.1", cfg), "10.0.0.1");
}
