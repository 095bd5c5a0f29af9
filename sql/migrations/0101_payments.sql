-- Payment vouchers of the finance system (issue 21, §21): what was paid to a vendor for a
-- service month. A voucher is imported once (import_seq orders imports: the first row of a
-- voucher_no is the voucher); a refund has a negative amount and names the refunded
-- voucher in refunds.
CREATE TABLE IF NOT EXISTS payments (
    voucher_no  String,
    vendor_id   String,
    period      UInt32,
    amount      Decimal(38, 2),
    paid_date   Date,
    refunds     String,
    import_id   String,
    import_seq  UInt64,
    file        String,
    line        UInt32,
    imported_at DateTime
) ENGINE = MergeTree
ORDER BY (voucher_no, import_seq);
