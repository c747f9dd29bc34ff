import $RefParser from "@apidevtools/json-schema-ref-parser";
import { parse as parseYaml } from "yaml";
import { isStorableText } from "../../storage/storable-text";
import { ApiDocumentError, pointerToken } from "./openapi-types";

export type JsonObject = Record<string, unknown>;

export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** Operation fields the importer reads; everything else (schemas, examples, responses) is left behind. */
const OPERATION_FIELDS = ["operationId", "summary", "tags", "security", "deprecated"] as const;
const PATH_ITEM_FIELDS = ["$ref", "summary", "description"] as const;
/** Values that are literal data, where a `$ref` key is content rather than a reference. */
const LITERAL_KEYS = new Set(["example", "default", "enum", "const"]);

/** Text (JSON or YAML) or an already-parsed value → a fresh object the importer may mutate. */
export function readDocument(input: string | object): JsonObject {
  const value = typeof input === "string" ? parseText(input) : structuredClone(input);
  if (!isObject(value)) throw new ApiDocumentError("An API description is a JSON or YAML object", "");
  assertAcyclic(value);
  assertStorableStrings(value);
  return value;
}

/**
 * Refuses a document that contains itself: YAML can say so with an anchor and an alias inside it
 * (`x: &a {b: *a}`), JSON cannot, and every later walk over such a document went round for ever, holding the
 * process. Aliases that share a value without a loop are fine. An iterative depth-first search that marks
 * the objects on the current path.
 */
function assertAcyclic(document: JsonObject): void {
  const onPath = new Set<object>();
  const done = new Set<object>();
  // Each frame: an object and its children still to visit.
  const stack: { value: object; children: object[] }[] = [];
  const enter = (value: object) => {
    onPath.add(value);
    const children = Object.values(value).filter((c): c is object => c !== null && typeof c === "object");
    stack.push({ value, children });
  };
  enter(document);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const child = frame.children.pop();
    if (child === undefined) {
      stack.pop();
      onPath.delete(frame.value);
      done.add(frame.value);
    } else if (onPath.has(child)) {
      throw new ApiDocumentError("The document contains itself (a YAML alias inside its own anchor)", "");
    } else if (!done.has(child)) {
      enter(child);
    }
  }
}

/**
 * Refuses a string (a value or a key) holding a NUL or a lone surrogate, which PostgreSQL cannot store: the
 * document would preview, then fail on apply. The body's own check sees a text document as sent, where
 * `\u0000` is six harmless characters. Iterative, so nesting cannot overflow the stack; each object is
 * visited once, so YAML aliases cannot multiply the work.
 */
function assertStorableStrings(document: JsonObject): void {
  type Entry = { value: object; parent: Entry | undefined; key: string };
  const refuse = (what: string, entry: Entry, key: string): never => {
    const tokens = [key];
    for (let e = entry; e.parent !== undefined; e = e.parent) tokens.push(e.key);
    const pointer = tokens
      .reverse()
      .map((t) => `/${pointerToken(t)}`)
      .join("");
    throw new ApiDocumentError(`${what} holds a NUL character or an unpaired UTF-16 surrogate`, pointer);
  };
  const seen = new Set<object>();
  const stack: Entry[] = [{ value: document, parent: undefined, key: "" }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (seen.has(entry.value)) continue;
    seen.add(entry.value);
    for (const [key, child] of Object.entries(entry.value)) {
      if (!isStorableText(key)) refuse("A key", entry, key);
      if (typeof child === "string") {
        if (!isStorableText(child)) refuse("A string", entry, key);
      } else if (child !== null && typeof child === "object") {
        stack.push({ value: child, parent: entry, key });
      }
    }
  }
}

