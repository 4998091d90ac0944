/*
 * minica issue --batch FILE: many certificates, the CA key unlocked once,
 * keys made and leaves signed on every core.  The same pipeline as one
 * issue (engine.c), in the same order: every line planned before anything
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
	struct cmd_deploy_opts dep;	/* root resolved */
	char *root;
	struct pol_batch lines;
	struct batch_item *items;
	struct iss_plan **todo;	/* plans to sign, in line order */
	struct batch_item **todo_items;
	struct iss_issued *issued;
	size_t ntodo;
	struct ca_fileset *fs;
	struct mc_ca ca;
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
	struct mc_buf text = { 0 };
	int bad = 0, rc = -1;

	if (ca_file_read(b->o->file, BATCH_FILE_MAX, &text) < 0) {
		cmd_fail();
		goto out;
	}
	if (memchr(text.p, '\0', text.len) != NULL) {
		mc_seterr("is not a text file (it holds a NUL byte)");
		line_error(b, 0);
		goto out;
	}
	if (pol_batch_parse(text.p, text.len, &b->lines, &bad) < 0) {
		line_error(b, bad);
		goto out;
	}
	rc = 0;
out:
	mc_buf_free(&text);
	return rc;
}

/* Idempotent as a single issue: a line whose certificate is valid and
 * not due is reported, not re-issued (unless --force). */
static int
check_current(struct batch *b, struct batch_item *it)
{
	const struct iss_plan *p = &it->plan;
	int found;

	if (b->o->force)
		return 0;
	found = store_cert_find_current(b->ca.db, p->prof->name, p->cn, &p->names, &it->cur);
	if (found <= 0)
		return found;
	if (pol_cert_due(it->cur.not_before, it->cur.not_after, time(NULL), POL_RENEW_DAYS_DEFAULT)) {
		store_cert_free(&it->cur);
		return 0;
	}
	it->skip = 1;
	return 0;
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
	struct store_cert probe;

	if (iss_plan_make(&b->ca, &req, &it->plan) < 0 || check_current(b, it) < 0)
		return -1;
	probe = (struct store_cert){ .cn = it->plan.cn ? it->plan.cn : "", .sans = it->plan.names };
	iss_leaf_file_name(&probe, it->name, sizeof(it->name));
	if (it->skip)
		return 0;
	if (b->files && iss_leaf_files_check(b->dir, it->name, 1) < 0)
		return -1;
	return b->o->deploy ? dep_targets_check(it->plan.prof, b->root) : 0;
}

static int
cmp_name(const void *a, const void *b)
{
	const struct batch_item *x = *(struct batch_item *const *)a, *y = *(struct batch_item *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->line->line > y->line->line) - (x->line->line < y->line->line);
}

/* Two lines writing the same files would have the second overwrite the
 * first's certificate (and fail on its key): refused before signing. */
static int
check_duplicates(struct batch *b)
{
	struct batch_item **v = malloc(b->lines.n * sizeof(*v));
	int rc = 0;

	if (v == NULL) {
		cmd_error("out of memory");
		return -1;
	}
	for (size_t i = 0; i < b->lines.n; i++)
		v[i] = &b->items[i];
	qsort(v, b->lines.n, sizeof(*v), cmp_name);
	for (size_t i = 1; i < b->lines.n && rc == 0; i++) {
		if (strcmp(v[i - 1]->name, v[i]->name) == 0) {
			mc_seterr("writes the same files (%s.crt, %s.key) as line %d; "
			    "put one of them in another batch with its own --out DIR",
			    v[i]->name, v[i]->name, v[i - 1]->line->line);
			rc = line_error(b, v[i]->line->line);
		}
	}
	free(v);
	return rc;
}

/* --deploy: each profile has one pair of targets, so two lines for the
 * same targets would have the second replace the first. */
