/*
 * Schema migrations, FreeBSD pkg style: a table of {version, sql} driven
 * by PRAGMA user_version, each step in its own BEGIN IMMEDIATE.  Append
 * new steps; never edit one that has shipped.
 */
#include "store_private.h"

const struct store_migration store_migrations[] = {
	{ 1,
	  "CREATE TABLE ca ("
	  "  id INTEGER PRIMARY KEY,"
	  "  subject TEXT NOT NULL,"
	  "  serial TEXT NOT NULL,"
	  "  not_before INTEGER NOT NULL,"
	  "  not_after INTEGER NOT NULL,"
	  "  fingerprint_sha256 TEXT NOT NULL UNIQUE,"
	  "  pem TEXT NOT NULL,"
	  "  constraints TEXT NOT NULL DEFAULT '',"
	  "  imported INTEGER NOT NULL DEFAULT 0,"
	  "  crl_number INTEGER NOT NULL DEFAULT 0,"
	  "  created_at INTEGER NOT NULL"
	  ");"
	  "CREATE TABLE certificates ("
	  "  id INTEGER PRIMARY KEY,"
	  "  ca_id INTEGER NOT NULL REFERENCES ca(id),"
	  "  serial TEXT NOT NULL UNIQUE,"
	  "  profile TEXT NOT NULL,"
	  "  subject TEXT NOT NULL,"
	  "  cn TEXT NOT NULL DEFAULT '',"
	  "  sans TEXT NOT NULL,"		/* one name per line, SAN order */
	  "  names_key TEXT NOT NULL,"		/* sorted names, for idempotency */
	  "  key_type TEXT NOT NULL,"
	  "  not_before INTEGER NOT NULL,"
	  "  not_after INTEGER NOT NULL,"
	  "  fingerprint_sha256 TEXT NOT NULL,"
	  "  pem TEXT NOT NULL,"
	  "  status TEXT NOT NULL DEFAULT 'valid'"
	  "    CHECK (status IN ('valid', 'superseded', 'revoked')),"
	  "  superseded_by INTEGER REFERENCES certificates(id),"
	  "  revoked_at INTEGER,"
	  "  revocation_reason TEXT,"
	  "  imported INTEGER NOT NULL DEFAULT 0,"
	  "  created_at INTEGER NOT NULL"
	  ");"
	  "CREATE INDEX certificates_current ON certificates(status, not_after);"
	  "CREATE INDEX certificates_profile ON certificates(profile, names_key);"
	  "CREATE TABLE deployments ("
	  "  id INTEGER PRIMARY KEY,"
	  "  cert_id INTEGER NOT NULL REFERENCES certificates(id),"
	  "  profile TEXT NOT NULL,"
	  "  root TEXT NOT NULL,"
	  "  cert_path TEXT NOT NULL,"
	  "  cert_sha256 TEXT NOT NULL,"
	  "  cert_mode INTEGER NOT NULL,"
	  "  cert_uid INTEGER NOT NULL,"
	  "  cert_gid INTEGER NOT NULL,"
	  "  key_path TEXT NOT NULL,"
	  "  key_sha256 TEXT NOT NULL,"
	  "  key_mode INTEGER NOT NULL,"
	  "  key_uid INTEGER NOT NULL,"
	  "  key_gid INTEGER NOT NULL,"
	  "  deployed_at INTEGER NOT NULL,"
	  "  state TEXT NOT NULL DEFAULT 'current'"
	  "    CHECK (state IN ('pending', 'current', 'replaced', 'failed'))"
	  ");"
	  "CREATE INDEX deployments_target ON deployments(root, cert_path, state);"
	  "CREATE TABLE audit ("
	  "  id INTEGER PRIMARY KEY,"
	  "  time INTEGER NOT NULL,"
	  "  user TEXT NOT NULL,"
	  "  action TEXT NOT NULL,"
	  "  serial TEXT,"
	  "  details TEXT NOT NULL"
	  ");"
	  "CREATE INDEX audit_time ON audit(time);"
	  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	  "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	  "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	},
	/* Deployments swap two files that cannot be renamed atomically
	 * together: the row is written 'pending' before the first rename,
	 * with the staged and backup names, so an interrupted swap can be
	 * completed (repair 'forward') or undone (repair 'back') later. */
	{ 2,
	  "ALTER TABLE deployments ADD COLUMN cert_prev_sha256 TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE deployments ADD COLUMN key_prev_sha256 TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE deployments ADD COLUMN cert_tmp TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE deployments ADD COLUMN key_tmp TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE deployments ADD COLUMN cert_backup TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE deployments ADD COLUMN key_backup TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE deployments ADD COLUMN repair TEXT NOT NULL DEFAULT 'forward'"
	  "  CHECK (repair IN ('forward', 'back'));"
	  "ALTER TABLE deployments ADD COLUMN detail TEXT NOT NULL DEFAULT '';"
	  "CREATE INDEX deployments_state ON deployments(state, root);"
	},
	/* A two-level CA: the root (offline) signs intermediates, the
	 * current intermediate signs leaves.  Every CA certificate the home
	 * ever had stays a row (earlier intermediates keep verifying what
	 * they signed, and the root's CRL lists the revoked ones); one
	 * current root and one current intermediate at most.  key_sha256
	 * is the root key file's digest when it went offline, so the file
	 * brought back is known to be the same. */
	{ 3,
	  "ALTER TABLE ca ADD COLUMN role TEXT NOT NULL DEFAULT 'root'"
	  "  CHECK (role IN ('root', 'intermediate', 'cross'));"
	  "ALTER TABLE ca ADD COLUMN parent_id INTEGER REFERENCES ca(id);"
	  "ALTER TABLE ca ADD COLUMN key_type TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE ca ADD COLUMN status TEXT NOT NULL DEFAULT 'current'"
	  "  CHECK (status IN ('current', 'retired', 'revoked'));"
	  "ALTER TABLE ca ADD COLUMN revoked_at INTEGER;"
	  "ALTER TABLE ca ADD COLUMN revocation_reason TEXT;"
	  "ALTER TABLE ca ADD COLUMN key_sha256 TEXT NOT NULL DEFAULT '';"
	  "UPDATE ca SET status = 'retired' WHERE id != (SELECT max(id) FROM ca);"
	  "CREATE UNIQUE INDEX ca_one_current ON ca(role) WHERE status = 'current';"
	},
};

const size_t store_nmigrations = sizeof(store_migrations) / sizeof(store_migrations[0]);
