/*
 * recvfix.h: the event test_slog and test_journal format: a middlebox's
 * reject of 10.0.1.2's SYN to 10.0.3.2 port 80, at 1 s past the epoch.
 */
#ifndef RSTAUDIT_RECVFIX_H
#define RSTAUDIT_RECVFIX_H

#include "fixtures.h"
#include "rst.h"

static inline struct rst_event recv_fixture(void)
{
	struct rst_event e;

	memset(&e, 0, sizeof(e));
	e.p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_RST | TH_ACK, 0,
		     1001, 63, 0, 0);
	e.p.payload = e.payload;
	e.ts_us = 1000000;
	e.v.origin = ORIGIN_MIDDLEBOX, e.v.cause = CAUSE_REJECT;
	e.v.confidence = 0.8f;
	return e;
}

#endif
