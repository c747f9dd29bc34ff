import type { User } from "@tessera/sdk/core";
import type { UserInput } from "../../schemas/catalog";
import { compact, type KindDefinition, mergePatch } from "./definition";

/** Deleting a user takes their memberships and personal grants with them, in the same write. */
export const users: KindDefinition<User, UserInput, Partial<UserInput>> = {
  kind: "user",
  idField: "id",
  idOf: (u) => u.id,
  build: (input) => compact({ ...input, attributes: input.attributes ?? {} }) as User,
  patch: (current, patch) => mergePatch(current, patch),
  async check() {},
  async beforeDelete(tx, doc) {
    for (const kind of ["grant", "membership"] as const) {
      for (const dependent of await tx.findBy(kind, "userId", doc.id)) await tx.delete(kind, dependent.id);
    }
  },
};
