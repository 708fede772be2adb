/*
 * fuzz_ctl.c: libFuzzer target for ctl_request(), the control socket's
 * request parser.  Each input is what one client sent, cut as the daemon
 * cuts it (REQ_MAX - 1 bytes, then NUL-terminated); the reply must be
 * one of the known kinds, and an unknown request must come back as
 * printable ASCII (no terminal escape can ride back to `rstaudit stats`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define REQ_MAX 64	/* ctl.c's */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render(FILE *fp, enum stats_format fmt, void *arg)
{
	(void)arg;
	fprintf(fp, "counters %d\n", (int)fmt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char req[REQ_MAX], *out = NULL;
	size_t outlen = 0, i, n = size < REQ_MAX - 1 ? size : REQ_MAX - 1;
	FILE *fp;

	memcpy(req, data, n);
	req[n] = '\0';
	if ((fp = open_memstream(&out, &outlen)) == NULL)
		return 0;
	/* The first byte picks the socket: control (even) or HTTP (odd). */
	ctl_request(req, n > 0 && (data[0] & 1), fp, render, NULL);
	if (fclose(fp) != 0)
		abort();
	if (strncmp(out, "HTTP/1.0 ", 9) != 0 && strncmp(out, "counters ", 9) != 0 &&
	    strncmp(out, "error: unknown request '", 24) != 0)
		__builtin_trap();
	if (out[0] == 'e')
		for (i = 0; i + 1 < outlen; i++)
			if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
				__builtin_trap();
	free(out);
	return 0;
}
