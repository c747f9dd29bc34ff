import { Type } from "@sinclair/typebox";
import { ProblemResponses } from "../../schemas/common";

/**
 * What a relationship operation answers, for the OpenAPI document: its success status (201 for a create,
 * 204 for a delete) and the problems it may send. The bodies stay undescribed here, as they were.
 */
export function answers(status: 200 | 201 | 204, description: string) {
  return {
    [status]: status === 204 ? Type.Null({ description }) : Type.Unknown({ description }),
    ...ProblemResponses,
  };
}