static int
check_deploy_targets(struct batch *b)
{
	for (size_t i = 1; b->o->deploy && i < b->ntodo; i++) {
		const struct pol_profile *p = b->todo[i]->prof;

		for (size_t j = 0; j < i; j++) {
			const struct pol_profile *q = b->todo[j]->prof;

			if (p == q || (p->cert.path && q->cert.path && strcmp(p->cert.path, q->cert.path) == 0) ||
			    (p->key.path && q->key.path && strcmp(p->key.path, q->key.path) == 0)) {
				mc_seterr("with --deploy, deploys to the same targets (profile %s) as line %d; "
				    "one certificate per profile in a deployed batch", p->name, b->todo_items[j]->line->line);
				return line_error(b, b->todo_items[i]->line->line);
			}
		}
	}
	return 0;
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

static int
add_files_one(void *arg, size_t i)
{
	struct batch *b = arg;

	return iss_leaf_files_add(b->fs, &b->ca, b->todo_items[i]->name, &b->issued[i]);
}

/* Sign everything, commit everything, then (only then) write files. */
static int
issue_all(struct batch *b)
{
	size_t bad = 0;

	if (cmd_ca_unlock(&b->ca) < 0)
		return -1;
	if ((b->issued = calloc(b->ntodo, sizeof(*b->issued))) == NULL) {
		cmd_error("out of memory");
		return -1;
	}
	if (iss_sign_many(&b->ca, b->todo, b->ntodo, b->o->jobs, b->issued, &bad) < 0) {
		cmd_error("'%s' line %d: %s; nothing issued", b->o->file, b->todo_items[bad]->line->line, mc_err());
		return -1;
	}
	if (iss_record_many(&b->ca, b->issued, b->ntodo, "issue") < 0) {
		cmd_error("%s; nothing issued", mc_err());
		return -1;
	}
	if (b->files && ((b->fs = iss_leaf_fileset(&b->ca, b->dir)) == NULL ||
	    mc_pool_run(b->ntodo, b->o->jobs, add_files_one, b, &bad) < 0 || ca_fileset_commit(b->fs) < 0)) {
		cmd_error("%zu certificates are recorded but their files could not be written: %s",
		    b->ntodo, mc_err());
		return -1;
	}
	return 0;
}

/* After the files, like a single issue --deploy; one at a time, since
 * each swaps a target pair and may reload a service. */
static int
deploy_all(struct batch *b)
{
	for (size_t i = 0; b->o->deploy && i < b->ntodo; i++) {
		const struct iss_issued *is = &b->issued[i];

		if (cmd_deploy_cert(&b->ca, &is->rec, is->cert, is->key, &b->dep) < 0) {
			if (!b->files)
				cmd_error("'%s' line %d: certificate %s is recorded but not deployed, and its key is gone "
				    "(no --out); issue it again with --force", b->o->file,
				    b->todo_items[i]->line->line, is->rec.serial);
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
		fputs("nothing issued", b->o->json ? stderr : stdout);
	else
		fprintf(b->o->json ? stderr : stdout, "issued %zu certificate%s", b->ntodo, b->ntodo == 1 ? "" : "s");
	if (skipped)
		fprintf(b->o->json ? stderr : stdout, "; %zu current and not due, skipped (--force issues anyway)",
		    skipped);
	fputc('\n', b->o->json ? stderr : stdout);
}

int
cmd_issue_batch(const struct batch_opts *o)
{
	struct batch b = { .o = o, .dir = o->out ? o->out : ".", .files = o->out != NULL || !o->deploy,
	    .dep = o->dep };
	int rc = EXIT_ERR;

	if (read_lines(&b) < 0)
		return EXIT_ERR;
	if (cmd_open_ca(&b.ca) < 0)
		goto out;
	if (cmd_ca_lock(&b.ca) < 0)
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
	if (b.ntodo > 0 && issue_all(&b) < 0)
		goto out;
	print_results(&b);
	if (deploy_all(&b) < 0)
		goto out;
	rc = EXIT_OK;
out:
	for (size_t i = 0; b.issued != NULL && i < b.ntodo; i++)
		iss_issued_free(&b.issued[i]);
	for (size_t i = 0; b.items != NULL && i < b.lines.n; i++) {
		iss_plan_free(&b.items[i].plan);
		store_cert_free(&b.items[i].cur);
	}
	ca_fileset_free(b.fs);
	free(b.issued);
	free(b.items);
	free(b.todo);
	free(b.todo_items);
	pol_batch_free(&b.lines);
	free(b.root);
	cmd_close_ca(&b.ca);
	return rc;
}
