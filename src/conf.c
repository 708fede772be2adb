/*
 * conf.c: rstaudit.conf (see conf.h).  A table of keys, each with its
 * type and bounds; one parser per type over a bounded string.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "nfq.h"
#include "slog.h"

#define LINE_MAX_LEN	1024

enum conf_type { T_UINT, T_BOOL, T_SECONDS, T_PATH, T_MASK, T_SIZE, T_MODE,
		 T_MSEC };

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;		/* into struct conf */
	size_t		 size;		/* of that field */
	unsigned long	 lo, hi;	/* T_UINT bounds; T_SECONDS: max */
};

#define F(field)	offsetof(struct conf, field), sizeof(((struct conf *)0)->field)

static const struct conf_key conf_keys[] = {
	{ "queue",		T_UINT,    F(queue),		0, 65535 },
	{ "queues",		T_UINT,    F(queues),		1, CONF_MAX_QUEUES },
	{ "fanout",		T_BOOL,    F(fanout),		0, 0 },
	{ "hold",		T_SECONDS, F(hold_us),		0, 3600 },
	{ "json_file",		T_PATH,    F(json_file),	0, 0 },
	{ "syslog",		T_BOOL,    F(syslog),		0, 0 },
	{ "max_flows",		T_UINT,    F(max_flows),	64, 1u << 30 },
	{ "learn_packets",	T_UINT,    F(learn_packets),	0, 1000 },
	{ "mark",		T_MASK,    F(mark),		0, 0 },
	{ "queue_length",	T_UINT,    F(queue_length),	64, 1u << 20 },
	{ "install_rules",	T_BOOL,    F(install_rules),	0, 0 },
	{ "log_rejects",	T_BOOL,    F(log_rejects),	0, 0 },
	{ "log_group",		T_UINT,    F(log_group),	0, 65535 },
	{ "user",		T_PATH,    F(user),		0, 0 },
	{ "control_socket",	T_PATH,    F(control_socket),	0, 0 },
	{ "metrics_listen",	T_PATH,    F(metrics_listen),	0, 0 },
	{ "syslog_target",	T_PATH,    F(syslog_target),	0, 0 },
	{ "syslog_queue",	T_UINT,    F(syslog_queue),	1, 1u << 16 },
	{ "journal",		T_PATH,    F(journal),		0, 0 },
	{ "evidence_dir",	T_PATH,    F(evidence_dir),	0, 0 },
	{ "evidence_file_size",	T_SIZE,    F(evidence_file_size), 1024, 1ul << 40 },
	{ "evidence_files",	T_UINT,    F(evidence_files),	1, 10000 },
	{ "evidence_packets",	T_UINT,    F(evidence_packets),	256, 1u << 22 },
	/* The policy (policy.h); `rule` lines go to policy_rule_parse(). */
	{ "policy",		T_MODE,    F(policy.mode),	0, 0 },
	{ "max_drops_per_flow",	T_UINT,    F(policy.max_drops_per_flow), 1, 65535 },
	{ "suspect_hold",	T_MSEC,    F(policy.suspect_hold_us), 0, 1000 },
	{ "suspect_max",	T_UINT,    F(policy.suspect_max), 0, POLICY_SUSPECT_MAX },
	{ "ct_restore",		T_BOOL,    F(policy.ct_restore), 0, 0 },
	{ "guard_timeout",	T_SECONDS, F(policy.guard_us),	0, 3600 },
	{ "hold_aborts",	T_BOOL,    F(policy.hold_aborts), 0, 0 },
	/* Locating injectors by active probes (locator.h); off by default. */
	{ "locate",		T_BOOL,    F(locate),		0, 0 },
	{ "locate_interval",	T_UINT,    F(locate_interval),	1, 86400 * 7 },
	{ "locate_budget",	T_UINT,    F(locate_budget),	1, 100000 },
	{ "locate_max_ttl",	T_UINT,    F(locate_max_ttl),	1, 64 },
};
#define NKEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))

void conf_default(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->queues = 1;
	c->hold_us = 2000000;
	c->max_flows = 1u << 20;
	c->learn_packets = 8;
	c->mark = 0x20000000u;
	c->queue_length = NFQUEUE_LENGTH;
	c->install_rules = 1;
	c->log_rejects = 1;
	c->log_group = CONF_LOG_GROUP;
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

static void store_uint(void *field, size_t size, unsigned long v)
{
	if (size == sizeof(uint16_t))
		*(uint16_t *)field = (uint16_t)v;
	else if (size == sizeof(uint32_t))
		*(uint32_t *)field = (uint32_t)v;
	else
		*(uint64_t *)field = v;
}

static int parse_uint(const char *s, int base, unsigned long *v)
{
	char *end;

	if (*s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, base);
	return errno || end == s || *end ? -1 : 0;
}

/* A byte count: digits, then k, M or G (powers of 1024) or nothing. */
static int parse_size(const char *s, unsigned long *v)
{
	static const char units[] = "kKmMgG";
	unsigned shift = 0;
	const char *u;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end != '\0') {
		if ((u = strchr(units, *end)) == NULL || end[1] != '\0')
			return -1;
		shift = 10 * (unsigned)((u - units) / 2 + 1);
		if (*v > (~0ul >> shift))
			return -1;
		*v <<= shift;
	}
	return 0;
}

