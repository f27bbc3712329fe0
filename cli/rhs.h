/* rhs.h: the right-hand sides of the command: generated (--seed, --rhs
 * constant, --rhs plane-wave) or read from a file (--rhs FILE). */
#ifndef BLRCHOL_RHS_H
#define BLRCHOL_RHS_H

#include <stddef.h>

#include "bem/bem.h"

/* Read n lines of nrhs values each (complex: nrhs "re im" pairs, or nrhs
 * real parts) into b, column-major (column k of n doubles or n complex
 * pairs at b + k n), in the original numbering.  Blank lines are skipped.
 * 0, or -1 with "FILE:LINE: what is wrong" in error: a malformed line, or
 * a line count that is not n. */
int rhs_read(const char *path, void *b, int n, int nrhs, int is_complex, char *error, size_t error_size);

/* The nrhs columns of b (n = p->n each) as `rhs` says: NULL, pseudo-random
 * from seed + k for column k; "constant" or "plane-wave"; else a file for
 * rhs_read.  0, or -1 with a message in error. */
int rhs_build(const char *rhs, unsigned long seed, const bem_problem_t *p, int nrhs, int is_complex, void *b,
              char *error, size_t error_size);

#endif
