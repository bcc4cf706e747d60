// Business constants from DOMAIN.md, named by rule. Values a deployment may change (limits per
// card and station, the fee schedule) arrive through the ledger config; these defaults are what
// the Measures state.

/** R3: each quota purchase is at least 500.00 yuan. */
export const QUOTA_PURCHASE_FEN_MIN = 50_000;

/** R5: the standard withdrawal fee, 1.00 yuan per posted withdrawal, whatever the amount. */
export const WITHDRAWAL_FEE_FEN_STANDARD = 100;

/** R6: a fee schedule change is announced at least this many working days before it applies. */
export const FEE_SCHEDULE_NOTICE_WORKING_DAYS_MIN = 5;

/** R10: the commission list reaches finance before this day of the month after. */
export const COMMISSION_LIST_BEFORE_DAY_OF_MONTH = 15;

/** R10: the after-tax commission is paid before this day of the month after. */
export const COMMISSION_PAYMENT_BEFORE_DAY_OF_MONTH = 20;

/** Asia/Shanghai is UTC+8 all year (no daylight saving since 1991). */
export const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

export const DAY_MS = 24 * 60 * 60 * 1000;
