/*
 * check.h: accuracy of a solve against the EXACT matrix of
 * docs/design/reference-matrices.md (entries regenerated, never a stored copy):
 *   backward error = ||A x - b||_2 / (||A||_F ||x||_2 + ||b||_2).
 * Rows are split across ranks and threads; cost: one dense mat-vec.
 */
#ifndef BLRCHOL_CHECK_H
#define BLRCHOL_CHECK_H

#include <mpi.h>
#include "include/blrchol.h"

/* x and b: full vectors in the original numbering (double or double
 * complex per the problem's scalar).  *norm_a receives ||A||_F (exact).
 * blrchol_backward_error (include/blrchol.h) is this, over columns. */
double check_backward_error(const blrchol_problem_t *problem, const void *x, const void *b, int threads,
                            MPI_Comm comm, double *norm_a);

#endif
