/* rhs.h: right-hand sides read from a file (--rhs FILE). */
#ifndef BLRCHOL_RHS_H
#define BLRCHOL_RHS_H

#include <stddef.h>

/* Read n values, one per line ("re im" when complex; a real value alone
 * is taken as re + 0i), into b (n doubles or n complex pairs), in the
 * original numbering.  0, or -1 with "FILE:LINE: what is wrong" in error:
 * a malformed line, or a count that is not n. */
int rhs_read(const char *path, void *b, int n, int is_complex, char *error, size_t error_size);

#endif
