/**
 * Whether a request path could name one route here and another where it is served. A route is matched on
 * the path as written, while a server, proxy or framework behind the check may normalise it first:
 * `/users/1/aliases/..` is `/users/1/` to any WHATWG URL parser, so a caller allowed to delete an alias
 * would delete the user. Such paths match no route, so the answer is a denial, as at the gateway:
 * - a dot segment, `.` or `..`, also percent-encoded (`%2e`, `.%2E`…);
 * - a backslash, which URL parsers read as a slash in http(s) URLs;
 * - percent-encoding that decodes to nothing (`%zz`, half a UTF-8 sequence).
 * An encoded slash (`%2F`) is not among them: URL parsers keep it encoded, and ids may hold one; the gateway,
 * which hands the path on to a server that may decode it, refuses it as well.
 * Only the path counts: `end` is where it stops (its query or fragment), the whole string when absent.
 */
export function ambiguousPath(path: string, end = pathEnd(path)): boolean {
  // Every route check asks: most paths hold none of the three characters, found by the engine's own scan.
  if (lacks(path, ".", end) && lacks(path, "%", end) && lacks(path, "\\", end)) return false;
  let percent = false;
  let segment = 0;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? path.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      if (isDotSegment(path, segment, i)) return true;
      segment = i + 1;
    } else if (c === BACKSLASH) {
      return true;
    } else if (c === PERCENT) {
      percent = true;
    }
  }
  // Most paths hold no percent sign, and are settled without a copy.
  if (!percent) return false;
  try {
    decodeURIComponent(path.slice(0, end));
    return false;
  } catch {
    return true;
  }
}

/** `path` holds no `char` before `end`. */
function lacks(path: string, char: string, end: number): boolean {
  const at = path.indexOf(char);
  return at === -1 || at >= end;
}

function pathEnd(path: string): number {
  let end = path.length;
  const query = path.indexOf("?");
  if (query !== -1) end = query;
  const hash = path.indexOf("#");
  if (hash !== -1 && hash < end) end = hash;
  return end;
}

/** `path[from, to)` is `.` or `..`, each dot written as itself or as `%2e`. */
function isDotSegment(path: string, from: number, to: number): boolean {
  let dots = 0;
  for (let i = from; i < to; ) {
    if (path.charCodeAt(i) === DOT) {
      i++;
    } else if (
      path.charCodeAt(i) === PERCENT &&
      path.charCodeAt(i + 1) === TWO &&
      (path.charCodeAt(i + 2) | 0x20) === LOWER_E &&
      i + 3 <= to
    ) {
      i += 3;
    } else {
      return false;
    }
    if (++dots > 2) return false;
  }
  return dots > 0;
}

const SLASH = 47;
const BACKSLASH = 92;
const PERCENT = 37;
const DOT = 46;
const TWO = 50;
const LOWER_E = 101;