static int parse_bool(const char *s, int *v)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		*v = 1;
	else if (strcmp(s, "no") == 0 || strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		*v = 0;
	else
		return -1;
	return 0;
}

int conf_set(struct conf *c, const char *key, const char *value,
	     const char **err)
{
	static char msg[128];
	const struct conf_key *k = NULL;
	void *field;
	unsigned long u;
	double d;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
		if (strcmp(conf_keys[i].name, key) == 0)
			k = &conf_keys[i];
	if (k == NULL) {
		snprintf(msg, sizeof(msg), "unknown key '%.40s'", key);
		*err = msg;
		return -1;
	}
	field = (char *)c + k->off;
	switch (k->type) {
	case T_UINT:
		if (parse_uint(value, 10, &u) < 0 || u < k->lo || u > k->hi) {
			snprintf(msg, sizeof(msg), "%s: give a number, %lu to %lu",
				 k->name, k->lo, k->hi);
			*err = msg;
			return -1;
		}
		store_uint(field, k->size, u);
		break;
	case T_MASK:
		if (parse_uint(value, 0, &u) < 0 || u > 0xffffffffUL) {
			snprintf(msg, sizeof(msg), "%s: give a 32-bit mask, e.g. 0x20000000, "
				 "or 0 for none", k->name);
			*err = msg;
			return -1;
		}
		store_uint(field, k->size, u);
		break;
	case T_SIZE:
		if (parse_size(value, &u) < 0 || u < k->lo || u > k->hi) {
			snprintf(msg, sizeof(msg), "%s: give bytes, 1k to 1024G "
				 "(suffix k, M or G)", k->name);
			*err = msg;
			return -1;
		}
		store_uint(field, k->size, u);
		break;
	case T_BOOL:
		if (parse_bool(value, field) < 0) {
			snprintf(msg, sizeof(msg), "%s: give yes or no", k->name);
			*err = msg;
			return -1;
		}
		break;
	case T_SECONDS:
		errno = 0;
		d = strtod(value, &end);
		if (errno || end == value || *end || !(d >= 0) || d > (double)k->hi) {
			snprintf(msg, sizeof(msg), "%s: give seconds, 0 to %lu",
				 k->name, k->hi);
			*err = msg;
			return -1;
		}
		store_uint(field, k->size, (unsigned long)(d * 1e6 + 0.5));
		break;
	case T_MODE:
		if (policy_mode_parse(value, field) < 0) {
			snprintf(msg, sizeof(msg), "%s: give audit, dry-run or "
				 "enforce", k->name);
			*err = msg;
			return -1;
		}
		break;
	case T_MSEC:
		errno = 0;
		d = strtod(value, &end);
		if (errno || end == value || *end || !(d >= 0) || d > (double)k->hi) {
			snprintf(msg, sizeof(msg), "%s: give milliseconds, 0 to %lu",
				 k->name, k->hi);
			*err = msg;
			return -1;
		}
		store_uint(field, k->size, (unsigned long)(d * 1e3 + 0.5));
		break;
	case T_PATH:
		if (strlen(value) >= k->size) {
			snprintf(msg, sizeof(msg), "%s: too long (at most %zu bytes)",
				 k->name, k->size - 1);
			*err = msg;
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		break;
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

int conf_load(struct conf *c, const char *path)
{
	char line[LINE_MAX_LEN + 2];
	unsigned int lineno = 0, seen[sizeof(conf_keys) / sizeof(conf_keys[0])];
	const char *err;
	char *key, *value;
	int errors = 0;
	size_t i;
	FILE *fp;

	fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	memset(seen, 0, sizeof(seen));
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			log_warnx("%s:%u: line longer than %d bytes", path, lineno,
				  LINE_MAX_LEN);
			errors++;
			while (fgets(line, sizeof(line), fp) && !strchr(line, '\n'))
				;
			continue;
		}
		switch (line_split(line, &key, &value, &err)) {
		case 1:
			continue;
		case -1:
			log_warnx("%s:%u: %s", path, lineno, err);
			errors++;
			continue;
		}
		if (strcmp(key, "rule") == 0) {
			char msg[160];

			if (policy_rule_parse(&c->policy, value, lineno, msg,
					      sizeof(msg)) < 0) {
				log_warnx("%s:%u: %s", path, lineno, msg);
				errors++;
			}
			continue;
		}
		if (conf_set(c, key, value, &err) < 0) {
			log_warnx("%s:%u: %s", path, lineno, err);
			errors++;
			continue;
		}
		for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++) {
			if (strcmp(conf_keys[i].name, key) != 0)
				continue;
			if (seen[i]) {
				log_warnx("%s:%u: %s set again (first on line %u)",
					  path, lineno, key, seen[i]);
				errors++;
			}
			seen[i] = lineno;
		}
	}
	if (ferror(fp)) {
		log_warn("%s: read", path);
		errors++;
	}
	fclose(fp);
	return errors;
}
