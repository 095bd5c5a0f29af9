-- Master data: catalog versions and items, adaptations, departments, projects, vendors,
-- work-order events and acceptance records (issue 3). Every row keeps its provenance:
-- the import (imports.import_id), the file and line it was read from, and when.
-- Rows are never updated: a changed entry is a new row, and readers take, per key, the row
-- of the latest import (import_seq: nanoseconds of the import time).

CREATE TABLE IF NOT EXISTS catalog_versions (
    effective   Date,
    import_id   String,
    import_seq  UInt64,
    items       UInt32,
    file        String,
    imported_at DateTime
) ENGINE = MergeTree
ORDER BY (effective, import_seq);

-- An item with has_internet = 0 (or has_extranet = 0) is not offered in that zone.
CREATE TABLE IF NOT EXISTS catalog_items (
    effective      Date,
    import_id      String,
    import_seq     UInt64,
    code           String,
    name           String,
    category       String,
    unit           String,
    billing        String,
    has_internet   UInt8,
    price_internet Decimal(38, 6),
    has_extranet   UInt8,
    price_extranet Decimal(38, 6),
    meter_metric   String,
    meter_agg      String,
    mode           String,
    file           String,
    line           UInt32,
    imported_at    DateTime
) ENGINE = MergeTree
ORDER BY (effective, import_seq, code);

CREATE TABLE IF NOT EXISTS catalog_adaptations (
    resource_type String,
    item_code     String,
    note          String,
    import_id     String,
    import_seq    UInt64,
    file          String,
    line          UInt32,
    imported_at   DateTime
) ENGINE = MergeTree
ORDER BY (resource_type, import_seq);

CREATE TABLE IF NOT EXISTS departments (
    id          String,
    name        String,
    parent_id   String,
    import_id   String,
    import_seq  UInt64,
    file        String,
    line        UInt32,
    imported_at DateTime
) ENGINE = MergeTree
ORDER BY (id, import_seq);

CREATE TABLE IF NOT EXISTS projects (
    id            String,
    year          UInt16,
    name          String,
    department_id String,
    category      String,
    approved      UInt8,
    import_id     String,
    import_seq    UInt64,
    file          String,
    line          UInt32,
    imported_at   DateTime
) ENGINE = MergeTree
ORDER BY (id, year, import_seq);

CREATE TABLE IF NOT EXISTS vendors (
    id          String,
    name        String,
    import_id   String,
    import_seq  UInt64,
    file        String,
    line        UInt32,
    imported_at DateTime
) ENGINE = MergeTree
ORDER BY (id, import_seq);

-- Work-order events as confirmed in the multi-cloud management system. item_code is the
-- catalog item after adaptation (resource_type keeps the type it was adapted from); a
-- terminate carries the configuration in force. late = 1: dated in a month that was
-- already closed when the event was imported.
CREATE TABLE IF NOT EXISTS order_events (
    order_id       String,
    kind           String,
    effective_date Date,
    department_id  String,
    project_id     String,
    vendor_id      String,
    zone           String,
    item_code      String,
    quantity       Decimal(38, 6),
    resource_id    String,
    resource_type  String,
    portion        String,
    late           UInt8,
    import_id      String,
    import_seq     UInt64,
    file           String,
    line           UInt32,
    imported_at    DateTime
) ENGINE = MergeTree
ORDER BY (order_id, effective_date, import_seq, line);

-- Acceptance records per vendor and month; the latest import per (vendor, period) is in
-- force. has_* = 0: the optional column was not given.
CREATE TABLE IF NOT EXISTS acceptances (
    vendor_id            String,
    period               UInt32,
    result               String,
    has_score            UInt8,
    score                Decimal(38, 6),
    has_availability     UInt8,
    availability         Decimal(38, 6),
    has_security         UInt8,
    security_valid_until Date,
    import_id            String,
    import_seq           UInt64,
    file                 String,
    line                 UInt32,
    imported_at          DateTime
) ENGINE = MergeTree
ORDER BY (vendor_id, period, import_seq);
