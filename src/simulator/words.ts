/**
 * The vocabulary of generated replies. Common English words that are a single o200k
 * token both as " word" and capitalised, so a reply's token count is known while it is
 * built, and truncation to `max_tokens` lands on an exact token boundary.
 */
import { countTextTokensUncached } from "./tokens.js";

const CANDIDATES = `the of and to in is that it for was on are as with they at be this from have or by
one had not but what all were when we there can an your which their if do will each about how up out them then
many some so these would other into has more like see time could no make than first been its who now people my
made over did down only way find use may water long little very after words called just where most know get
through back much before go good new write our used me too any day same right look think also around another
come work three word must because does part even place well such here take why things help put years different
away again off went old number great tell men say small every found still between name should home big give air
line set own under read last never us left end along while next sound below saw something thought both few those
always looks show large often together asked house world going want school important until form food keep feet
land side without once life enough sometimes four head above kind almost live page got earth need far hand high
year light parts country let night following picture being study second soon times story since white days ever
paper hard near sentence better best across during today others however sure means try young miles sun ways thing
whole hear example several change answer room sea against top learn point city play five using usually money seen
car morning open system data model result value simple clear quick review summary report process plan table list
group order service market state public level case test`
  .split(/\s+/)
  .filter((word) => word.length > 0);

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

let words: readonly string[] | undefined;

/**
 * Filtered on first use (a few hundred tiny encodes) so a tokenizer update cannot break the
 * invariant, and so importing the library does not load the tokenizer.
 */
export function replyWords(): readonly string[] {
  words ??= [...new Set(CANDIDATES)].filter(
    (word) => countTextTokensUncached(` ${word}`) === 1 && countTextTokensUncached(capitalise(word)) === 1 && countTextTokensUncached(` ${capitalise(word)}`) === 1,
  );
  return words;
}

export { capitalise };
