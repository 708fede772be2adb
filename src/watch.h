/*
 * watch.h: `rstaudit watch -i IFACE [-w FILE] [BPF]`: passive live capture
 * (libpcap, TPACKET_V3) on a mirror port or any host, judged by the same
 * engine as `rstaudit analyze` and written out as its events.
 */
#ifndef RSTAUDIT_WATCH_H
#define RSTAUDIT_WATCH_H

#include "exitcode.h"

/* Runs until SIGINT or SIGTERM; returns an exit status (exitcode.h). */
int watch_main(int argc, char **argv);

#endif
