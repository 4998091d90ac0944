/* Interrupted deployments are settled by whatever command opens the CA
 * next, so check, renew and deploy all see a finished state. */
#include "cmd.h"

void
cmd_settle_interrupted(struct cmd_ca *ca)
{
	struct mc_strv notes = { 0 };
	size_t n = 0;
	int r;

	if (dep_pending_count(ca->db, &n) < 0 || n == 0)
		return;
	if (cmd_ca_lock(ca) < 0) {
		cmd_warn("%zu interrupted deployment%s left as they are for now", n, n == 1 ? "" : "s");
		return;
	}
	r = dep_settle(ca->db, &ca->cfg, &notes);
	for (size_t i = 0; i < notes.n; i++)
		cmd_warn("%s", notes.v[i]);
	if (r < 0)
		cmd_warn("interrupted deployments not settled: %s", mc_err());
	mc_strv_free(&notes);
}
