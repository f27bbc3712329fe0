/* rhs.h: right-hand sides read from a file (--rhs FILE). */
#ifndef BLRCHOL_RHS_H
#define BLRCHOL_RHS_H

#include <stddef.h>

/* Read n lines of nrhs values each (complex: nrhs "re im" pairs, or nrhs
 * real parts) into b, column-major (column k of n doubles or n complex
 * pairs at b + k n), in the original numbering.  Blank lines are skipped.
 * 0, or -1 with "FILE:LINE: what is wrong" in error: a malformed line, or
 * a line count that is not n. */
int rhs_read(const char *path, void *b, int n, int nrhs, int is_complex, char *error, size_t error_size);

#endif
