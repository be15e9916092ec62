// Answer extraction and normalization for exact-match math.
#include <gtest/gtest.h>

#include "core/eval/answer.h"

namespace llm {
namespace {

TEST(EvalAnswer, CanonicalNumbers) {
  EXPECT_EQ(*canonical_number("18"), "18");
  EXPECT_EQ(*canonical_number("$1,200.00"), "1200");
  EXPECT_EQ(*canonical_number("12.0"), "12");
  EXPECT_EQ(*canonical_number("12."), "12");
  EXPECT_EQ(*canonical_number("007.50"), "7.5");
  EXPECT_EQ(*canonical_number("-0"), "0");
  EXPECT_EQ(*canonical_number("-0.00"), "0");
  EXPECT_EQ(*canonical_number("+3"), "3");
  EXPECT_EQ(*canonical_number(".5"), "0.5");
  EXPECT_EQ(*canonical_number(" -42 "), "-42");
  EXPECT_EQ(*canonical_number("50%"), "50");
  EXPECT_FALSE(canonical_number("twelve"));
  EXPECT_FALSE(canonical_number("1.2.3"));
  EXPECT_FALSE(canonical_number(""));
  EXPECT_FALSE(canonical_number("-"));
}

TEST(EvalAnswer, FindsNumbersWithCommasDecimalsAndSigns) {
  EXPECT_EQ(find_numbers("I paid $1,200.50 for 3 items."), (std::vector<std::string>{"1200.5", "3"}));
  // a comma is a thousands separator only before exactly three digits
  EXPECT_EQ(find_numbers("the list 1,2,3"), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(find_numbers("1,234,567 and 12,3456"), (std::vector<std::string>{"1234567", "12", "3456"}));
  // a dot that ends a sentence is not a decimal point
  EXPECT_EQ(find_numbers("It is 12. Then 4.25."), (std::vector<std::string>{"12", "4.25"}));
  // a minus after a digit or ')' joins terms; elsewhere it is a sign
  EXPECT_EQ(find_numbers("16-3-4=9"), (std::vector<std::string>{"16", "3", "4", "9"}));
  EXPECT_EQ(find_numbers("(2)-1"), (std::vector<std::string>{"2", "1"}));
  EXPECT_EQ(find_numbers("it drops to -5 degrees, x=-7"), (std::vector<std::string>{"-5", "-7"}));
  EXPECT_TRUE(find_numbers("no digits here").empty());
}

TEST(EvalAnswer, ExtractsAfterHashesElseLastNumber) {
  EXPECT_EQ(extract_answer("She makes 9 * 2 = $18 every day.\n#### 18"), "18");
  EXPECT_EQ(extract_answer("#### 1,000\nsome trailing 7"), "1000");  // the line after #### only
  EXPECT_EQ(extract_answer("first #### 3 then #### 4"), "4");          // the last ####
  EXPECT_EQ(extract_answer("#### seven"), "seven");                     // non-numeric final answer
  EXPECT_EQ(extract_answer("7 + 5 = 12."), "12");
  EXPECT_EQ(extract_answer("The answer is -3."), "-3");
  EXPECT_EQ(extract_answer("It costs $2.50, so 4 cost $10.00"), "10");
  EXPECT_EQ(extract_answer("I don't know"), "");
}

TEST(EvalAnswer, MatchesAfterNormalization) {
  EXPECT_TRUE(answer_matches("so the total is $1,200.", "1200"));
  EXPECT_TRUE(answer_matches("#### 18", "Janet sells 9 eggs.\n#### 18"));
  EXPECT_TRUE(answer_matches("The answer is 51.", "51.0"));
  EXPECT_TRUE(answer_matches("x = 0.50", "0.5"));
  EXPECT_FALSE(answer_matches("The answer is 12 or 13", "12"));  // the LAST number counts
  EXPECT_FALSE(answer_matches("-12", "12"));
  EXPECT_FALSE(answer_matches("", ""));  // an empty reference never matches
  EXPECT_EQ(normalize_answer("  Lily. "), "lily");
}

}  // namespace
}  // namespace llm
