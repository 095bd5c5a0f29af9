-- Access and the portal (issue 10): accounts, sessions, tokens, the audit log, the archive
-- of issued statement files and the vendors' invoice uploads. Records that change (an
-- account disabled, a session ended, a token revoked) are written again as a new version;
-- readers take the latest version (argMax on version) and never see a secret: passwords
-- are argon2id hashes, session ids and tokens SHA-256 hashes.

CREATE TABLE IF NOT EXISTS users (
    login         String,
    role          String,
    department_id String,
    vendor_id     String,
    password_hash String,
    disabled      UInt8,
    created_at    DateTime,
    updated_at    DateTime,
    version       UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY login;

-- kind: personal (login set) or collector (vendor_id set). expires_at and revoked_at:
-- 1970-01-01 00:00:00 when none.
CREATE TABLE IF NOT EXISTS access_tokens (
    id          String,
    kind        String,
    login       String,
    vendor_id   String,
    hash        String,
    note        String,
    created_at  DateTime,
    expires_at  DateTime,
    revoked_at  DateTime,
    version     UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;

CREATE TABLE IF NOT EXISTS sessions (
    hash        String,
    login       String,
    csrf        String,
    created_at  DateTime,
    last_seen   DateTime,
    ended_at    DateTime,
    remote      String,
    version     UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY hash;

-- Every sign-in (and failure), sign-out, download, close, upload and account change.
CREATE TABLE IF NOT EXISTS audit_log (
    at      DateTime,
    seq     UInt64,
    actor   String,
    role    String,
    action  String,
    target  String,
    outcome String,
    remote  String,
    detail  String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, seq);

-- The issued statement files of each month (what `statements` wrote), byte for byte.
-- One row per issue in statement_issues, then its files; the current issue of a month is
-- its final one, else its latest provisional one. A final issue is never replaced; a
-- provisional issue's files are deleted when a newer issue of the month is archived.
CREATE TABLE IF NOT EXISTS statement_issues (
    period       UInt32,
    issue_id     String,
    final        UInt8,
    issued_at    DateTime,
    archived_at  DateTime,
    files        UInt32,
    net          Decimal(38, 2)
) ENGINE = MergeTree
ORDER BY (period, archived_at, issue_id);

CREATE TABLE IF NOT EXISTS statement_files (
    period    UInt32,
    issue_id  String,
    path      String,
    sha256    String,
    size      UInt64,
    content   String
) ENGINE = MergeTree
ORDER BY (period, issue_id, path);

-- Vendors' invoices sent through the portal and the reconciliation made of each.
CREATE TABLE IF NOT EXISTS invoice_uploads (
    upload_id    String,
    vendor_id    String,
    period       UInt32,
    uploaded_at  DateTime,
    uploaded_by  String,
    file_name    String,
    file_sha256  String,
    file_content String,
    provisional  UInt8,
    claimed      Decimal(38, 2),
    ours         Decimal(38, 2),
    difference   Decimal(38, 2),
    differences  UInt32,
    summary      String,
    report_csv   String,
    report_pdf   String
) ENGINE = MergeTree
ORDER BY (vendor_id, period, uploaded_at, upload_id);