function parseText(text: string): unknown {
  const trimmed = text.trimStart();
  if (trimmed === "") throw new ApiDocumentError("The document is empty", "");
  // JSON.parse is an order of magnitude faster than a YAML parser on the multi-megabyte documents.
  if (trimmed.startsWith("{")) {
    try {
      return JSON.parse(trimmed);
    } catch (error) {
      throw new ApiDocumentError(`The document is not valid JSON: ${(error as Error).message}`);
    }
  }
  try {
    // The default alias limit stays: it is what stops a billion-laughs document. Warnings (an unknown
    // directive, say) would go to the process's stderr with the caller's text in them: errors only.
    return parseYaml(trimmed, { merge: true, logLevel: "error" });
  } catch (error) {
    throw new ApiDocumentError(`The document is neither JSON nor valid YAML: ${(error as Error).message}`);
  }
}

/**
 * Refuses any `$ref` that leaves the document. The importer never reads files or URLs: a description
 * must be self-contained (bundle it first), and an import must not become a way to make the server fetch.
 */
export function assertNoExternalRefs(document: JsonObject): void {
  const stack: [value: unknown, pointer: string][] = [[document, ""]];
  while (stack.length > 0) {
    const [value, pointer] = stack.pop()!;
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (item !== null && typeof item === "object") stack.push([item, `${pointer}/${i}`]);
      });
      continue;
    }
    const object = value as JsonObject;
    const ref = object.$ref;
    if (typeof ref === "string" && !ref.startsWith("#")) {
      throw new ApiDocumentError(
        `External reference ${JSON.stringify(ref)} is not supported: bundle the document into one file`,
        `${pointer}/$ref`,
      );
    }
    for (const key in object) {
      const child = object[key];
      if (child !== null && typeof child === "object" && !LITERAL_KEYS.has(key)) {
        stack.push([child, `${pointer}/${pointerToken(key)}`]);
      }
    }
  }
}

/**
 * Resolves the internal `$ref`s the importer reads: path items and security schemes. Dereferencing the
 * whole of a large description (Box: 1.7 MB, 1,400 refs) mostly resolves schemas nobody here reads, so a
 * slim copy holding only paths, path items and security is dereferenced instead. A path item referring
 * somewhere the slim copy left out falls back to the whole document.
 */
export async function resolveRefs(document: JsonObject): Promise<JsonObject> {
  try {
    return await dereference(slimCopy(document));
  } catch {
    return dereference(document);
  }
}

async function dereference(document: JsonObject): Promise<JsonObject> {
  try {
    return (await $RefParser.dereference(document, {
      resolve: { external: false, file: false, http: false },
      mutateInputSchema: true,
      dereference: { circular: "ignore", preservedProperties: ["summary", "description"] },
    })) as JsonObject;
  } catch (error) {
    throw new ApiDocumentError(`A $ref could not be resolved: ${(error as Error).message}`);
  }
}

function slimCopy(document: JsonObject): JsonObject {
  const components = isObject(document.components) ? document.components : {};
  return {
    ...pick(document, [
      "openapi",
      "swagger",
      "info",
      "servers",
      "basePath",
      "security",
      "securityDefinitions",
    ]),
    paths: slimPathItems(document.paths),
    components: {
      securitySchemes: isObject(components.securitySchemes) ? { ...components.securitySchemes } : undefined,
      pathItems: slimPathItems(components.pathItems),
    },
  };
}

function slimPathItems(items: unknown): unknown {
  if (!isObject(items)) return items;
  const slim: JsonObject = {};
  for (const [key, item] of Object.entries(items)) {
    if (!isObject(item)) {
      slim[key] = item;
      continue;
    }
    const copy = pick(item, PATH_ITEM_FIELDS);
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation !== undefined)
        copy[method] = isObject(operation) ? pick(operation, OPERATION_FIELDS) : operation;
    }
    slim[key] = copy;
  }
  return slim;
}

function pick(object: JsonObject, keys: readonly string[]): JsonObject {
  const copy: JsonObject = {};
  for (const key of keys) if (object[key] !== undefined) copy[key] = object[key];
  return copy;
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
