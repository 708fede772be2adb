/*
 * policy.h: what the live daemon does with a RST it holds in the queue.
 *
 * A policy is a mode and an ordered list of rules, read from
 * rstaudit.conf (conf.c hands each `rule` line to policy_rule_parse()).
 * Each rule is an action and terms that must all match; the first rule
 * that matches a RST decides, and a RST no rule matches is accepted:
 *
 *	rule ACTION [mark M] [force] TERM...
 *
 *	ACTION	accept | drop | log
 *	TERM	origin LIST | cause LIST | confidence OP NUMBER |
 *		family ipv4|ipv6 | src PREFIX | dst PREFIX |
 *		sport N[-M] | dport N[-M] | iif NAME[*] | oif NAME[*] |
 *		direction LIST (in, out, forward)
 *
 * Terms split in two kinds: "where" terms (family, addresses, ports,
 * interfaces, direction) that hold for the packet whatever anyone
 * thinks of it, and "verdict" terms (origin, cause, confidence) that
 * hold for the classifier's judgement, which can change as evidence
 * arrives.  That split is what the suspect hold is made of.
 *
 * Safety: a drop rule must name the origins it drops, and naming
 * `endpoint` needs `force`, so that no rule drops a genuine endpoint's
 * RST by accident; the per-flow bound (max_drops_per_flow) caps what
 * any rule drops on one connection.
 *
 * Pure: values in, values out; no I/O, no allocation.
 */
#ifndef RSTAUDIT_POLICY_H
#define RSTAUDIT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "rst.h"

#define POLICY_MAX_RULES	128
#define POLICY_IFNAMSIZ		16	/* IFNAMSIZ */

enum policy_mode {
	POLICY_AUDIT,		/* rules are not applied: every RST passes */
	POLICY_DRY_RUN,		/* applied, but "would drop" instead of drop */
	POLICY_ENFORCE,
	POLICY_MODE_MAX
};
extern const char *const policy_mode_names[POLICY_MODE_MAX];

enum policy_action {
	PA_ACCEPT,
	PA_DROP,
	PA_LOG,			/* accept, and say so in the daemon's log */
	PA_MAX
};
extern const char *const policy_action_names[PA_MAX];

/* policy_rule.dirs: the hook the RST was queued at. */
#define PDIR_IN		0x01	/* input: to this host */
#define PDIR_OUT	0x02	/* output: from this host */
#define PDIR_FORWARD	0x04	/* forward: through this host */

/* policy_rule.terms: which terms the rule has. */
#define PT_ORIGIN	0x0001
#define PT_CAUSE	0x0002
#define PT_CONF		0x0004
#define PT_FAMILY	0x0008
#define PT_SRC		0x0010
#define PT_DST		0x0020
#define PT_SPORT	0x0040
#define PT_DPORT	0x0080
#define PT_IIF		0x0100
#define PT_OIF		0x0200
#define PT_DIR		0x0400
#define PT_MARK		0x0800
#define PT_FORCE	0x1000

enum policy_cmp { PC_GE, PC_GT, PC_LE, PC_LT };

struct policy_prefix {
	uint8_t family;		/* 4 or 6 */
	uint8_t len;		/* prefix length in bits */
	uint8_t addr[16];	/* host bits cleared */
};

struct policy_rule {
	uint32_t line;		/* in the configuration file */
	uint8_t action;		/* enum policy_action */
	uint16_t terms;		/* PT_* */
	uint8_t origins;	/* 1 << enum origin */
	uint8_t causes;		/* 1 << enum cause */
	uint8_t cmp;		/* enum policy_cmp */
	float confidence;
	uint8_t family;		/* 4 or 6 */
	uint8_t dirs;		/* PDIR_* */
	uint32_t mark;		/* the packet mark an accept sets */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	struct policy_prefix src, dst;
	char iif[POLICY_IFNAMSIZ], oif[POLICY_IFNAMSIZ];	/* "eth*": prefix */
};

struct policy {
	uint8_t mode;			/* enum policy_mode */
	uint32_t max_drops_per_flow;	/* bursts dropped (or would be) per
					 * connection */
	uint32_t suspect_hold_us;	/* 0: decide at once, always */
	uint32_t suspect_max;		/* RSTs held at once, per queue */
	int ct_restore;			/* after a drop, undo conntrack's CLOSE */
	uint32_t guard_us;		/* a dropped forgery's signature is
					 * dropped in the kernel this long */
	int hold_aborts;		/* hold endpoint aborts of established
					 * connections too (suspect_hold) */
	uint16_t nrules;
	struct policy_rule rules[POLICY_MAX_RULES];
};

/* What the policy says of one RST. */
struct policy_decision {
	int rule;		/* index of the rule that matched, -1: none */
	uint8_t action;		/* its action (PA_ACCEPT when none matched) */
	uint8_t drop;		/* tell the kernel to drop it */
	uint8_t would_drop;	/* dry-run: the rule says drop */
	uint8_t bound;		/* a drop turned into accept by the per-flow bound */
	uint8_t has_mark;
	uint32_t mark;
};

#define POLICY_DEFAULT_MAX_DROPS	8
#define POLICY_DEFAULT_SUSPECT_MAX	16
#define POLICY_DEFAULT_GUARD_US		10000000	/* 10 s */
#define POLICY_SUSPECT_MAX		256	/* the most suspect_max may be */

/* Mode audit, no rules, max_drops_per_flow 8, no suspect hold,
 * suspect_max 16, ct_restore on, guard_timeout 10 s. */
void	policy_default(struct policy *pol);

/*
 * Parse the words after `rule` (args, modified in place) into a new rule
 * at the end of pol, from line line of the file.  Returns 0, or -1 with
 * a message in err (errlen bytes, always terminated) and pol unchanged.
 */
int	policy_rule_parse(struct policy *pol, char *args, uint32_t line,
	    char *err, size_t errlen);

/* "audit", "dry-run", "enforce" into *mode.  Returns 0 or -1. */
int	policy_mode_parse(const char *s, uint8_t *mode);

/* Do the rule's where terms hold for e?  Its verdict terms? (1 or 0) */
int	policy_rule_where(const struct policy_rule *r, const struct rst_event *e);
int	policy_rule_verdict(const struct policy_rule *r, const struct rst_event *e);

/* The index of the first rule that matches e entirely, or -1. */
int	policy_match(const struct policy *pol, const struct rst_event *e);

/*
 * Decide for e (judged: e->v holds the classifier's verdict now) on a
 * connection where the policy has dropped flow_drops RSTs already.
 * Audit mode decides nothing: rule -1, accept.
 */
void	policy_decide(const struct policy *pol, const struct rst_event *e,
	    uint32_t flow_drops, struct policy_decision *d);

/*
 * Is e worth holding for more evidence (the suspect hold)?  Yes when the
 * hold is on, d does not drop it, the judgement is middlebox or unknown
 * (later evidence can only add to that), and a drop rule's where terms
 * match it, so that a firmer judgement could still make that rule drop.
 */
int	policy_suspect(const struct policy *pol, const struct rst_event *e,
	    const struct policy_decision *d);

/* "in", "out", "forward" for the hook names of rst_live ("input", ...). */
uint8_t	policy_dir_of_hook(const char *hook_name);

/* A rule as its canonical text (for logs and -n), in buf; returns buf. */
const char *policy_rule_format(const struct policy_rule *r, char *buf,
	    size_t len);

#endif
