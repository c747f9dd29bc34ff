/**
 * A credential index's own writes, set against its refreshes. A refresh reads the database, and a write this
 * process commits while that read is under way is not in what it read: replacing the index with the read
 * would undo the write here (a revocation, a rotation) until the next refresh. So each write is counted, and
 * a refresh puts back every entry written since it began. Refreshes that finish out of order are told
 * apart too: an older one finishing after a newer one would put back what the newer one replaced.
 */
export class LocalWrites {
  private count = 0;
  /** By index key, the count at the entry's latest write; dropped once a refresh has read past it. */
  private readonly at = new Map<string, number>();
  private refreshes = 0;
  private applied = 0;

  /** Notes that this process has just written the entry under `key`. */
  wrote(key: string): void {
    this.at.set(key, ++this.count);
  }

  /** Call before a refresh reads the database; hand the answer to `keep`. */
  begin(): Refresh {
    return { started: this.count, sequence: ++this.refreshes };
  }

  /**
   * Whether the refresh is still the newest to finish; if so, copies into `next` (built from what it read)
   * every entry of `current` written since it began. When false, drop what the refresh read.
   */
  keep<T>(refresh: Refresh, current: ReadonlyMap<string, T>, next: Map<string, T>): boolean {
    if (refresh.sequence < this.applied) return false;
    this.applied = refresh.sequence;
    for (const [key, at] of this.at) {
      if (at <= refresh.started) this.at.delete(key);
      else {
        const ours = current.get(key);
        if (ours) next.set(key, ours);
      }
    }
    return true;
  }
}

export interface Refresh {
  started: number;
  sequence: number;
}
