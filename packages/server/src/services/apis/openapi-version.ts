import { isObject, type JsonObject } from "./openapi-load";
import type { ApiWarning } from "./openapi-types";

/** `v2`, `V2`, `v2.1`, `2.0` as a URL segment; not a date (`2010-04-01`) nor a bare number. */
const URL_VERSION = /^(?:v(\d+)(?:[._-]\d+)*|(\d+)\.\d+)$/i;
const INFO_VERSION = /^v?(\d+)/i;

/** The largest major version: the same bound as an explicit `majorVersion` in the import body. */
export const MAX_MAJOR_VERSION = 1_000_000;

/** Whether a major version can make a key: an integer from 0 to MAX_MAJOR_VERSION (not `1e+28`). */
export function isUsableMajorVersion(major: number): boolean {
  return Number.isSafeInteger(major) && major >= 0 && major <= MAX_MAJOR_VERSION;
}

/**
 * The major version entitlements are kept under. A version in the URL wins over `info.version`: two majors
 * can only be served side by side (and so need separate entitlements) when their URLs differ, and
 * `info.version` often tracks the document instead (Twilio's chat v1, v2 and v3 are all "1.0.0"; Box's
 * `/2.0` API is "2024.0"). Else the major of `info.version` ("2.1.0" → 2, "v3" → 3), else 1. The result
 * may be beyond `isUsableMajorVersion` ("99999999999999999999.0"): the import refuses it unless the caller
 * gives the major version.
 */
export function deriveMajorVersion(infoVersion: string, basePath: string, operationPaths: string[]): number {
  const segments = [...basePath.split("/").filter(Boolean), ...commonStaticPrefix(operationPaths)];
  for (let i = segments.length - 1; i >= 0; i--) {
    const match = URL_VERSION.exec(segments[i]!);
    if (match) return Number(match[1] ?? match[2]);
  }
  const info = INFO_VERSION.exec(infoVersion.trim());
  return info ? Number(info[1]) : 1;
}

/** Leading segments every operation path shares, up to the first parameter. */
function commonStaticPrefix(paths: string[]): string[] {
  const [first, ...others] = paths.map((p) => p.split("/").filter(Boolean));
  if (!first) return [];
  let length = first.findIndex((segment) => segment.includes("{"));
  if (length === -1) length = first.length;
  for (const other of others) {
    let i = 0;
    while (i < length && other[i] === first[i]) i++;
    length = i;
  }
  return first.slice(0, length);
}

/**
 * The path operations are served under: Swagger's `basePath`, or the path of the first OpenAPI server URL
 * with its variables at their defaults. "" when there is none.
 */
export function readBasePath(document: JsonObject, warnings: ApiWarning[]): string {
  if (document.swagger !== undefined)
    return typeof document.basePath === "string" ? cleanPath(document.basePath) : "";
  if (!Array.isArray(document.servers)) return "";
  const paths = document.servers.filter(isObject).map((server, i) => {
    const url = typeof server.url === "string" ? expandVariables(server.url, server.variables) : "";
    const path = urlPath(url);
    if (path === undefined)
      warnings.push({ pointer: `/servers/${i}/url`, message: `Cannot read a path from ${url}` });
    return path ?? "";
  });
  const [first = ""] = paths;
  if (paths.some((p) => p !== first)) {
    warnings.push({
      pointer: "/servers",
      message: `Servers have different base paths; routes use the first, "${first}"`,
    });
  }
  return first;
}

function expandVariables(url: string, variables: unknown): string {
  return url.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const variable = isObject(variables) ? variables[name] : undefined;
    return isObject(variable) && typeof variable.default === "string" ? variable.default : "";
  });
}

function urlPath(url: string): string | undefined {
  if (!url.includes("://")) return cleanPath(url.replace(/[?#].*$/, ""));
  try {
    return cleanPath(decodeURI(new URL(url).pathname));
  } catch {
    return undefined;
  }
}

/** "/v1/" → "/v1", "v1" → "/v1", "/" → "". */
function cleanPath(path: string): string {
  const trimmed = path
    .trim()
    .replace(/^\.?\/*/, "")
    .replace(/\/+$/, "");
  return trimmed === "" ? "" : `/${trimmed}`;
}
