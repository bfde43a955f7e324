/**
 * A Redis URL as people may see it: the password masked (`redis://user:***@host:6379/0`), in every
 * message, property and summary. Whatever an error of the client says is scrubbed of the password
 * too, in case it quotes the URL.
 */

const MASK = "***";

/** `url` with its password masked (a URL that does not parse: whatever sits before its "@"). */
export function maskRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = MASK;
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, `//${MASK}@`);
  }
}

/** The password of `url`, raw and decoded (what must never be shown). */
function secrets(url: string): string[] {
  const out = new Set<string>();
  try {
    const p = new URL(url).password;
    if (p !== "") {
      out.add(p);
      try {
        out.add(decodeURIComponent(p));
      } catch {
        // A malformed escape: the raw form is scrubbed.
      }
    }
  } catch {
    const m = /\/\/([^/@]*)@/.exec(url);
    if (m?.[1]) out.add(m[1]);
  }
  return [...out];
}

/** `text` with the password of `url` masked wherever it appears. */
export function scrub(text: string, url: string): string {
  let out = text;
  for (const s of secrets(url)) out = out.split(s).join(MASK);
  return out;
}
