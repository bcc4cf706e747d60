// Public API of the ledger core. Pure TypeScript: no I/O, no clock, no randomness.
export {};
