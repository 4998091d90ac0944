/*
 * minica issue --batch FILE: many certificates, the CA key unlocked once,
 * keys made and leaves signed on every core.  The same pipeline as one
 * issue (issue/engine.c), in the same order: every line planned before anything
 * is signed, all rows committed in one transaction, files written after.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define BATCH_FILE_MAX (64 * 1024 * 1024)

struct batch_item {
	const struct pol_batch_line *line;
	struct iss_plan plan;
	struct store_cert cur;		/* the current certificate when skipped */
	int skip;
	char name[256];			/* the files' base name */
};

struct batch {
	const struct batch_opts *o;
	const char *dir;		/* --out, or "." */
	int files;			/* write files (not with --deploy alone) */
	int dir_ok;			/* the --out folder passed its check */
	struct cmd_deploy_opts dep;	/* root resolved */
	char *root;
	struct pol_batch lines;
	struct batch_item *items;
	struct iss_plan **todo;	/* plans to sign, in line order */
	struct batch_item **todo_items;
	struct iss_issued *issued;
	size_t ntodo;
	struct cmd_ctx *ctx;
	struct mc_ca *ca;	/* &ctx->ca */
	struct iss_stats *stats;	/* --stats; else NULL */
};

static int
line_error(const struct batch *b, int line)
{
	if (line > 0)
		cmd_error("'%s' line %d: %s", b->o->file, line, mc_err());
	else
		cmd_error("'%s': %s", b->o->file, mc_err());
	return -1;
}

static int
read_lines(struct batch *b)
{
	int bad = 0;

	if (iss_batch_load(b->o->file, BATCH_FILE_MAX, &b->lines, &bad) == 0)
		return 0;
	return bad < 0 ? (cmd_fail(), -1) : line_error(b, bad);
}

static int
plan_one(struct batch *b, struct batch_item *it)
{
	const struct pol_batch_line *l = it->line;
	struct iss_req req = {
		.profile = l->profile, .cn = l->cn,
		.sans = (const char **)l->names.v, .ips = (const char **)l->ips.v,
		.days = l->days, .key_type = l->key_type,
	};
	if (iss_plan_make(b->ca, &req, &it->plan) < 0)
		return -1;
	/* Idempotent as a single issue: a line whose certificate is valid
	 * and not due is reported, not re-issued (unless --force). */
	if (!b->o->force && (it->skip = iss_find_current(b->ca, &it->plan, time(NULL), &it->cur)) < 0)
		return -1;
	iss_plan_file_name(&it->plan, it->name, sizeof(it->name));
	if (it->skip)
		return 0;
	/* The folder once (its probe file is a create and a delete), then
	 * each line's key. */
	if (b->files && !b->dir_ok && iss_out_dir_check(b->dir) < 0)
		return -1;
	b->dir_ok = b->files;
	if (b->files && iss_leaf_key_check(b->dir, it->name) < 0)
		return -1;
	return b->o->deploy ? dep_preflight(&b->ca->cfg, it->plan.prof, b->root) : 0;
}

/* Two lines writing the same files would have the second overwrite the
 * first's certificate (and fail on its key): refused before signing. */
static int
check_duplicates(struct batch *b)
{
	const char **names = malloc(b->lines.n * sizeof(*names));
	size_t first, second;
	int dup;

	if (names == NULL) {
		cmd_error("out of memory");
		return -1;
	}
	for (size_t i = 0; i < b->lines.n; i++)
		names[i] = b->items[i].name;
	dup = iss_first_duplicate(names, b->lines.n, &first, &second);
	free(names);
	if (dup <= 0)
		return dup < 0 ? (cmd_fail(), -1) : 0;
	mc_seterr("writes the same files (%s.crt, %s.key) as line %d; put one of them in another batch with "
	    "its own --out DIR", b->items[second].name, b->items[second].name, b->items[first].line->line);
	return line_error(b, b->items[second].line->line);
}

/* --deploy: each profile has one pair of targets, so two lines for the
 * same targets would have the second replace the first. */
static int
check_deploy_targets(struct batch *b)
{
	size_t j, i;

	if (!b->o->deploy || !iss_first_shared_targets(b->todo, b->ntodo, &j, &i))
		return 0;
	mc_seterr("with --deploy, deploys to the same targets (profile %s) as line %d; one certificate per "
	    "profile in a deployed batch", b->todo[i]->prof->name, b->todo_items[j]->line->line);
	return line_error(b, b->todo_items[i]->line->line);
}

