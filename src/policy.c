/*
 * policy.c: parse, match and decide (see policy.h).
 *
 * One small parser per term over one word; the rule parser walks the
 * words, dispatching through a table of terms, then checks the rule as a
 * whole (the safety rules live there).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

const char *const policy_mode_names[POLICY_MODE_MAX] = {
	[POLICY_AUDIT] = "audit",
	[POLICY_DRY_RUN] = "dry-run",
	[POLICY_ENFORCE] = "enforce",
};

const char *const policy_action_names[PA_MAX] = {
	[PA_ACCEPT] = "accept",
	[PA_DROP] = "drop",
	[PA_LOG] = "log",
};

const char *const hold_end_names[HOLD_END_MAX] = {
	[HOLD_NONE] = "none",
	[HOLD_PACKET] = "packet",
	[HOLD_TIMER] = "timer",
	[HOLD_RELEASED] = "released",
	[HOLD_SHUTDOWN] = "shutdown",
	[HOLD_FULL] = "full",
};

static const char *const cmp_names[] = {
	[PC_GE] = ">=", [PC_GT] = ">", [PC_LE] = "<=", [PC_LT] = "<",
};

static const struct {
	const char *name;
	uint8_t bit;
} dir_names[] = {
	{ "in", PDIR_IN }, { "input", PDIR_IN },
	{ "out", PDIR_OUT }, { "output", PDIR_OUT },
	{ "forward", PDIR_FORWARD },
};
#define NDIRS	(sizeof(dir_names) / sizeof(dir_names[0]))

void policy_default(struct policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->mode = POLICY_AUDIT;
	pol->max_drops_per_flow = POLICY_DEFAULT_MAX_DROPS;
	pol->suspect_max = POLICY_DEFAULT_SUSPECT_MAX;
	pol->ct_restore = 1;
	pol->guard_us = POLICY_DEFAULT_GUARD_US;
}

int policy_mode_parse(const char *s, uint8_t *mode)
{
	int i;

	for (i = 0; i < POLICY_MODE_MAX; i++)
		if (strcmp(s, policy_mode_names[i]) == 0) {
			*mode = (uint8_t)i;
			return 0;
		}
	return -1;
}

uint8_t policy_dir_of_hook(const char *hook_name)
{
	size_t i;

	for (i = 0; i < NDIRS; i++)
		if (strcmp(hook_name, dir_names[i].name) == 0)
			return dir_names[i].bit;
	return 0;
}

/* ---- one parser per term: 0, or -1 with err ---------------------------- */

struct pctx {
	char *err;
	size_t errlen;
};

static int fail(struct pctx *c, const char *fmt, const char *word)
{
	snprintf(c->err, c->errlen, fmt, word);
	return -1;
}

/* Each name of a comma-separated list, as a bit of names[]. */
static int parse_names(struct pctx *c, char *list, const char *const *names,
		       int n, uint8_t *bits, const char *what)
{
	char *save, *w;
	int i;

	*bits = 0;
	for (w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n; i++)
			if (strcmp(w, names[i]) == 0)
				break;
		if (i == n) {
			snprintf(c->err, c->errlen, "unknown %s '%.32s'", what, w);
			return -1;
		}
		*bits |= (uint8_t)(1u << i);
	}
	if (*bits == 0)
		return fail(c, "%s: give at least one name", what);
	return 0;
}

static int parse_dirs(struct pctx *c, char *list, uint8_t *bits)
{
	char *save, *w;
	size_t i;

	*bits = 0;
	for (w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NDIRS; i++)
			if (strcmp(w, dir_names[i].name) == 0)
				break;
		if (i == NDIRS)
			return fail(c, "unknown direction '%.32s': give in, out "
				    "or forward", w);
		*bits |= dir_names[i].bit;
	}
	if (*bits == 0)
		return fail(c, "%s: give in, out or forward", "direction");
	return 0;
}

/* ">=0.8", ">= 0.8" (op in word, number in next), or "0.8" (>=). */
static int parse_conf(struct pctx *c, const char *word, const char *next,
		      struct policy_rule *r, int *used_next)
{
	static const char *const ops[] = { ">=", "<=", ">", "<" };
	static const uint8_t cmps[] = { PC_GE, PC_LE, PC_GT, PC_LT };
	const char *num = word;
	char *end;
	size_t i;
	double d;

