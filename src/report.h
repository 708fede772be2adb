/*
 * report.h: `rstaudit report [--json] FILE...`, the fleet report.
 *
 * Reads event files (JSON lines as rstaudit writes them: EVE, ECS or
 * legacy; gzip-compressed or not) from any number of gateways, and
 * counts the resets per destination prefix (IPv4 /24, IPv6 /48) and
 * port (the connection's service side: the endpoint with the lower
 * port), per origin and cause, and per estimated injector hop, each with
 * the first and last time seen and the gateways (the events' host, or
 * the file's name when an event has none) that saw it.
 */
#ifndef RSTAUDIT_REPORT_H
#define RSTAUDIT_REPORT_H

#include "exitcode.h"

/* EXIT_OK, EXIT_USAGE, EXIT_UNREADABLE (a file), EXIT_CORRUPT (bad lines). */
int report_main(int argc, char **argv);

#endif
