-- Claims on a month's close (issue 16): the lock that lets exactly one process, on any
-- host, close a month. A claimant inserts a row (claimed_at and expires_at from the
-- server's clock), waits until every claim that could precede it is visible, then reads
-- the month's live claims back: the winner is the earliest (claimed_at, claim_id). The
-- holder renews its claim (a row with a later expires_at) while it works and releases it
-- (a row with released = 1) when done; a claim not renewed expires. See sql/claims.go.
CREATE TABLE IF NOT EXISTS close_claims (
    period     UInt32,
    claim_id   String,
    host       String,
    pid        UInt32,
    holder     String,
    claimed_at DateTime,
    expires_at DateTime,
    released   UInt8
) ENGINE = MergeTree
ORDER BY (period, claim_id, expires_at);
