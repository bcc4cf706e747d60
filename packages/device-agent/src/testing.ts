// Test and demo helpers of the kiosk agent (package entry "./testing"): not part of the agent's
// API, kept apart so production code never depends on them.

export { PtyPair, ptyPairStartTimeoutMs } from './sim/pty-pair.js';
