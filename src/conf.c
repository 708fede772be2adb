/*
 * conf.c: rstaudit.conf (see conf.h).  A table of keys, each with its
 * type and bounds; one parser and one message per type.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "nfq.h"
#include "nft.h"
#include "slog.h"

#define LINE_MAX_LEN	1024

enum conf_type { T_UINT, T_BOOL, T_TIME, T_PATH, T_MASK, T_SIZE, T_MODE, T_CTV,
		 T_MAX };

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;		/* into struct conf */
	size_t		 size;		/* of that field */
	unsigned long	 lo, hi;	/* bounds, in the unit written */
	unsigned long	 scale;		/* T_TIME: microseconds per unit */
};

/* One parser per type: 0, or -1 when value is not one of it (or out of k's bounds). */
typedef int (*conf_parse_fn)(const struct conf_key *k, const char *value,
			     void *field);

#define F(field)	offsetof(struct conf, field), sizeof(((struct conf *)0)->field)
/* A path: its bound is the field less the terminating NUL. */
#define P(field)	F(field), 0, sizeof(((struct conf *)0)->field) - 1
#define SECONDS		1000000ul
#define MSEC		1000ul

static const struct conf_key conf_keys[] = {
	{ "queue",		T_UINT,    F(queue),		0, 65535, 0 },
	{ "queues",		T_UINT,    F(queues),		1, CONF_MAX_QUEUES, 0 },
	{ "fanout",		T_BOOL,    F(fanout),		0, 0, 0 },
	{ "hold",		T_TIME,    F(hold_us),		0, 3600, SECONDS },
	{ "json_file",		T_PATH,    P(json_file),	0 },
	{ "json_format",	T_PATH,    P(json_format),	0 },
	{ "syslog",		T_BOOL,    F(syslog),		0, 0, 0 },
	{ "max_flows",		T_UINT,    F(max_flows),	64, 1u << 30, 0 },
	{ "learn_packets",	T_UINT,    F(learn_packets),	0, 1000, 0 },
	{ "mark",		T_MASK,    F(mark),		0, 0xffffffffUL, 0 },
	{ "invalid_mark",	T_MASK,    F(invalid_mark),	0, 0xffffffffUL, 0 },
	{ "queue_length",	T_UINT,    F(queue_length),	64, 1u << 20, 0 },
	{ "install_rules",	T_BOOL,    F(install_rules),	0, 0, 0 },
	{ "log_rejects",	T_BOOL,    F(log_rejects),	0, 0, 0 },
	{ "conntrack_view",	T_CTV,     F(conntrack_view),	0, 0, 0 },
	{ "log_group",		T_UINT,    F(log_group),	0, 65535, 0 },
	{ "user",		T_PATH,    P(user),		0 },
	{ "control_socket",	T_PATH,    P(control_socket),	0 },
	{ "metrics_listen",	T_PATH,    P(metrics_listen),	0 },
	{ "syslog_target",	T_PATH,    P(syslog_target),	0 },
	{ "syslog_queue",	T_UINT,    F(syslog_queue),	1, 1u << 16, 0 },
	{ "journal",		T_PATH,    P(journal),		0 },
	{ "evidence_dir",	T_PATH,    P(evidence_dir),	0 },
	{ "evidence_file_size",	T_SIZE,    F(evidence_file_size), 1024, 1ul << 40, 0 },
	{ "evidence_files",	T_UINT,    F(evidence_files),	1, 10000, 0 },
	{ "evidence_packets",	T_UINT,    F(evidence_packets),	256, 1u << 22, 0 },
	/* The policy (policy.h); `rule` lines go to policy_rule_parse(). */
	{ "policy",		T_MODE,    F(policy.mode),	0, 0, 0 },
	{ "max_drops_per_flow",	T_UINT,    F(policy.max_drops_per_flow), 1, 65535, 0 },
	{ "suspect_hold",	T_TIME,    F(policy.suspect_hold_us), 0, 1000, MSEC },
	{ "suspect_max",	T_UINT,    F(policy.suspect_max), 0, POLICY_SUSPECT_MAX, 0 },
	{ "ct_restore",		T_BOOL,    F(policy.ct_restore), 0, 0, 0 },
	{ "guard_timeout",	T_TIME,    F(policy.guard_us),	0, 3600, SECONDS },
	{ "hold_aborts",	T_BOOL,    F(policy.hold_aborts), 0, 0, 0 },
	/* Locating injectors by active probes (locator.h); off by default. */
	{ "locate",		T_BOOL,    F(locate),		0, 0, 0 },
	{ "locate_interval",	T_UINT,    F(locate_interval),	1, 86400 * 7, 0 },
	{ "locate_budget",	T_UINT,    F(locate_budget),	1, 100000, 0 },
	{ "locate_max_ttl",	T_UINT,    F(locate_max_ttl),	1, 64, 0 },
};
#define NKEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))

