import { TesseraError } from "../../errors";
import { isStorableText } from "../../storage/storable-text";

/** Cursors are opaque to clients: the last id of the page, base64url-encoded with a version tag. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`v1:${lastId}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  // A NUL could only come from a cursor someone made: the ids we issue cursors for cannot hold one.
  if (!text.startsWith("v1:") || text.length < 4 || !isStorableText(text)) {
    throw new TesseraError("INVALID_CURSOR", "The cursor is not one this API returned.", [
      { pointer: "/cursor", message: "not a valid cursor", code: "INVALID_CURSOR" },
    ]);
  }
  return text.slice(3);
}