	r->cmp = PC_GE;
	for (i = 0; i < 4; i++)
		if (strncmp(word, ops[i], strlen(ops[i])) == 0) {
			r->cmp = cmps[i];
			num = word + strlen(ops[i]);
			break;
		}
	*used_next = 0;
	if (*num == '\0' && next != NULL) {
		num = next;
		*used_next = 1;
	}
	errno = 0;
	d = strtod(num, &end);
	if (*num == '\0' || errno || *end || !(d >= 0 && d <= 1))
		return fail(c, "confidence: give a comparison and a number from "
			    "0 to 1, e.g. >=0.8, not '%.32s'", word);
	/* Compared as printed, with two decimals: keep it so. */
	r->confidence = (float)((int)(d * 100 + 0.5) / 100.0);
	return 0;
}

static int parse_family(struct pctx *c, const char *w, uint8_t *family)
{
	if (strcmp(w, "ipv4") == 0 || strcmp(w, "4") == 0)
		*family = 4;
	else if (strcmp(w, "ipv6") == 0 || strcmp(w, "6") == 0)
		*family = 6;
	else
		return fail(c, "unknown family '%.32s': give ipv4 or ipv6", w);
	return 0;
}

/* "10.0.0.0/8", "fd00::/16", or one address. */
static int parse_prefix(struct pctx *c, char *w, struct policy_prefix *p)
{
	char *slash = strchr(w, '/'), *end, word[64];
	unsigned long len;
	unsigned int i, bytes;

	snprintf(word, sizeof(word), "%s", w);	/* for the messages */
	memset(p, 0, sizeof(*p));
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, w, p->addr) == 1)
		p->family = 4;
	else if (inet_pton(AF_INET6, w, p->addr) == 1)
		p->family = 6;
	else
		return fail(c, "'%.48s' is not an IPv4 or IPv6 address", word);
	p->len = p->family == 4 ? 32 : 128;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end || errno || len > p->len ||
		    slash[1] == '-' || slash[1] == '+')
			return fail(c, "prefix length in %.48s: give 0 to 32 "
				    "(IPv4) or 0 to 128 (IPv6)", word);
		p->len = (uint8_t)len;
	}
	bytes = p->family == 4 ? 4 : 16;
	for (i = 0; i < bytes * 8; i++) {
		if (i < p->len || !(p->addr[i / 8] & (0x80u >> (i % 8))))
			continue;
		return fail(c, "%.48s has bits set past its prefix length; "
			    "write the network address", word);
	}
	return 0;
}

static int parse_port(const char *s, const char **end, uint16_t *port)
{
	unsigned long v;
	char *e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno || v > 65535)
		return -1;
	*port = (uint16_t)v;
	*end = e;
	return 0;
}

/* "80" or "1024-65535". */
static int parse_ports(struct pctx *c, const char *w, uint16_t *lo,
		       uint16_t *hi)
{
	const char *end;

	if (parse_port(w, &end, lo) < 0)
		goto bad;
	*hi = *lo;
	if (*end == '-' && parse_port(end + 1, &end, hi) < 0)
		goto bad;
	if (*end != '\0' || *hi < *lo)
		goto bad;
	return 0;
bad:
	return fail(c, "port '%.32s': give N or N-M, 0 to 65535, N <= M", w);
}

static int parse_ifname(struct pctx *c, const char *w, char *name)
{
	size_t n = strlen(w), star = n && w[n - 1] == '*';

	if (n == 0 || n >= POLICY_IFNAMSIZ || strcspn(w, "*/") < n - star)
		return fail(c, "interface '%.32s': give a name of at most 15 "
			    "characters, optionally ending in *", w);
	memcpy(name, w, n + 1);
	return 0;
}

static int parse_mark(struct pctx *c, const char *w, uint32_t *mark)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(w, &end, 0);
	if (*w == '-' || *w == '+' || *w == '\0' || *end || errno ||
	    v > 0xffffffffUL)
		return fail(c, "mark '%.32s': give a 32-bit number, e.g. 0x10", w);
	*mark = (uint32_t)v;
	return 0;
}

/* ---- the rule --------------------------------------------------------- */

