# rstaudit: who sent that TCP reset, and why.
#
#   make              build ./rstaudit
#   make demo         install what is missing, run the built-in example
#   make check        every suite, the unprivileged ones first, then one
#                     table; the root suites install what is missing first
#   make check-unit check-golden check-corpus check-conf    (no root)
#   make check-schema check-report                           (no root)
#   make check-lab check-live check-ops check-receivers      (root)
#   make SANITIZE=1 check   the same under ASan and UBSan
#   make golden-regen regenerate the golden files after a deliberate change
#   make fuzz         build and run the libFuzzer targets (clang)
#   make bench        offline benchmark, then the live one (root: bench/live.sh)
#   make bench-live   the live benchmark alone (root)
#   make install      honours DESTDIR, PREFIX, SBINDIR, MANDIR, SYSCONFDIR,
#                     SYSTEMDUNITDIR, DOCDIR; make uninstall undoes it

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR	?= $(PREFIX)/share/doc/rstaudit
EXAMPLEDIR = $(DOCDIR)/examples
DESTDIR	?=
# Installed as $(SYSCONFDIR)/rstaudit.conf when it exists (never over an
# existing file); every rules/*.conf also goes to the examples.
DEFAULT_CONF ?= rules/rstaudit.conf
# The event format's JSON Schema goes to DOCDIR (rstaudit(8), EVENTS).
SCHEMA	= tests/schema/rstaudit-eve.schema.json

CC	?= cc
PKG_CONFIG ?= pkg-config
LIBS_PC	= libpcap libnetfilter_queue libmnl libnftnl libnetfilter_conntrack zlib

WARN	= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wformat=2 -Wwrite-strings -Wno-format-nonliteral
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -DSYSCONFDIR='"$(SYSCONFDIR)"'
ifeq ($(SANITIZE),1)
CFLAGS	+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS	= $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null || \
	  echo -lpcap -lnetfilter_queue -lmnl -lnftnl -lnetfilter_conntrack -lz)

# The pure core: bytes and values in, values out; no I/O, no libraries.
CORE	= src/pkt.o src/table.o src/flow.o src/host.o src/classify.o \
	  src/evidence.o src/engine.o src/policy.o src/obuf.o
# Adapters: capture files, output, logging, the command line.
ADAPT	= src/pcapin.o src/pcappipe.o src/pcapmap.o $(OUTPUT) src/log.o src/analyze.o \
	  src/nft.o src/nftrule.o src/nftguard.o src/nftrender.o src/nfq.o src/nfqverdict.o src/ct.o src/ctview.o src/ctvmsg.o src/note.o src/conf.o src/enforce.o src/run.o src/worker.o src/livect.o src/runstats.o src/writer.o src/route.o \
	  src/watch.o src/slog.o src/journal.o $(EVIDENCE)
# Events as text, EVE JSON, ECS or the legacy JSON (output.h).
OUTPUT	= src/output.o src/eve.o src/ecs.o src/text.o src/sha1.o
# Evidence files: the ring of recent packets, pcapng blocks, the writer.
EVIDENCE = src/evring.o src/evhand.o src/pcapng.o src/evpcap.o src/safefile.o
# Operations: counters, control socket, sd_notify, privilege drop.
OPS	= src/stats.o src/ctl.o src/notify.o src/priv.o
# Locating the injector: the prober, its command, the daemon's thread.
LOCATE	= src/locate.o src/locate_cmd.o src/locator.o
# ... and, passively, the RST's delay against the round trip (pure core).
CORE	+= src/rstdelay.o
# The fleet report over event files (zlib reads them gzipped or not).
REPORT	= src/report.o
OBJS	= $(CORE) $(ADAPT) $(OPS) $(LOCATE) $(REPORT) src/main.o

UNIT	= tests/unit/test_pkt tests/unit/test_flow tests/unit/test_classify \
	  tests/unit/test_engine tests/unit/test_output tests/unit/test_ct \
	  tests/unit/test_evring tests/unit/test_evpcap tests/unit/test_policy \
	  tests/unit/test_table tests/unit/test_enforce \
	  tests/unit/test_stats tests/unit/test_locate tests/unit/test_slog \
	  tests/unit/test_journal tests/unit/test_writer tests/unit/test_ctview \
	  tests/unit/test_note tests/unit/test_obuf tests/unit/test_sha1

CHECKS	= check-unit check-golden check-corpus check-conf check-schema \
	  check-report check-lab check-live check-ops check-fuzz check-receivers

.PHONY: FORCE all check $(CHECKS) demo golden-regen deps fuzz bench \
	bench-live install uninstall clean

all: rstaudit

rstaudit: $(OBJS)
	$(CC) $(LDFLAGS) -pthread -o $@ $(OBJS) $(PC_LIBS)

src/pcapin.o src/pcappipe.o src/pcapmap.o src/analyze.o src/nft.o src/nftrule.o src/nftguard.o src/nftrender.o src/nfq.o src/nfqverdict.o src/ct.o src/ctview.o src/ctvmsg.o src/enforce.o src/run.o src/worker.o src/livect.o src/runstats.o \
	src/watch.o $(LOCATE): \
	CFLAGS += $(PC_CFLAGS)

