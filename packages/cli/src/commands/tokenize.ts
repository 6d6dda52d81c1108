import type { Encoding, Tokenizer } from '@bilinear-lab/text';
import type { Command } from 'commander';
import { formatInteger, renderTable } from '../format.js';
import { printLine } from '../output.js';
import { readTokenizer } from '../tokenizer-input.js';

interface TokenizeOptions {
  text: string;
  json?: boolean;
}

export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description(
      'encode text with an HF tokenizer.json exactly as HF tokenizers does (its post-processor applied, e.g. [BOS] first)',
    )
    .argument('<tokenizer.json>', 'an HF tokenizers file (WordPiece, BPE, byte-level BPE, Unigram, …)')
    .requiredOption('--text <string>', 'the text to encode')
    .option('--json', 'print {"ids":[…],"tokens":[…]} as one line of JSON')
    .action(async (path: string, options: TokenizeOptions) => {
      const tokenizer = await readTokenizer(path);
      const encoding = await tokenizer.encode(options.text);
      printLine(
        options.json
          ? JSON.stringify({ ids: [...encoding.ids], tokens: encoding.tokens })
          : renderEncoding(tokenizer, encoding),
      );
    });
}

/** Tokens that would not show as themselves (spaces, control characters, nothing) are quoted. */
function shown(token: string): string {
  return token === '' || /[\s\p{C}"]/u.test(token) ? JSON.stringify(token) : token;
}

function renderEncoding(tokenizer: Tokenizer, encoding: Encoding): string {
  const rows = encoding.tokens.map((token, i) => [String(i), String(encoding.ids[i]), shown(token)]);
  const count = encoding.tokens.length;
  return [
    renderTable([['position', 'id', 'token'], ...rows], ['right', 'right', 'left']),
    '',
    `${formatInteger(count)} ${count === 1 ? 'token' : 'tokens'} (vocabulary ${formatInteger(tokenizer.vocabSize)})`,
  ].join('\n');
}
