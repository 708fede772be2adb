/* sha1.h: SHA-1 of a short buffer (for the Community ID only). */
#ifndef RSTAUDIT_SHA1_H
#define RSTAUDIT_SHA1_H

#include <stddef.h>
#include <stdint.h>

void sha1(const uint8_t *data, size_t len, uint8_t out[20]);

#endif
