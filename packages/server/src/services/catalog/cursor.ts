import { TesseraError } from "../../errors";
import { isStorableText } from "../../storage/storable-text";

/**
 * Cursors are opaque to clients: the last id of the page and the list it belongs to (a kind and its
 * filters), base64url-encoded with a version tag. The list is in it so that a cursor from one list is
 * refused by another: `v1` cursors held the id alone, and one from the features list, given to the tenants
 * list, silently skipped every tenant before it.
 */
export function encodeCursor(list: string, lastId: string): string {
  return Buffer.from(`v2:${JSON.stringify([list, lastId])}`, "utf8").toString("base64url");
}

/** The last id a cursor names, if it is one this API returned for `list`; else INVALID_CURSOR. */
export function decodeCursor(list: string, cursor: string): string {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  // A NUL could only come from a cursor someone made: the ids we issue cursors for cannot hold one.
  if (text.startsWith("v2:") && isStorableText(text)) {
    try {
      const value: unknown = JSON.parse(text.slice(3));
      if (Array.isArray(value) && value.length === 2 && value[0] === list && typeof value[1] === "string")
        return value[1];
    } catch {
      // Not JSON: refused below.
    }
  }
  throw new TesseraError("INVALID_CURSOR", "The cursor is not one this API returned for this list.", [
    { pointer: "/cursor", message: "not a valid cursor for this list", code: "INVALID_CURSOR" },
  ]);
}
