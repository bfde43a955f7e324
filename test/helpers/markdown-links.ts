import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/**
 * Relative links in markdown files, and whether each one resolves: the file it names exists and,
 * when it has a `#fragment`, that file has a heading GitHub gives that anchor. Links inside code
 * (fenced blocks, `inline spans`) are not links, and neither are absolute URLs.
 */
export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  problem: string;
}

/** Each line of `text`, or null for the lines of fenced code blocks (fences included). */
function outsideFences(text: string): (string | null)[] {
  let fence: string | null = null;
  return text.split("\n").map((line) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      if (opening && opening[1]!.startsWith(fence)) fence = null;
      return null;
    }
    if (opening) fence = opening[1]!;
    return opening ? null : line;
  });
}

/** The text without fenced code blocks and inline code spans, line for line. */
function withoutCode(text: string): string {
  return outsideFences(text)
    .map((line) => (line === null ? "" : line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, "")))
    .join("\n");
}

/** GitHub's heading anchor: lowercased, punctuation dropped (but `-` and `_`), spaces to `-`. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a markdown file's headings give, duplicates numbered as GitHub numbers them. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of outsideFences(text)) {
    if (line === null) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

/** The relative links of one markdown file that do not resolve. */
export function brokenLinks(file: string, root: string): BrokenLink[] {
  const text = readFileSync(file, "utf8");
  const broken: BrokenLink[] = [];
  const name = relative(root, file);
  for (const [i, line] of withoutCode(text).split("\n").entries()) {
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]!;
      if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const at = target.indexOf("#");
      const path = at < 0 ? target : target.slice(0, at);
      const fragment = at < 0 ? null : decodeURIComponent(target.slice(at + 1));
      const resolved = path === "" ? file : join(dirname(file), decodeURIComponent(path));
      const report = (problem: string) => broken.push({ file: name, line: i + 1, target, problem });
      if (!existsSync(resolved)) {
        report(`no such file: ${relative(root, resolved)}`);
        continue;
      }
      if (fragment === null) continue;
      if (!statSync(resolved).isFile() || !resolved.endsWith(".md")) {
        report(`an anchor into ${relative(root, resolved)}, which is not a markdown file`);
        continue;
      }
      if (!anchors(readFileSync(resolved, "utf8")).has(fragment)) report(`no heading gives #${fragment} in ${relative(root, resolved)}`);
    }
  }
  return broken;
}
