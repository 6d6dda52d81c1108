# Test fixture, made by HF `tokenizers` (python, 0.23), never by this project's code:
# a GPT-2-style byte-level BPE tokenizer (all 256 bytes, 64 merges; prefix space, ByteLevel
# post-processor and decoder; <|endoftext|> special) and the ids HF gives for sample texts.
# Regenerate: pip install tokenizers && python3 make.py && npx biome format --write . (the house format)
import json
from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
from tokenizers.models import BPE
from tokenizers.trainers import BpeTrainer

corpus = [
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away.",
    "Tokenizers split text into pieces: words, subwords, bytes. Byte-level BPE never needs an unknown token.",
    "Once upon a time there was a little robot who liked to count: one, two, three, 1 2 3, 42 and 3.14159.",
    "Café, naïve, façade, Ünïcode — and emoji 🙂🚀 and 日本語 too.",
]
tok = Tokenizer(BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
tok.post_processor = processors.ByteLevel(trim_offsets=True)
tok.decoder = decoders.ByteLevel()
trainer = BpeTrainer(vocab_size=256 + 1 + 64, special_tokens=["<|endoftext|>"],
                     initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
tok.train_from_iterator(corpus, trainer=trainer)
tok.save("tokenizer.json")
samples = corpus[:2] + [
    "Hello  world\tagain\n\n(yes)",
    "Ünïcode façade, 3.14159 and 42 — done! 🙂🚀 日本語 ü",
    "<|endoftext|>after the special token",
    "",
]
json.dump({"vocab_size": tok.get_vocab_size(),
           "samples": [{"text": s, "ids": tok.encode(s).ids, "tokens": tok.encode(s).tokens} for s in samples]},
          open("reference.json", "w"), ensure_ascii=False)
print(tok.get_vocab_size())