void conf_default(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->queues = 1;
	c->hold_us = 2000000;
	c->max_flows = 1u << 20;
	c->learn_packets = NFT_DEFAULT_LEARN;
	c->mark = NFT_DEFAULT_MARK;
	c->invalid_mark = NFT_DEFAULT_INVALID_MARK;
	c->queue_length = NFQUEUE_LENGTH;
	c->install_rules = 1;
	c->log_rejects = 1;
	c->conntrack_view = CONF_CT_TABLE;
	c->log_group = NFT_DEFAULT_LOG_GROUP;
	snprintf(c->control_socket, sizeof(c->control_socket), "%s",
		 CONF_CONTROL_SOCKET);
	snprintf(c->metrics_listen, sizeof(c->metrics_listen), "none");
	snprintf(c->syslog_target, sizeof(c->syslog_target), "none");
	c->syslog_queue = SLOG_QUEUE;
	snprintf(c->journal, sizeof(c->journal), "auto");
	c->evidence_file_size = 10ul << 20;
	c->evidence_files = 10;
	c->evidence_packets = 1u << 16;
	policy_default(&c->policy);
	c->locate_interval = 3600;
	c->locate_budget = 20;
	c->locate_max_ttl = 30;
}

/* The keys SIGHUP applies (rule lines too); the others need a restart. */
static int key_is_live(const char *key)
{
	static const char *const live[] = {
		"policy", "max_drops_per_flow", "suspect_hold", "suspect_max",
		"ct_restore", "guard_timeout", "hold_aborts", "json_file", "syslog",
	};
	size_t i;

	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (strcmp(key, live[i]) == 0)
			return 1;
	return 0;
}

int conf_report_restart(const char *path, const struct conf *running,
			const struct conf *next)
{
	const struct conf_key *k;
	int n = 0;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		k = &conf_keys[i];
		if (key_is_live(k->name) ||
		    memcmp((const char *)running + k->off,
			   (const char *)next + k->off, k->size) == 0)
			continue;
		log_warnx("%s: %s changed: it takes effect at the next start",
			  path, k->name);
		n++;
	}
	return n;
}

static void store_uint(void *field, size_t size, uint64_t v)
{
	if (size == sizeof(uint16_t))
		*(uint16_t *)field = (uint16_t)v;
	else if (size == sizeof(uint32_t))
		*(uint32_t *)field = (uint32_t)v;
	else
		*(uint64_t *)field = v;
}

/*
 * Digits only (base 10), or 0x and hex digits when hex: no sign, no
 * blank, no fraction, no exponent; *end is left after them.
 */
static int digits(const char *s, int hex, uint64_t *v, const char **end)
{
	unsigned base = 10, d;
	const char *p = s;

	if (hex && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && p[2] != '\0')
		base = 16, p += 2;
	*v = 0;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && strchr("abcdef", *p | 0x20) != NULL)
			d = (unsigned)((*p | 0x20) - 'a' + 10);
		else
			break;
		if (*v > (UINT64_MAX - d) / base)
			return -1;
		*v = *v * base + d;
	}
	*end = p;
	return p == s ? -1 : 0;
}

int conf_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	const char *end;

	if (digits(s, 0, v, &end) < 0 || *end != '\0' || *v < lo || *v > hi)
		return -1;
	return 0;
}

int conf_parse_time(const char *s, uint64_t scale, uint64_t hi, uint64_t *v)
{
	uint64_t whole, frac = 0, div = 1;
	const char *end;

	if (digits(s, 0, &whole, &end) < 0 || whole > hi)
		return -1;
	if (*end == '.') {
		for (end++; *end >= '0' && *end <= '9'; end++)
			if (div < 1000000000ull) {
				frac = frac * 10 + (uint64_t)(*end - '0');
				div *= 10;
			}
		if (end[-1] == '.')
			return -1;	/* "1." */
	}
	if (*end != '\0')
		return -1;
	*v = whole * scale + (frac * scale + div / 2) / div;
	return *v > hi * scale ? -1 : 0;
}

