/*
 * algorithms.h: the tiled algorithms, submitted in sequential-task-flow
 * order through StarPU-MPI on every rank.  Each returns once everything is
 * submitted; the caller waits.
 */
#ifndef BLRCHOL_ALGORITHMS_H
#define BLRCHOL_ALGORITHMS_H

#include "algorithm/desc.h"
#include "runtime/codelets.h"

/* What every task of a run takes its arguments from: the codelets of the
 * run's precision, chosen once, and the numerical settings. */
typedef struct numerics {
    const codelets_t *codelets;
    int conj;                    /* 1: Hermitian (L L^H); 0: L L^T */
    double tol;                  /* absolute per-tile truncation threshold */
    tile_build_t build;          /* how generation builds an off-diagonal tile */
    const tile_source_t *source; /* the matrix entries */
} numerics_t;

/* Assemble (and compress) every tile on its owner. */
void blr_generate(desc_t *A, const numerics_t *num);
/* A = L L^*, in place.  step_sync: the communicator of the step
 * synchronisation (potrf.c), MPI_COMM_NULL for none; votes: the ranks'
 * communicator for the termination votes.  0; -1 when memctl
 * refused a reservation; 1 when every rank stopped submitting at the same
 * step because termination was requested (runtime/termination.h). */
int blr_potrf(desc_t *A, const numerics_t *num, MPI_Comm step_sync, MPI_Comm votes);
/* x <- A^{-1} x with the factor: L y = x, then L^* x = y (vector pieces of A). */
void blr_solve(desc_t *A, const numerics_t *num);

#endif