# Objects remember the flags they were built with: switching SANITIZE
# on or off rebuilds everything.
.flags: FORCE
	@echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@
FORCE:

src/%.o: src/%.c src/*.h .flags
	$(CC) $(CFLAGS) -c -o $@ $<

tests/unit/test_%: tests/unit/test_%.c tests/unit/*.h $(CORE) $(OUTPUT)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE) $(OUTPUT)

# The conntrack adapter's decoding, without a kernel that sends NFQA_CT.
tests/unit/test_ct: tests/unit/test_ct.c tests/unit/t.h src/ct.o src/log.o
	$(CC) $(CFLAGS) $(PC_CFLAGS) $(LDFLAGS) -o $@ $< src/ct.o src/log.o $(PC_LIBS)
# The view of conntrack kept from its events, fed kernel-shaped messages.
tests/unit/test_ctview: tests/unit/test_ctview.c tests/unit/t.h src/ctview.o src/ctvmsg.o src/ct.o src/log.o src/table.o
	$(CC) $(CFLAGS) $(PC_CFLAGS) $(LDFLAGS) -o $@ $< src/ctview.o src/ctvmsg.o src/ct.o src/log.o src/table.o $(PC_LIBS)
tests/unit/test_note: tests/unit/test_note.c tests/unit/t.h src/note.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< src/note.o
# The routing table's answer, run by tests/live/route.sh in a namespace.
tests/unit/test_route: tests/unit/test_route.c src/route.h src/route.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< src/route.o
# The event writer thread: order, drops when full, nothing lost at the end.
tests/unit/test_writer: tests/unit/test_writer.c tests/unit/t.h src/writer.o
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $< src/writer.o
# The suspect hold, with the real engine and a recorder for the queue.
tests/unit/test_enforce: tests/unit/test_enforce.c tests/unit/*.h $(CORE) \
		src/enforce.o src/nfq.o src/nfqverdict.o src/ct.o src/log.o src/stats.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE) src/enforce.o src/nfq.o src/nfqverdict.o \
		src/ct.o src/log.o src/stats.o $(PC_LIBS)
# locate_decide() and hop_estimate() on recorded probes (locate.o: libpcap).
tests/unit/test_locate: tests/unit/test_locate.c tests/unit/t.h src/locate.o \
		src/pkt.o src/rstdelay.o src/table.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< src/locate.o src/pkt.o \
		src/rstdelay.o src/table.o -lpcap
# The syslog message and the journal entry (their formats are pure; the
# objects also hold the senders).
RECV_OBJS = src/slog.o src/journal.o $(OUTPUT) src/ctl.o \
	    src/conf.o src/log.o src/stats.o
tests/unit/test_slog tests/unit/test_journal: tests/unit/test_%: \
		tests/unit/test_%.c tests/unit/*.h $(CORE) $(RECV_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $< $(CORE) $(RECV_OBJS)
# The counters' table, with the policy's families.
tests/unit/test_stats: tests/unit/test_stats.c tests/unit/t.h $(CORE) src/stats.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE) src/stats.o
# The evidence writer's test reads its files back with libpcap.
tests/unit/test_evring tests/unit/test_evpcap: tests/unit/test_ev%: \
		tests/unit/test_ev%.c tests/unit/*.h $(CORE) $(EVIDENCE) \
		$(OUTPUT) src/log.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE) $(EVIDENCE) $(OUTPUT) \
		src/log.o -lpcap

# What evidence files cost per packet and per reset (bench/evring.c).
bench/evring: bench/evring.c tests/unit/*.h $(CORE) $(EVIDENCE) $(OUTPUT) \
		src/log.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE) $(EVIDENCE) $(OUTPUT) \
		src/log.o

# What formatting one event costs, per format (bench/fmt.c).
bench/fmt: bench/fmt.c tests/unit/*.h $(CORE) $(OUTPUT) src/pcapin.o \
		src/pcapmap.o src/log.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE) $(OUTPUT) src/pcapin.o \
		src/pcapmap.o src/log.o -lpcap

# What the view of conntrack costs per event (bench/ctview.c).
bench/ctview: bench/ctview.c src/ctview.o src/ctvmsg.o src/ct.o src/log.o src/table.o
	$(CC) $(CFLAGS) $(PC_CFLAGS) $(LDFLAGS) -o $@ $< src/ctview.o src/ctvmsg.o \
		src/ct.o src/log.o src/table.o $(PC_LIBS)

deps:
	@sh tests/deps.sh

# tests/check.sh runs the groups named, keeps going after a failing
# suite and ends with the table and the totals line; it runs deps itself
# before the first root suite, so an unprivileged run reaches every
# suite that needs no root.  Root also installs what is missing before
# building (a fresh machine, CI); a normal user needs only the build
# packages for check-unit, -golden, -corpus and -conf.
ROOT_DEPS = [ "$$(id -u)" != 0 ] || sh tests/deps.sh

check:
	@$(ROOT_DEPS)
	@$(MAKE) --no-print-directory all $(UNIT) tests/unit/test_route
	@UNIT='$(UNIT)' FUZZ_SECONDS=3 sh tests/check.sh unit golden corpus conf \
		schema report fuzz lab live ops locate receivers verdicts

check-unit check-golden check-corpus check-conf check-schema check-report check-verdicts: check-%:
	@$(ROOT_DEPS)
	@$(MAKE) --no-print-directory all $(UNIT)
	@UNIT='$(UNIT)' sh tests/check.sh $*
check-lab check-live check-ops check-locate check-receivers: check-%: deps
	@$(MAKE) --no-print-directory all tests/unit/test_route
	@sh tests/check.sh $*

golden-regen: all
	@sh tests/golden.sh regen

demo: deps all
	@sh tests/demo.sh

fuzz:
	@sh tests/fuzz/run.sh

# Every fuzz target for a few seconds: a CI-sized run (make fuzz: longer).
check-fuzz:
	@FUZZ_SECONDS=3 sh tests/check.sh fuzz

bench: deps all
	@sh bench/run.sh
	@sh bench/live.sh

bench-live: deps all
	@sh bench/live.sh

# Paths in the man pages and the unit follow the install's.
MANSED	= sed -e 's|/usr/local/sbin/rstaudit|$(SBINDIR)/rstaudit|g' \
	      -e 's|/etc/rstaudit.conf|$(SYSCONFDIR)/rstaudit.conf|g' \
	      -e 's|/usr/local/lib/systemd/system|$(SYSTEMDUNITDIR)|g' \
	      -e 's|/usr/local/share/doc/rstaudit|$(DOCDIR)|g'
UNITSED	= sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(EXAMPLEDIR)
	install -m 0755 rstaudit $(DESTDIR)$(SBINDIR)/rstaudit
	$(MANSED) man/rstaudit.8 >$(DESTDIR)$(MANDIR)/man8/rstaudit.8
	$(MANSED) man/rstaudit.conf.5 >$(DESTDIR)$(MANDIR)/man5/rstaudit.conf.5
	$(UNITSED) rules/rstaudit.service >$(DESTDIR)$(SYSTEMDUNITDIR)/rstaudit.service
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/rstaudit.8 \
		$(DESTDIR)$(MANDIR)/man5/rstaudit.conf.5 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/rstaudit.service
	install -m 0644 rules/rstaudit.nft $(wildcard rules/*.conf) $(DESTDIR)$(EXAMPLEDIR)
	install -m 0644 $(SCHEMA) $(DESTDIR)$(DOCDIR)
	@if [ -f $(DEFAULT_CONF) ]; then \
		install -d $(DESTDIR)$(SYSCONFDIR); \
		if [ -e $(DESTDIR)$(SYSCONFDIR)/rstaudit.conf ]; then \
			echo "kept $(DESTDIR)$(SYSCONFDIR)/rstaudit.conf (the example is in $(EXAMPLEDIR))"; \
		else \
			echo "install -m 0644 $(DEFAULT_CONF) $(DESTDIR)$(SYSCONFDIR)/rstaudit.conf"; \
			install -m 0644 $(DEFAULT_CONF) $(DESTDIR)$(SYSCONFDIR)/rstaudit.conf; \
		fi; \
	fi

# The configuration goes only if it is still the one installed.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/rstaudit $(DESTDIR)$(MANDIR)/man8/rstaudit.8 \
		$(DESTDIR)$(MANDIR)/man5/rstaudit.conf.5 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/rstaudit.service
	rm -f $(patsubst tests/schema/%,$(DESTDIR)$(DOCDIR)/%,$(SCHEMA))
	rm -f $(DESTDIR)$(EXAMPLEDIR)/rstaudit.nft \
		$(patsubst rules/%,$(DESTDIR)$(EXAMPLEDIR)/%,$(wildcard rules/*.conf))
	-rmdir $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null
	@if [ -f $(DEFAULT_CONF) ] && cmp -s $(DEFAULT_CONF) \
		$(DESTDIR)$(SYSCONFDIR)/rstaudit.conf; then \
		echo "rm -f $(DESTDIR)$(SYSCONFDIR)/rstaudit.conf"; \
		rm -f $(DESTDIR)$(SYSCONFDIR)/rstaudit.conf; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/rstaudit.conf ]; then \
		echo "kept $(DESTDIR)$(SYSCONFDIR)/rstaudit.conf: changed since installed"; \
	fi

clean:
	rm -f rstaudit src/*.o .flags $(UNIT) tests/fuzz/fuzz_pkt tests/fuzz/fuzz_file \
		bench/evring bench/ctview bench/fmt tests/fuzz/fuzz_rule tests/unit/test_route \
		tests/fuzz/fuzz_conf tests/fuzz/fuzz_ctl tests/fuzz/fuzz_evring \
		tests/fuzz/fuzz_ctev tests/fuzz/fuzz_nfq
	rm -rf tests/out