static int parse_uint(const struct conf_key *k, const char *s, void *field)
{
	uint64_t v;

	if (conf_parse_uint(s, k->lo, k->hi, &v) < 0)
		return -1;
	store_uint(field, k->size, v);
	return 0;
}

static int parse_mask(const struct conf_key *k, const char *s, void *field)
{
	const char *end;
	uint64_t v;

	if (digits(s, 1, &v, &end) < 0 || *end != '\0' || v > k->hi)
		return -1;
	store_uint(field, k->size, v);
	return 0;
}

/* A byte count: digits, then k, M or G (powers of 1024) or nothing. */
static int parse_size(const struct conf_key *k, const char *s, void *field)
{
	static const char units[] = "kKmMgG";
	const char *end, *u;
	unsigned shift = 0;
	uint64_t v;

	if (digits(s, 0, &v, &end) < 0)
		return -1;
	if (*end != '\0') {
		if ((u = strchr(units, *end)) == NULL || end[1] != '\0')
			return -1;
		shift = 10 * (unsigned)((u - units) / 2 + 1);
	}
	if (v > (UINT64_MAX >> shift) || (v << shift) < k->lo ||
	    (v << shift) > k->hi)
		return -1;
	store_uint(field, k->size, v << shift);
	return 0;
}

static int parse_bool(const struct conf_key *k, const char *s, void *field)
{
	int *v = field;

	(void)k;
	if (strcmp(s, "yes") == 0 || strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		*v = 1;
	else if (strcmp(s, "no") == 0 || strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		*v = 0;
	else
		return -1;
	return 0;
}

static int parse_time(const struct conf_key *k, const char *s, void *field)
{
	uint64_t v;

	if (conf_parse_time(s, k->scale, k->hi, &v) < 0)
		return -1;
	store_uint(field, k->size, v);
	return 0;
}

static int parse_mode(const struct conf_key *k, const char *s, void *field)
{
	(void)k;
	return policy_mode_parse(s, field);
}

/* table, events or lookup; yes and no are the older spellings of the last two. */
static int parse_ctview(const struct conf_key *k, const char *s, void *field)
{
	static const char *const name[] = {
		[CONF_CT_LOOKUP] = "lookup", [CONF_CT_EVENTS] = "events",
		[CONF_CT_TABLE] = "table",
	};
	int *v = field;

	for (size_t i = 0; i < sizeof(name) / sizeof(name[0]); i++)
		if (strcmp(s, name[i]) == 0) {
			*v = (int)i;
			return 0;
		}
	return parse_bool(k, s, field);	/* yes: events, no: lookup */
}

static int parse_path(const struct conf_key *k, const char *s, void *field)
{
	size_t n = strlen(s);

	if (n >= k->size)
		return -1;
	memcpy(field, s, n + 1);
	return 0;
}

/* Each type's parser, and what to say when a value is not one. */
static const struct {
	conf_parse_fn	 parse;
	const char	*msg;	/* printf: key, lo, hi, unit */
} conf_types[T_MAX] = {
	[T_UINT] = { parse_uint, "%s: give a whole number, %lu to %lu" },
	[T_BOOL] = { parse_bool, "%s: give yes or no" },
	[T_TIME] = { parse_time, "%1$s: give %4$s, %2$lu to %3$lu" },
	[T_PATH] = { parse_path, "%1$s: too long (at most %3$lu bytes)" },
	[T_MASK] = { parse_mask, "%s: give a 32-bit mask, e.g. 0x20000000, or 0 for none" },
	[T_SIZE] = { parse_size, "%s: give bytes, 1k to 1024G (suffix k, M or G)" },
	[T_MODE] = { parse_mode, "%s: give audit, dry-run or enforce" },
	[T_CTV] = { parse_ctview, "%s: give table, events or lookup" },
};

int conf_set(struct conf *c, const char *key, const char *value,
	     const char **err)
{
	static char msg[128];
	const struct conf_key *k = NULL;
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].name, key) == 0)
			k = &conf_keys[i];
	if (k == NULL) {
		snprintf(msg, sizeof(msg), "unknown key '%.40s'", key);
		*err = msg;
		return -1;
	}
	if (conf_types[k->type].parse(k, value, (char *)c + k->off) < 0) {
		snprintf(msg, sizeof(msg), conf_types[k->type].msg, k->name,
			 k->lo, k->hi, k->scale == SECONDS ? "seconds"
							   : "milliseconds");
		*err = msg;
		return -1;
	}
	return 0;
}

