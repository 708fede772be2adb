/* sha1.h: SHA-1 of a short buffer (for the Community ID only). */
#ifndef RSTAUDIT_SHA1_H
#define RSTAUDIT_SHA1_H

#include <stddef.h>
#include <stdint.h>

/* With the CPU's SHA extensions when it has them, else sha1_portable(). */
void sha1(const uint8_t *data, size_t len, uint8_t out[20]);

/* The plain C rounds, whatever the CPU (the tests compare the two). */
void sha1_portable(const uint8_t *data, size_t len, uint8_t out[20]);

/* 1 when sha1() uses the SHA extensions. */
int sha1_ni_available(void);

#endif
