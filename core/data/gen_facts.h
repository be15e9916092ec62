// World-knowledge paragraphs for the pretraining corpus: the facts the short-answer tasks ask
// about (what colour grass is, what a cow says, the plural of mouse, the past tense of run, the
// opposite of hot, a baby cow's name), stated the way a picture book states them.
//
// Why: the post-training generators (gen_sft, gen_preference) split their items by the fact
// asked, so a validation question asks about a fact that no post-training example contains. A
// model can only answer it, and a reward model can only rank "mice" above "mouses", if the fact
// was learnt in pretraining — as in a real LLM, where knowledge comes from the pretraining text
// and post-training teaches the format. These paragraphs put every fact of the tables in
// core/data/gen_words.h into the corpus (all of them: knowledge has no held-out split), in
// several phrasings, none of them the question-and-answer format of the tasks.
//
// `llm data generate stories --facts P` mixes one paragraph after a story with probability
// P percent (docs/reward_model.md, "Knowledge from pretraining").
#pragma once
#include <string>

#include "core/data/gen_common.h"

namespace llm {

// One paragraph: a heading-like first sentence and 4-8 facts of one table.
std::string facts_paragraph(Rng& rng);

// A block of n question-and-answer lines ("Q: What is the plural of mouse?" / "A: The plural of
// ...") from the TRAIN split of the short-answer, arithmetic and word tasks (core/data/gen_tasks.h,
// split by key with the default GenOptions every post-training generator uses): no held-out
// question is ever asked in it. Mixed into pretraining (`--facts-qa P`), it shows the model
// questions answered from the facts it reads in the paragraphs, so that it can later answer the
// held-out ones from the paragraphs alone ("mixed training", Allen-Zhu & Li, Physics of Language
// Models 3.1). docs/reward_model.md, "Knowledge from pretraining".
std::string facts_qa_block(Rng& rng, int n);

// "the sky", "grass", "a banana": how a thing of kThingColors is named in a sentence
std::string thing_phrase(const std::string& thing);

}  // namespace llm