static const struct term {
	const char *name;
	uint16_t bit;
	int takes_value;
} terms[] = {
	{ "origin",	PT_ORIGIN,	1 },
	{ "cause",	PT_CAUSE,	1 },
	{ "confidence",	PT_CONF,	1 },
	{ "family",	PT_FAMILY,	1 },
	{ "src",	PT_SRC,		1 },
	{ "dst",	PT_DST,		1 },
	{ "sport",	PT_SPORT,	1 },
	{ "dport",	PT_DPORT,	1 },
	{ "iif",	PT_IIF,		1 },
	{ "oif",	PT_OIF,		1 },
	{ "direction",	PT_DIR,		1 },
	{ "mark",	PT_MARK,	1 },
	{ "force",	PT_FORCE,	0 },
};
#define NTERMS	(sizeof(terms) / sizeof(terms[0]))

/* One term's value into r.  *used_next: the value took the next word too. */
static int term_value(struct pctx *c, const struct term *t, char *v,
		      const char *next, struct policy_rule *r, int *used_next)
{
	*used_next = 0;
	switch (t->bit) {
	case PT_ORIGIN:
		return parse_names(c, v, origin_names, ORIGIN_MAX, &r->origins,
				   "origin");
	case PT_CAUSE:
		return parse_names(c, v, cause_names, CAUSE_MAX, &r->causes,
				   "cause");
	case PT_CONF:
		return parse_conf(c, v, next, r, used_next);
	case PT_FAMILY:
		return parse_family(c, v, &r->family);
	case PT_SRC:
		return parse_prefix(c, v, &r->src);
	case PT_DST:
		return parse_prefix(c, v, &r->dst);
	case PT_SPORT:
		return parse_ports(c, v, &r->sport_lo, &r->sport_hi);
	case PT_DPORT:
		return parse_ports(c, v, &r->dport_lo, &r->dport_hi);
	case PT_IIF:
		return parse_ifname(c, v, r->iif);
	case PT_OIF:
		return parse_ifname(c, v, r->oif);
	case PT_DIR:
		return parse_dirs(c, v, &r->dirs);
	case PT_MARK:
		return parse_mark(c, v, &r->mark);
	}
	return 0;
}

/* The rule as a whole: the families agree, and the safety rules. */
static int rule_check(struct pctx *c, const struct policy_rule *r)
{
	uint8_t fam = (r->terms & PT_FAMILY) ? r->family : 0;

	if (r->terms & PT_SRC) {
		if (fam && fam != r->src.family)
			return fail(c, "%s: its address family differs from the "
				    "rule's other terms", "src");
		fam = r->src.family;
	}
	if ((r->terms & PT_DST) && fam && fam != r->dst.family)
		return fail(c, "%s: its address family differs from the rule's "
			    "other terms", "dst");
	if (r->action == PA_DROP) {
		if (r->terms & PT_MARK)
			return fail(c, "%s: a dropped packet keeps no mark; use "
				    "mark with accept or log", "mark");
		if (!(r->terms & PT_ORIGIN))
			return fail(c, "%s: name the origins it drops (origin "
				    "middlebox, ...), so that it cannot drop an "
				    "endpoint's reset by accident", "drop");
		if ((r->origins & (1u << ORIGIN_ENDPOINT)) &&
		    !(r->terms & PT_FORCE))
			return fail(c, "%s: drops resets judged to come from the "
				    "endpoint itself; add 'force' if that is "
				    "really meant", "drop");
	} else if (r->terms & PT_FORCE) {
		return fail(c, "%s: only a drop rule takes it", "force");
	}
	return 0;
}