static int
plan_all(struct batch *b)
{
	size_t n = b->lines.n;

	b->items = calloc(n, sizeof(*b->items));
	b->todo = calloc(n, sizeof(*b->todo));
	b->todo_items = calloc(n, sizeof(*b->todo_items));
	if (b->items == NULL || b->todo == NULL || b->todo_items == NULL) {
		cmd_error("out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		b->items[i].line = &b->lines.v[i];
		if (plan_one(b, &b->items[i]) < 0)
			return line_error(b, b->lines.v[i].line);
		if (!b->items[i].skip) {
			b->todo_items[b->ntodo] = &b->items[i];
			b->todo[b->ntodo++] = &b->items[i].plan;
		}
	}
	return check_duplicates(b) < 0 || check_deploy_targets(b) < 0 ? -1 : 0;
}

/* Sign everything, commit everything, then (only then) write files. */
static int
issue_all(struct batch *b)
{
	const char **names = NULL;
	enum iss_batch_step step;
	size_t bad = 0;
	int rc = -1;
	int64_t w = iss_wall_ns();

	if (cmd_unlock(b->ctx) != 0)
		return -1;
	if (b->stats != NULL)
		b->stats->wall_ns[ISS_PH_UNLOCK] = iss_wall_ns() - w;
	if ((b->issued = calloc(b->ntodo, sizeof(*b->issued))) == NULL ||
	    (names = calloc(b->ntodo, sizeof(*names))) == NULL) {
		cmd_error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < b->ntodo; i++)
		names[i] = b->todo_items[i]->name;
	b->ca->stats = b->stats;
	if (iss_batch_issue(b->ca, &(struct iss_batch_req){ b->todo, names, b->ntodo, b->o->jobs,
	    b->files ? b->dir : NULL }, b->issued, &step, &bad) == 0)
		rc = 0;
	else if (step == ISS_BATCH_SIGN)
		cmd_error("'%s' line %d: %s; nothing issued", b->o->file, b->todo_items[bad]->line->line, mc_err());
	else if (step == ISS_BATCH_RECORD)
		cmd_error("%s; nothing issued", mc_err());
	else
		cmd_error("%zu certificates are recorded but their files could not be written: %s",
		    b->ntodo, mc_err());
out:
	free(names);
	return rc;
}

/* After the files, like a single issue --deploy; one at a time, since
 * each swaps a target pair and may reload a service. */
static int
deploy_all(struct batch *b)
{
	for (size_t i = 0; b->o->deploy && i < b->ntodo; i++) {
		const struct iss_issued *is = &b->issued[i];
		int in_place = 0;

		if (cmd_deploy_cert2(b->ca, &is->rec, is->cert, is->key, &b->dep, &in_place) < 0) {
			/* Every later line's key too: none is ever lost. */
			for (size_t j = i; !b->files && j < b->ntodo; j++) {
				if (j == i && in_place)
					continue;
				cmd_keep_key(b->ca, ".", &b->issued[j]);
			}
			return -1;
		}
	}
	return 0;
}

static void
print_results(const struct batch *b)
{
	size_t k = 0, skipped = 0;
	char na[21];

	if (b->o->json)
		fputc('[', stdout);
	for (size_t i = 0; i < b->lines.n; i++) {
		const struct batch_item *it = &b->items[i];
		const struct store_cert *c = it->skip ? &it->cur : &b->issued[k++].rec;

		skipped += (size_t)it->skip;
		if (b->o->json) {
			fputs(i ? ",\n" : "\n", stdout);
			cmd_cert_json(stdout, c, 0);
			continue;
		}
		mc_iso8601(c->not_after, na);
		na[10] = '\0';
		if (it->skip)
			printf("line %d: %s certificate %s for %s is valid until %s and not due; skipped\n",
			    it->line->line, c->profile, c->serial, it->name, na);
		else if (b->files)
			printf("line %d: issued %s certificate %s until %s: %s/%s.crt\n",
			    it->line->line, c->profile, c->serial, na, b->dir, it->name);
		else
			printf("line %d: issued %s certificate %s until %s\n",
			    it->line->line, c->profile, c->serial, na);
	}
	if (b->o->json)
		fputs("\n]\n", stdout);
	if (b->ntodo == 0)
		cmd_say(b->ctx, "nothing issued");
	else
		cmd_say(b->ctx, "issued %zu certificate%s", b->ntodo, b->ntodo == 1 ? "" : "s");
	if (skipped)
		cmd_say(b->ctx, "; %zu current and not due, skipped (--force issues anyway)", skipped);
	cmd_say(b->ctx, "\n");
}

int
cmd_issue_batch(struct cmd_ctx *ctx, const struct batch_opts *o)
{
	struct batch b = { .o = o, .dir = o->out ? o->out : ".", .files = o->out != NULL || !o->deploy,
	    .dep = o->dep, .ctx = ctx, .ca = &ctx->ca };
	struct iss_stats st = { 0 };
	int64_t t0 = iss_wall_ns();
	int rc = EXIT_ERR;

	ctx->json = o->json;
	b.stats = o->stats ? &st : NULL;
	if (read_lines(&b) < 0)
		return EXIT_ERR;
	if (cmd_setup(ctx) != 0)
		goto out;
	if (o->deploy) {
		if ((b.root = dep_root_resolve(o->dep.root)) == NULL) {
			cmd_fail();
			goto out;
		}
		b.dep.root = b.root;
		b.dep.json = o->json;
	}
	if (plan_all(&b) < 0)
		goto out;
	st.wall_ns[ISS_PH_PLAN] = iss_wall_ns() - t0;
	if (b.ntodo > 0 && issue_all(&b) < 0)
		goto out;
	print_results(&b);
	if (deploy_all(&b) < 0)
		goto out;
	if (o->stats)
		cmd_print_stats(&st, (double)(iss_wall_ns() - t0) / 1e9);
	rc = EXIT_OK;
out:
	ctx->ca.stats = NULL;
	for (size_t i = 0; b.issued != NULL && i < b.ntodo; i++)
		iss_issued_free(&b.issued[i]);
	for (size_t i = 0; b.items != NULL && i < b.lines.n; i++) {
		iss_plan_free(&b.items[i].plan);
		store_cert_free(&b.items[i].cur);
	}
	free(b.issued);
	free(b.items);
	free(b.todo);
	free(b.todo_items);
	pol_batch_free(&b.lines);
	free(b.root);
	return rc;
}
