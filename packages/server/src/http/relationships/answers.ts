import { type TSchema, Type } from "@sinclair/typebox";
import { ProblemResponses } from "../../schemas/common";

/**
 * What a relationship operation answers, for the OpenAPI document: its success status (201 for a create,
 * 204 for a delete) and the problems it may send. The bodies stay undescribed here, as they were. Typed by
 * the status, so that a route's `reply.code(…)` is checked against what it documents.
 */
export function answers<S extends 200 | 201 | 204>(
  status: S,
  description: string,
): Record<S, TSchema> & typeof ProblemResponses {
  const success = status === 204 ? Type.Null({ description }) : Type.Unknown({ description });
  return { [status]: success, ...ProblemResponses } as Record<S, TSchema> & typeof ProblemResponses;
}
