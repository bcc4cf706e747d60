// Every named maximum of the ledger core in one place (STYLE.md "Assertions and limits"), with
// the reason for each. Business thresholds (the 500-yuan quota minimum, the standard fee) are
// rules, not limits: they live in rules.ts.

export const LEDGER_LIMITS = {
  /** 10^12 fen = 10 billion yuan: far above any single amount or daily sum a station can see,
   * and far below 2^53, so sums of many amounts stay exact in a double (R1). */
  amountFenMax: 1_000_000_000_000,
  /** Client-made ids, station ids, card tokens, biller codes: short printable strings. */
  idLengthMax: 128,
  /** Events per ledger instance: indexes are kept in Int32 columns. */
  eventCountMax: 2 ** 31 - 1,
  /** Refused commands remembered for idempotent replies (their index is kept in Int32). */
  refusalsMax: 2 ** 31 - 2,
  /** Fee schedule versions kept per ledger. */
  feeScheduleVersionsMax: 1_000,
  /** Business days of withdrawal usage kept per card and station for the R5 daily limits: a hold
   * is new business on an open day, and a station closes its days daily, so a week is plenty. */
  usageDaysKept: 7,
  /** Maintenance windows per station's service hours. */
  maintenanceWindowsMax: 8,
  /** Calendar years a working calendar holds. */
  calendarYearsMax: 200,
  /** Dates in one calendar year file (holidays + extra working days). */
  calendarDatesPerYearMax: 366,
  /** Working days a deadline may be away: bounds the day-walking loops. */
  workingDaysSpanMax: 3_660,
  /** Items one reconciliation run compares on each side. */
  reconciliationItemsMax: 50_000_000,
  /** Commission input lines per monthly run. */
  commissionLinesMax: 10_000_000,
  /** Bytes one SHA-256 call hashes (close records are a few hundred bytes). */
  hashInputBytesMax: 64 * 1024 * 1024,
} as const;
