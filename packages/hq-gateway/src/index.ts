// Public API of the HQ gateway.
export {};
