// R5 default withdrawal limits. The Measures leave the figures to HQ; these defaults follow the
// usual 助农取款 practice (a per-transaction cap around 1,000 yuan, a daily cap per card of a few
// thousand) and are configuration: pass your own in LedgerConfig or per station at registration.

import type { WithdrawalLimits } from './types.js';

export const WITHDRAWAL_LIMITS_DEFAULT: WithdrawalLimits = {
  perTransactionFenMax: 100_000,
  perCardDailyFenMax: 300_000,
  perStationDailyFenMax: 5_000_000,
};
