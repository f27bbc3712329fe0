/*
 * algorithms.h: the tiled algorithms, submitted in sequential-task-flow
 * order through StarPU-MPI on every rank.  Each returns once everything is
 * submitted; the caller waits.
 */
#ifndef BLRCHOL_ALGORITHMS_H
#define BLRCHOL_ALGORITHMS_H

#include "algorithm/desc.h"
#include "runtime/codelets.h"

/* Assemble (and compress) every tile on its owner. */
void blr_generate(desc_t *A, const struct kernel_args *args);
/* A = L L^*, in place. */
int blr_potrf(desc_t *A, const struct kernel_args *args);
/* x <- A^{-1} x with the factor: L y = x, then L^* x = y (vector pieces of A). */
void blr_solve(desc_t *A, const struct kernel_args *args);

/* Submission hook for memctl: called on the submitting thread before a task
 * that runs on this rank and reads remote tile `index` of `dense_bytes`.
 * Returns 0, or non-zero to stop submitting (budget too small). */
void blr_set_reserve_hook(int (*reserve)(long index, size_t dense_bytes));
/* Step synchronisation of blr_potrf (potrf.c): `barrier` is a barrier of
 * all ranks, called on the submitting thread; NULL: off. */
void blr_set_step_sync(void (*barrier)(void));

#endif
