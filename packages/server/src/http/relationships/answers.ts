import { type TSchema, Type } from "@sinclair/typebox";
import { ProblemResponses } from "../../schemas/common";

/**
 * What a relationship delete answers, for the OpenAPI document: 204 with no body, and the problems it may
 * send (the operations with a body use answeredWith / createdWith and their schemas). Typed by the status,
 * so that a route's `reply.code(…)` is checked against what it documents.
 */
export function answers<S extends 200 | 201 | 204>(
  status: S,
  description: string,
): Record<S, TSchema> & typeof ProblemResponses {
  const success = status === 204 ? Type.Null({ description }) : Type.Unknown({ description });
  return { [status]: success, ...ProblemResponses } as Record<S, TSchema> & typeof ProblemResponses;
}
