/**
 * Appends words and punctuation to one story and tells where each word landed, so the generator can record
 * planted facts as character offsets into the text it returns.
 */
export class StoryWriter {
  text = '';
  /** True at the start and right after an opening quote: the next word takes no space before it. */
  private glued = true;

  /** Appends one or more space-separated words; returns the offset of the first. */
  word(words: string): number {
    if (!this.glued) this.text += ' ';
    const at = this.text.length;
    this.text += words;
    this.glued = false;
    return at;
  }

  /** Appends punctuation with no space before it (".", ",", "!", "?"). */
  mark(punctuation: string): void {
    this.text += punctuation;
  }

  openQuote(): void {
    if (!this.glued) this.text += ' ';
    this.text += '"';
    this.glued = true;
  }

  closeQuote(): void {
    this.text += '"';
  }
}
