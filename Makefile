# rstaudit: who sent that TCP reset, and why.
#
#   make              build ./rstaudit
#   make demo         install what is missing, run the built-in example
#   make check        install what is missing, run every test (root for the lab)
#   make SANITIZE=1 check   the same under ASan and UBSan
#   make golden       regenerate the golden files after a deliberate change
#   make fuzz         build and run the libFuzzer targets (clang)
#   make install      honours DESTDIR, PREFIX, SBINDIR, MANDIR

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=

CC	?= cc
PKG_CONFIG ?= pkg-config
LIBS_PC	= libpcap libnetfilter_queue libmnl libnftnl libnetfilter_conntrack

WARN	= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wformat=2 -Wwrite-strings -Wno-format-nonliteral
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc
ifeq ($(SANITIZE),1)
CFLAGS	+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS	= $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null || \
	  echo -lpcap -lnetfilter_queue -lmnl -lnftnl -lnetfilter_conntrack)

# The pure core: bytes and values in, values out; no I/O, no libraries.
CORE	= src/pkt.o src/table.o src/flow.o src/host.o src/classify.o \
	  src/evidence.o src/engine.o src/policy.o
# Adapters: capture files, output, logging, the command line.
ADAPT	= src/pcapin.o src/output.o src/sha1.o src/log.o src/analyze.o \
	  src/nft.o src/nfq.o src/ct.o src/conf.o src/enforce.o src/run.o
OBJS	= $(CORE) $(ADAPT) src/main.o

UNIT	= tests/unit/test_pkt tests/unit/test_flow tests/unit/test_classify \
	  tests/unit/test_engine tests/unit/test_output tests/unit/test_policy

.PHONY: FORCE all check unit golden-check corpus-check lab-check demo golden \
	deps fuzz bench install uninstall clean

all: rstaudit

rstaudit: $(OBJS)
	$(CC) $(LDFLAGS) -pthread -o $@ $(OBJS) $(PC_LIBS)

src/pcapin.o src/analyze.o src/nft.o src/nfq.o src/ct.o src/enforce.o src/run.o: \
	CFLAGS += $(PC_CFLAGS)

# Objects remember the flags they were built with: switching SANITIZE
# on or off rebuilds everything.
.flags: FORCE
	@echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@
FORCE:

src/%.o: src/%.c src/*.h .flags
	$(CC) $(CFLAGS) -c -o $@ $<

tests/unit/test_%: tests/unit/test_%.c tests/unit/*.h $(CORE) src/output.o src/sha1.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE) src/output.o src/sha1.o

deps:
	@sh tests/deps.sh

check: deps all $(UNIT)
	@sh tests/run-unit.sh $(UNIT)
	@sh tests/golden.sh check
	@sh tests/corpus.sh
	@sh tests/lab/run.sh
	@sh tests/live/nft_test.sh
	@sh tests/live/run.sh
	@sh tests/conf_check.sh
	@sh tests/live/enforce.sh
	@echo "make check: all suites passed"

unit: all $(UNIT)
	@sh tests/run-unit.sh $(UNIT)

golden: all
	@sh tests/golden.sh regen

demo: deps all
	@sh tests/demo.sh

fuzz:
	@sh tests/fuzz/run.sh

bench: deps all
	@sh bench/run.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5
	install -m 0755 rstaudit $(DESTDIR)$(SBINDIR)/rstaudit
	install -m 0644 man/rstaudit.8 $(DESTDIR)$(MANDIR)/man8/rstaudit.8
	install -m 0644 man/rstaudit.conf.5 $(DESTDIR)$(MANDIR)/man5/rstaudit.conf.5

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/rstaudit $(DESTDIR)$(MANDIR)/man8/rstaudit.8 \
		$(DESTDIR)$(MANDIR)/man5/rstaudit.conf.5

clean:
	rm -f rstaudit src/*.o .flags $(UNIT) tests/fuzz/fuzz_pkt tests/fuzz/fuzz_file \
		tests/fuzz/fuzz_rule
	rm -rf tests/out
