import { ProblemSchema } from "../../schemas/common";

type Content = Record<string, { schema?: { description?: string } }>;
type Responses = Record<string, { content?: Content }>;
type Document = { paths?: Record<string, Record<string, { responses?: Responses }>> };

/**
 * The OpenAPI document as the API answers: a problem is sent as `application/problem+json` (RFC 9457), while
 * @fastify/swagger writes every response schema under `application/json`. Responses whose schema is the
 * Problem move to the problem type; the OAuth endpoints' RFC 6749 errors, which are JSON, stay.
 */
export function problemsAsProblemJson<T>(document: T): T {
  for (const item of Object.values((document as Document).paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const response of Object.values(operation.responses ?? {})) {
        const json = response.content?.["application/json"];
        if (json === undefined || json.schema?.description !== ProblemSchema.description) continue;
        response.content = { "application/problem+json": json };
      }
    }
  }
  return document;
}
