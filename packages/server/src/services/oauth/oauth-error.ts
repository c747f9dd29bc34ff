/** RFC 6749 §5.2 error codes, with RFC 8707's invalid_target. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "invalid_target";

/**
 * A refusal the OAuth endpoints answer as `{error, error_description}` rather than problem+json: OAuth
 * clients parse that shape. invalid_client is a 401, the others 400.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    description: string,
  ) {
    super(description);
    this.name = "OAuthError";
  }

  get status(): number {
    return this.error === "invalid_client" ? 401 : 400;
  }

  toBody(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}