int policy_rule_parse(struct policy *pol, char *args, uint32_t line,
		      char *err, size_t errlen)
{
	struct pctx c = { err, errlen };
	struct policy_rule r;
	char *save, *w, *next;
	size_t i;
	int used;

	err[0] = '\0';
	if (pol->nrules >= POLICY_MAX_RULES) {
		snprintf(err, errlen, "too many rules (at most %d)",
			 POLICY_MAX_RULES);
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.line = line;
	w = strtok_r(args, " \t", &save);
	if (w == NULL)
		return fail(&c, "%s: give an action: accept, drop or log", "rule");
	for (i = 0; i < PA_MAX; i++)
		if (strcmp(w, policy_action_names[i]) == 0)
			break;
	if (i == PA_MAX)
		return fail(&c, "unknown action '%.32s': give accept, drop or log",
			    w);
	r.action = (uint8_t)i;
	for (w = strtok_r(NULL, " \t", &save); w; w = next) {
		const struct term *t = NULL;

		for (i = 0; i < NTERMS; i++)
			if (strcmp(w, terms[i].name) == 0)
				t = &terms[i];
		if (t == NULL)
			return fail(&c, "unknown term '%.32s'", w);
		if (r.terms & t->bit)
			return fail(&c, "%s given twice", t->name);
		r.terms |= t->bit;
		next = strtok_r(NULL, " \t", &save);
		if (!t->takes_value)
			continue;
		if (next == NULL)
			return fail(&c, "%s: missing value", t->name);
		w = next;
		next = strtok_r(NULL, " \t", &save);
		if (term_value(&c, t, w, next, &r, &used) < 0)
			return -1;
		if (used)
			next = strtok_r(NULL, " \t", &save);
	}
	if (rule_check(&c, &r) < 0)
		return -1;
	pol->rules[pol->nrules++] = r;
	return 0;
}

/* ---- matching --------------------------------------------------------- */

static int prefix_has(const struct policy_prefix *p, int family,
		      const uint8_t *a)
{
	unsigned int full = p->len / 8, rest = p->len % 8, i;

	if (p->family != family)
		return 0;
	for (i = 0; i < full; i++)
		if (p->addr[i] != a[i])
			return 0;
	return rest == 0 ||
	       ((p->addr[full] ^ a[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static int ifname_is(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return strncmp(pattern, name, n - 1) == 0;
	return strcmp(pattern, name) == 0;
}

int policy_rule_where(const struct policy_rule *r, const struct rst_event *e)
{
	const struct pkt *p = &e->p;
	uint16_t t = r->terms;

	/* Cheapest first: a long list of rules is mostly rules that fail. */
	if ((t & PT_FAMILY) && r->family != p->family)
		return 0;
	if ((t & PT_SPORT) && (p->sport < r->sport_lo || p->sport > r->sport_hi))
		return 0;
	if ((t & PT_DPORT) && (p->dport < r->dport_lo || p->dport > r->dport_hi))
		return 0;
	if ((t & PT_SRC) && !prefix_has(&r->src, p->family, p->src))
		return 0;
	if ((t & PT_DST) && !prefix_has(&r->dst, p->family, p->dst))
		return 0;
	if ((t & PT_IIF) && !ifname_is(r->iif, e->live.in))
		return 0;
	if ((t & PT_OIF) && !ifname_is(r->oif, e->live.out))
		return 0;
	if ((t & PT_DIR) && !(r->dirs & policy_dir_of_hook(e->live.hook_name)))
		return 0;
	return 1;
}

int policy_rule_verdict(const struct policy_rule *r, const struct rst_event *e)
{
	const struct verdict *v = &e->v;
	float c = v->confidence, want = r->confidence;

	if ((r->terms & PT_ORIGIN) && !(r->origins & (1u << v->origin)))
		return 0;
	if ((r->terms & PT_CAUSE) && !(r->causes & (1u << v->cause)))
		return 0;
	if (!(r->terms & PT_CONF))
		return 1;
	/* Confidences are printed with two decimals: compare as printed. */
	c = (float)(int)(c * 100 + 0.5f);
	want = (float)(int)(want * 100 + 0.5f);
	switch (r->cmp) {
	case PC_GE: return c >= want;
	case PC_GT: return c > want;
	case PC_LE: return c <= want;
	default:    return c < want;
	}
}

int policy_match(const struct policy *pol, const struct rst_event *e)
{
	int i;

	for (i = 0; i < pol->nrules; i++)
		if (policy_rule_where(&pol->rules[i], e) &&
		    policy_rule_verdict(&pol->rules[i], e))
			return i;
	return -1;
}

void policy_decide(const struct policy *pol, const struct rst_event *e,
		   uint32_t flow_drops, struct policy_decision *d)
{
	const struct policy_rule *r;

	memset(d, 0, sizeof(*d));
	d->rule = -1;
	d->action = PA_ACCEPT;
	if (pol->mode == POLICY_AUDIT || (d->rule = policy_match(pol, e)) < 0)
		return;
	r = &pol->rules[d->rule];
	d->action = r->action;
	if (r->action != PA_DROP) {
		/* Dry-run changes nothing, marks included. */
		d->has_mark = pol->mode == POLICY_ENFORCE && (r->terms & PT_MARK);
		d->mark = r->mark;
		return;
	}
	if (flow_drops >= pol->max_drops_per_flow)
		d->bound = 1;
	else if (pol->mode == POLICY_DRY_RUN)
		d->would_drop = 1;
	else
		d->drop = 1;
}

/*
 * An abort that only the RST's own fingerprints call the endpoint's, on
 * a connection both sides had spoken on and neither had closed: what a
 * perfect injector's RST looks like (its TTL, DF, IP ID, window and
 * timestamps right, its seq exact).  Only the genuine endpoint talking
 * on after it tells, so with hold_aborts it is held for that.
 */
static int unproven_abort(const struct policy *pol, const struct rst_event *e)
{
	return pol->hold_aborts && e->v.origin == ORIGIN_ENDPOINT &&
	       e->v.cause == CAUSE_ABORT && !e->live.made_here &&
	       (e->snd.f & SIDE_SEEN) && (e->rcv.f & SIDE_SEEN) &&
	       !((e->snd.f | e->rcv.f) & SIDE_FIN);
}

int policy_suspect(const struct policy *pol, const struct rst_event *e,
		   const struct policy_decision *d)
{
	int i;

	if (pol->mode == POLICY_AUDIT || pol->suspect_hold_us == 0 ||
	    pol->suspect_max == 0 || d->drop || d->would_drop || d->bound ||
	    (e->v.origin != ORIGIN_MIDDLEBOX && e->v.origin != ORIGIN_UNKNOWN &&
	     !unproven_abort(pol, e)))
		return 0;
	for (i = 0; i < pol->nrules; i++)
		if (pol->rules[i].action == PA_DROP &&
		    policy_rule_where(&pol->rules[i], e))
			return 1;
	return 0;
}

/* ---- text ------------------------------------------------------------- */

static void cat(char *buf, size_t len, const char *fmt, const char *s)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, fmt, s);
}

static void cat_names(char *buf, size_t len, const char *term, uint8_t bits,
		      const char *const *names, int n)
{
	int i, first = 1;

	cat(buf, len, " %s ", term);
	for (i = 0; i < n; i++)
		if (bits & (1u << i)) {
			cat(buf, len, first ? "%s" : ",%s", names[i]);
			first = 0;
		}
}

static void cat_prefix(char *buf, size_t len, const char *term,
		       const struct policy_prefix *p)
{
	char a[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN + 8];

	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	snprintf(s, sizeof(s), "%s/%u", a, p->len);
	cat(buf, len, " %s", term);
	cat(buf, len, " %s", s);
}

static void cat_ports(char *buf, size_t len, const char *term, uint16_t lo,
		      uint16_t hi)
{
	char s[16];

	if (lo == hi)
		snprintf(s, sizeof(s), "%u", lo);
	else
		snprintf(s, sizeof(s), "%u-%u", lo, hi);
	cat(buf, len, " %s", term);
	cat(buf, len, " %s", s);
}

const char *policy_rule_format(const struct policy_rule *r, char *buf,
			       size_t len)
{
	static const char *const dirs[] = { "in", "out", "forward" };
	char s[32];
	uint16_t t = r->terms;

	snprintf(buf, len, "%s", policy_action_names[r->action]);
	if (t & PT_MARK) {
		snprintf(s, sizeof(s), "0x%x", r->mark);
		cat(buf, len, " mark %s", s);
	}
	if (t & PT_FORCE)
		cat(buf, len, " %s", "force");
	if (t & PT_ORIGIN)
		cat_names(buf, len, "origin", r->origins, origin_names, ORIGIN_MAX);
	if (t & PT_CAUSE)
		cat_names(buf, len, "cause", r->causes, cause_names, CAUSE_MAX);
	if (t & PT_CONF) {
		snprintf(s, sizeof(s), "%s%.2f", cmp_names[r->cmp], r->confidence);
		cat(buf, len, " confidence %s", s);
	}
	if (t & PT_FAMILY)
		cat(buf, len, " family %s", r->family == 4 ? "ipv4" : "ipv6");
	if (t & PT_SRC)
		cat_prefix(buf, len, "src", &r->src);
	if (t & PT_DST)
		cat_prefix(buf, len, "dst", &r->dst);
	if (t & PT_SPORT)
		cat_ports(buf, len, "sport", r->sport_lo, r->sport_hi);
	if (t & PT_DPORT)
		cat_ports(buf, len, "dport", r->dport_lo, r->dport_hi);
	if (t & PT_IIF)
		cat(buf, len, " iif %s", r->iif);
	if (t & PT_OIF)
		cat(buf, len, " oif %s", r->oif);
	if (t & PT_DIR)
		cat_names(buf, len, "direction", r->dirs, dirs, 3);
	return buf;
}
