// What the kiosk's readiness needs to know of its store (issue 9): whether the last write failed
// (disk full, I/O) and the sealed meta entries the health part keeps (bdSeq, the clock
// measurement). The SQLite adapter (KioskDb) implements it.

export interface StoreHealthPort {
  /** The last write failure since the last successful write, or null. */
  writeFault(): { readonly sqliteCode: string } | null;
  getMeta(key: string): string | null;
  /** Throws AgentError AGENT_STORE_WRITE_FAILED when the disk refuses. */
  setMeta(key: string, value: string): void;
}
