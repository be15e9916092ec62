#include "core/tokenizer/tokenizer.h"

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/json_util.h"
#include "core/tokenizer/unigram.h"
#include "core/tokenizer/wordpiece.h"

namespace llm {

std::unique_ptr<Tokenizer> load_tokenizer_json(const std::string& json_text) {
  // Peek at model.type first so the error for an unknown type is about the type.
  const nlohmann::json root = tokjson::parse(json_text);
  if (!root.is_object()) tokjson::fail("top level must be an object");
  const std::string type = tokjson::get_string(tokjson::member(root, "model", ""), "type", "model");
  if (type == "BPE") return std::make_unique<BpeTokenizer>(BpeTokenizer::from_hf_json(json_text));
  if (type == "WordPiece") return std::make_unique<WordPieceTokenizer>(WordPieceTokenizer::from_hf_json(json_text));
  if (type == "Unigram") return std::make_unique<UnigramTokenizer>(UnigramTokenizer::from_hf_json(json_text));
  tokjson::fail("'model.type' \"" + type + "\" is not supported (BPE, WordPiece, Unigram)");
}

}  // namespace llm