/*
 * Split a line into key and value in place.  Returns 0 for a setting,
 * 1 for a blank or comment line, -1 (err set) for a malformed one.
 */
static int line_split(char *line, char **key, char **value, const char **err)
{
	char *p, *end;

	for (p = line; *p; p++)		/* a comment: at the start, or after blank */
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	end = line + strlen(line);
	while (end > line && strchr(" \t\r\n", end[-1]))
		*--end = '\0';
	p = line + strspn(line, " \t");
	if (*p == '\0')
		return 1;
	*key = p;
	p += strcspn(p, " \t");
	if (*p == '\0') {
		*err = "missing value";
		return -1;
	}
	*p++ = '\0';
	*value = p + strspn(p, " \t");
	return 0;
}

/* A line that no parser should see: too long, or with a NUL in it. */
static const char *line_unfit(const char *line, size_t len)
{
	static char msg[64];

	if (memchr(line, '\0', len) != NULL)
		return "NUL byte in the line (is this a text file?)";
	if (len > LINE_MAX_LEN + 1 ||
	    (len == LINE_MAX_LEN + 1 && line[LINE_MAX_LEN] != '\n')) {
		snprintf(msg, sizeof(msg), "line longer than %d bytes",
			 LINE_MAX_LEN);
		return msg;
	}
	return NULL;
}

/* One line: 0, or -1 after logging its error as path:lineno. */
static int conf_line(struct conf *c, char *line, const char *path,
		     unsigned lineno, unsigned seen[])
{
	const char *err;
	char *key, *value, msg[160];
	size_t i;

	switch (line_split(line, &key, &value, &err)) {
	case 1:
		return 0;
	case -1:
		log_warnx("%s:%u: %s", path, lineno, err);
		return -1;
	}
	if (strcmp(key, "rule") == 0) {
		if (policy_rule_parse(&c->policy, value, lineno, msg,
				      sizeof(msg)) < 0) {
			log_warnx("%s:%u: %s", path, lineno, msg);
			return -1;
		}
		return 0;
	}
	if (conf_set(c, key, value, &err) < 0) {
		log_warnx("%s:%u: %s", path, lineno, err);
		return -1;
	}
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(conf_keys[i].name, key) != 0)
			continue;
		if (seen[i]) {
			log_warnx("%s:%u: %s set again (first on line %u)",
				  path, lineno, key, seen[i]);
			return -1;
		}
		seen[i] = lineno;
	}
	return 0;
}

/*
 * A policy's packet mark may not hold invalid_mark's bits: the table
 * clears them from every packet one priority after its own chains.
 */
static int marks_clash(const struct conf *c, const char *path)
{
	int errors = 0;

	for (unsigned i = 0; i < c->policy.nrules; i++) {
		const struct policy_rule *r = &c->policy.rules[i];

		if ((r->terms & PT_MARK) && (r->mark & c->invalid_mark)) {
			log_warnx("%s:%u: mark 0x%x shares bits with "
			    "invalid_mark 0x%x, which the table clears from "
			    "every packet", path, r->line, r->mark,
			    c->invalid_mark);
			errors++;
		}
	}
	return errors;
}

int conf_load_file(struct conf *c, FILE *fp, const char *path)
{
	unsigned int lineno = 0, seen[NKEYS];
	const char *unfit;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int errors = 0;

	memset(seen, 0, sizeof(seen));
	while ((len = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if ((unfit = line_unfit(line, (size_t)len)) != NULL) {
			log_warnx("%s:%u: %s", path, lineno, unfit);
			errors++;
			continue;
		}
		if (conf_line(c, line, path, lineno, seen) < 0)
			errors++;
	}
	if (ferror(fp)) {
		log_warn("%s: read", path);
		errors++;
	}
	free(line);
	return errors + marks_clash(c, path);
}

int conf_load(struct conf *c, const char *path)
{
	FILE *fp;
	int errors;

	fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	errors = conf_load_file(c, fp, path);
	fclose(fp);
	return errors;
}
