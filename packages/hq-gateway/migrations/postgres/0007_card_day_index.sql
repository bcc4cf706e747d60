-- R5 across HQ processes (issue 14): every approval sums the card's open approvals of its business
-- day under the card's advisory lock (postgres-store.ts recordWithdrawalApproval); this index keeps
-- that sum a short index range, not a scan of the day's approvals.
CREATE INDEX withdrawal_approvals_card_day ON withdrawal_approvals (card_key, business_date)
  WHERE released_at_ms IS NULL;
