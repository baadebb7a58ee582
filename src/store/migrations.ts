/**
 * Schema migrations of the otwatch store, applied in order, each in its own IMMEDIATE transaction, and recorded
 * in `schema_migrations`. Never edit a released step: add a new one. See docs/store.md for the data model.
 *
 * Model in one line: every table whose name starts with `run_` holds one analysis run's own contribution (the
 * run is the unit that is replaced when the same captures are analysed again); everything the user sees as
 * "the database's" totals, assets and communications is aggregated over runs (the `*_totals` views and the
 * queries in store.ts), so accumulating and idempotence hold by construction.
 */

export interface Migration {
  /** 1, 2, 3, ... without gaps; the schema version after this step. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const initialSchema = `
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  -- the run's capture hashes, sorted, comma-separated: one run per distinct set of captures
  run_key       TEXT NOT NULL UNIQUE,
  generator     TEXT NOT NULL,
  -- the report's generatedAt: when the analysis ran
  analyzed_at   TEXT NOT NULL,
  ingested_at   TEXT NOT NULL
) STRICT;

-- A capture (by content hash) belongs to exactly one run, so no capture is ever counted twice.
CREATE TABLE captures (
  sha256      TEXT PRIMARY KEY CHECK (length(sha256) = 64),
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  file        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  format      TEXT NOT NULL,
  compressed  INTEGER NOT NULL,
  link_types  TEXT NOT NULL CHECK (json_valid(link_types)),
  packets     INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  first_seen  TEXT,
  last_seen   TEXT,
  warnings    TEXT NOT NULL CHECK (json_valid(warnings))
) STRICT;
CREATE INDEX captures_run ON captures(run_id);

-- ReportStats flattened: "packets", "tcpGaps", ..., "analyzers.<name>", "capsHit.<name>". Not durationMs: it
-- describes the analysing process, not the traffic, and would make re-analysing a capture change the store.
CREATE TABLE run_counters (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name    TEXT NOT NULL,
  value   REAL NOT NULL,
  PRIMARY KEY (run_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE run_assets (
  run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  asset_id       TEXT NOT NULL,
  mac            TEXT,
  vendor         TEXT,
  vendor_source  TEXT,
  model          TEXT,
  firmware       TEXT,
  serial         TEXT,
  purdue_level   INTEGER,
  zone           TEXT,
  first_seen     TEXT NOT NULL,
  last_seen      TEXT NOT NULL,
  packets        INTEGER NOT NULL,
  bytes          INTEGER NOT NULL,
  PRIMARY KEY (run_id, asset_id)
) STRICT;
CREATE INDEX run_assets_asset ON run_assets(asset_id);

-- set-valued asset fields: ips, hostnames, roles
CREATE TABLE run_asset_attributes (
  run_id    INTEGER NOT NULL,
  asset_id  TEXT NOT NULL,
  kind      TEXT NOT NULL CHECK (kind IN ('ip', 'hostname', 'role')),
  value     TEXT NOT NULL,
  PRIMARY KEY (run_id, asset_id, kind, value),
  FOREIGN KEY (run_id, asset_id) REFERENCES run_assets(run_id, asset_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE run_asset_protocols (
  run_id    INTEGER NOT NULL,
  asset_id  TEXT NOT NULL,
  protocol  TEXT NOT NULL,
  role      TEXT NOT NULL CHECK (role IN ('client', 'server', 'peer')),
  PRIMARY KEY (run_id, asset_id, protocol, role),
  FOREIGN KEY (run_id, asset_id) REFERENCES run_assets(run_id, asset_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE run_asset_protocol_ports (
  run_id    INTEGER NOT NULL,
  asset_id  TEXT NOT NULL,
  protocol  TEXT NOT NULL,
  role      TEXT NOT NULL,
  port      INTEGER NOT NULL,
  PRIMARY KEY (run_id, asset_id, protocol, role, port),
  FOREIGN KEY (run_id, asset_id, protocol, role)
    REFERENCES run_asset_protocols(run_id, asset_id, protocol, role) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- facts name their capture by hash, not by the report's captureIndex, which only means something in one run
CREATE TABLE run_asset_facts (
  run_id          INTEGER NOT NULL,
  asset_id        TEXT NOT NULL,
  field           TEXT NOT NULL,
  value           TEXT NOT NULL,
  protocol        TEXT NOT NULL,
  frame           INTEGER NOT NULL,
  capture_sha256  TEXT NOT NULL,
  PRIMARY KEY (run_id, asset_id, field, value, protocol, frame, capture_sha256),
  FOREIGN KEY (run_id, asset_id) REFERENCES run_assets(run_id, asset_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE run_communications (
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  src         TEXT NOT NULL,
  dst         TEXT NOT NULL,
  protocol    TEXT NOT NULL,
  transport   TEXT NOT NULL CHECK (transport IN ('tcp', 'udp', 'icmp', 'ethernet', 'other')),
  port        INTEGER NOT NULL,
  packets     INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  flows       INTEGER NOT NULL,
  first_seen  TEXT NOT NULL,
  last_seen   TEXT NOT NULL,
  PRIMARY KEY (run_id, src, dst, protocol, transport, port)
) STRICT;
-- the merge groups by the communication key across runs
CREATE INDEX run_communications_key ON run_communications(src, dst, protocol, transport, port);

CREATE TABLE run_communication_operations (
  run_id     INTEGER NOT NULL,
  src        TEXT NOT NULL,
  dst        TEXT NOT NULL,
  protocol   TEXT NOT NULL,
  transport  TEXT NOT NULL,
  port       INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  count      INTEGER NOT NULL,
  PRIMARY KEY (run_id, src, dst, protocol, transport, port, kind),
  FOREIGN KEY (run_id, src, dst, protocol, transport, port)
    REFERENCES run_communications(run_id, src, dst, protocol, transport, port) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX run_communication_operations_key ON run_communication_operations(src, dst, protocol, transport, port, kind);

CREATE TABLE run_protocols (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  packets  INTEGER NOT NULL,
  bytes    INTEGER NOT NULL,
  flows    INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)
) STRICT, WITHOUT ROWID;

-- Alerts, vulnerabilities and risk are opaque JSON until their issues define them (they then add migrations).
CREATE TABLE run_alerts (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ordinal    INTEGER NOT NULL,
  -- the alert's stable identity (its "id" field when it has one); links to alert_states
  alert_key  TEXT,
  body       TEXT NOT NULL CHECK (json_valid(body)),
  PRIMARY KEY (run_id, ordinal)
) STRICT;
CREATE INDEX run_alerts_key ON run_alerts(alert_key);

-- The analyst's triage state outlives the runs that raised the alert: not cascaded, never replaced by ingest.
CREATE TABLE alert_states (
  alert_key   TEXT PRIMARY KEY,
  status      TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'closed')),
  changed_at  TEXT NOT NULL,
  note        TEXT
) STRICT;

CREATE TABLE run_vulnerabilities (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ordinal  INTEGER NOT NULL,
  body     TEXT NOT NULL CHECK (json_valid(body)),
  PRIMARY KEY (run_id, ordinal)
) STRICT;

CREATE TABLE run_risk (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ordinal  INTEGER NOT NULL,
  body     TEXT NOT NULL CHECK (json_valid(body)),
  PRIMARY KEY (run_id, ordinal)
) STRICT;

-- Derived views: the database-wide figures are always aggregates over the runs present.
CREATE VIEW counter_totals AS
  SELECT name, SUM(value) AS value FROM run_counters GROUP BY name;

CREATE VIEW asset_totals AS
  SELECT asset_id, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen,
         SUM(packets) AS packets, SUM(bytes) AS bytes, COUNT(*) AS runs
  FROM run_assets GROUP BY asset_id;

CREATE VIEW communication_totals AS
  SELECT src, dst, protocol, transport, port,
         SUM(packets) AS packets, SUM(bytes) AS bytes, SUM(flows) AS flows,
         MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen, COUNT(*) AS runs
  FROM run_communications GROUP BY src, dst, protocol, transport, port;

CREATE VIEW communication_operation_totals AS
  SELECT src, dst, protocol, transport, port, kind, SUM(count) AS count
  FROM run_communication_operations GROUP BY src, dst, protocol, transport, port, kind;

CREATE VIEW protocol_totals AS
  SELECT name, SUM(packets) AS packets, SUM(bytes) AS bytes, SUM(flows) AS flows
  FROM run_protocols GROUP BY name;
`;

/**
 * Step 2: the report's derived intelligence (identity claims, OS, users, role details, Purdue/zone provenance,
 * criticality; a communication's levels, zones and segmentation flags). The analysis recomputes all of it every
 * run from that run's traffic, so it is stored as one JSON document per run asset / run communication, as the
 * run's own contribution like every other run_* column, and merged over runs on read (store.ts). Rows stored
 * before this step keep NULL: the merge reads them as "this run said nothing about it".
 */
const derivedIntelligence = `
-- purdue_level was INTEGER in a STRICT table, which refuses 3.5 (the IT/OT DMZ): the level moves to a REAL column.
-- SQLite cannot change a column's type in place, and rebuilding run_assets inside this transaction would cascade
-- deletes through its children (foreign_keys cannot be switched off in a transaction), so purdue_level stays,
-- copied here and written NULL from now on.
ALTER TABLE run_assets ADD COLUMN purdue REAL;
UPDATE run_assets SET purdue = purdue_level;
-- {identity, identityConflicts, os, domain, users, roles, roleDetails, purdueInferred, zoneInferred, criticality};
-- identity claim sources name their capture by hash ("capture"), like run_asset_facts, not by captureIndex.
ALTER TABLE run_assets ADD COLUMN intel TEXT CHECK (intel IS NULL OR json_valid(intel));
-- {srcLevel, dstLevel, srcZone, dstZone, crossesItOt, skipsLevels, internet, conduitAllowed}
ALTER TABLE run_communications ADD COLUMN intel TEXT CHECK (intel IS NULL OR json_valid(intel));
`;

/**
 * Step 3: learned baselines (docs/detection.md "Learning"). A baseline is the network's normal, reused across runs
 * and extended by later learning: it belongs to the database, not to a run, so replacing a run never touches it.
 * One JSON document per name (otwatch uses 'default').
 */
const baselines = `
CREATE TABLE baselines (
  name        TEXT PRIMARY KEY,
  body        TEXT NOT NULL CHECK (json_valid(body)),
  updated_at  TEXT NOT NULL
) STRICT;
`;

export const migrations: readonly Migration[] = [
  { version: 1, name: 'initial schema: runs, captures, per-run contributions, derived views', sql: initialSchema },
  { version: 2, name: 'derived intelligence per run asset and run communication (JSON)', sql: derivedIntelligence },
  { version: 3, name: 'learned baselines (JSON, not tied to runs)', sql: baselines },
];
