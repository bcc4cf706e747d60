// Goal: a kiosk killed with SIGKILL at random points during transactions (a power cut) loses
// nothing, counts nothing twice and leaves no withdrawal hanging — part 2 of 2 (25 kills each,
// 50 in CI). Method: test/e2e/helpers/sigkill.ts on the real network (Mosquitto with ACLs, HQ
// in-process with its bank simulator, a kiosk process with SoftHSM and the PTY simulators); kill
// points come from the seeded PRNG (seed printed; E2E_SEED and E2E_KILLS override).
import t from 'tap';
import { killRounds } from './helpers/sigkill.js';

const SEED = Number(process.env.E2E_SEED ?? 4106);
const KILLS = Number(process.env.E2E_KILLS ?? 25);

t.test(`${KILLS} SIGKILLs of kiosk KB-001 during transactions: exactly once, nothing left hanging`, (t) =>
  killRounds(t, 'KB-001', SEED, KILLS),
);
