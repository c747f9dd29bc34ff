/** Parses an optional ISO-8601 time to ms; absent means "no bound". Invalid input is the caller's bug. */
export function toMillis(value: string | null | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`invalid time: ${value}`);
  return ms;
}
