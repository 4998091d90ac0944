/*
 * Schema migrations, FreeBSD pkg style: a table of {version, sql} driven
 * by PRAGMA user_version, each step in its own BEGIN IMMEDIATE.  Append
 * new steps; never edit one that has shipped.
 */
#include "internal.h"

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
	/* A file minica did not write is kept as NAME.pre-minica before the
	 * first swap (cert_saved, key_saved: that name, '' when none), and a
	 * root file a deployment installed (ca_path, ca_sha256) is watched
	 * by check, and a deployment can be retired (undeploy; pending with repair retire*
	 * while its files are removed or restored, so a kill is finished by
	 * the next command): SQLite cannot widen a CHECK, so the table is
	 * rebuilt the documented way. */
	{ 3,
	  "CREATE TABLE deployments_new ("
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
	  "    CHECK (state IN ('pending', 'current', 'replaced', 'failed', 'retired')),"
	  "  cert_prev_sha256 TEXT NOT NULL DEFAULT '',"
	  "  key_prev_sha256 TEXT NOT NULL DEFAULT '',"
	  "  cert_tmp TEXT NOT NULL DEFAULT '',"
	  "  key_tmp TEXT NOT NULL DEFAULT '',"
	  "  cert_backup TEXT NOT NULL DEFAULT '',"
	  "  key_backup TEXT NOT NULL DEFAULT '',"
	  "  repair TEXT NOT NULL DEFAULT 'forward'"
	  "    CHECK (repair IN ('forward', 'back', 'retire', 'retire-remove', 'retire-restore')),"
	  "  detail TEXT NOT NULL DEFAULT '',"
	  "  cert_saved TEXT NOT NULL DEFAULT '',"
	  "  key_saved TEXT NOT NULL DEFAULT '',"
	  "  ca_path TEXT NOT NULL DEFAULT '',"
	  "  ca_sha256 TEXT NOT NULL DEFAULT ''"
	  ");"
	  "INSERT INTO deployments_new (id, cert_id, profile, root, cert_path, cert_sha256, cert_mode,"
	  " cert_uid, cert_gid, key_path, key_sha256, key_mode, key_uid, key_gid, deployed_at, state,"
	  " cert_prev_sha256, key_prev_sha256, cert_tmp, key_tmp, cert_backup, key_backup, repair, detail)"
	  " SELECT id, cert_id, profile, root, cert_path, cert_sha256, cert_mode,"
	  " cert_uid, cert_gid, key_path, key_sha256, key_mode, key_uid, key_gid, deployed_at, state,"
	  " cert_prev_sha256, key_prev_sha256, cert_tmp, key_tmp, cert_backup, key_backup, repair, detail"
	  " FROM deployments;"
	  "DROP TABLE deployments;"
	  "ALTER TABLE deployments_new RENAME TO deployments;"
	  "CREATE INDEX deployments_target ON deployments(root, cert_path, state);"
	  "CREATE INDEX deployments_state ON deployments(state, root);"
	  /* 1: signed from a CSR, so renew keeps the requester's key. */
	  "ALTER TABLE certificates ADD COLUMN key_from_csr INTEGER NOT NULL DEFAULT 0;"
	},
	/* The last whole-file check that passed (PRAGMA quick_check), so that
	 * `check` need not run it on every call (store/integrity.c); and
	 * every column list and check read but the PEM, in expiry order, so
	 * that they walk this index alone instead of every row with its PEM
	 * (about 2 KB each: 200 MB read for 100,000 certificates). */
	{ 4,
	  "CREATE TABLE integrity ("
	  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
	  "  checked_at INTEGER NOT NULL"
	  ");"
	  "CREATE INDEX certificates_list ON certificates(status, not_after, id, serial, profile,"
	  "  subject, cn, sans, key_type, not_before, fingerprint_sha256, superseded_by, revoked_at,"
	  "  revocation_reason, imported, created_at, key_from_csr);"
	},
	/* The ACME server (acme/): accounts, orders, authorizations,
	 * challenges and nonces; the SQL lives with its queries. */
	{ 5, store_acme_schema },
	/* A two-level CA: the root (offline) signs intermediates, the
	 * current intermediate signs leaves.  Every CA certificate the home
	 * ever had stays a row (earlier intermediates keep verifying what
	 * they signed, and the root's CRL lists the revoked ones); one
	 * current root and one current intermediate at most.  key_sha256
	 * is the root key file's digest when it went offline, so the file
	 * brought back is known to be the same.  list and check filter by
	 * the signing CA, so the covering index gains ca_id. */
	{ 6,
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
	  "DROP INDEX certificates_list;"
	  "CREATE INDEX certificates_list ON certificates(status, not_after, id, serial, profile,"
	  "  subject, cn, sans, key_type, not_before, fingerprint_sha256, superseded_by, revoked_at,"
	  "  revocation_reason, imported, created_at, key_from_csr, ca_id);"
	},
	/* ACME External Account Binding (RFC 8555 §7.3.4): key ids, their
	 * names and the domains their accounts may order; the HMAC keys
	 * stay out of the database (private/eab/). */
	{ 7, store_acme_eab_schema },
	/* The replay nonces live in the ACME server's memory (acme/nonce.c):
	 * a nonce needs no durability, and storing them cost two or three
	 * synchronous commits a request. */
	{ 8, "DROP TABLE IF EXISTS acme_nonces;" },
};

const size_t store_nmigrations = sizeof(store_migrations) / sizeof(store_migrations[0]);
