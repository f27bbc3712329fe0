/*
 * submit.h: the tasks of the factorisation, submitted with StarPU-MPI on
 * the owner of the tile each writes.  A submission registers the handles
 * this rank needs, charges memctl for the remote tiles this rank will
 * receive (docs/design/memctl.md), and skips tasks this rank takes no part
 * in.  Each returns 0, or -1 when memctl refused a reservation (the budget
 * is too small for one task): the factorisation then stops.
 */
#ifndef BLRCHOL_SUBMIT_H
#define BLRCHOL_SUBMIT_H

#include "algorithm/algorithms.h"
#include "algorithm/cholesky_tasks.h"

int submit_potrf(desc_t *A, const numerics_t *num, int k);
int submit_trsm(desc_t *A, const numerics_t *num, int m, int k);
int submit_syrk(desc_t *A, const numerics_t *num, int n, int k);
int submit_gemm(desc_t *A, const numerics_t *num, int m, int n, int k);

/* Step synchronisation (potrf.c): reserve and post this rank's receptions
 * of the remote tiles that the tasks of `phase` of step k it runs will
 * read, then wait for every rank of `sync` to have done so.  A receive
 * must be posted after the task that writes the tile is submitted here:
 * that submission drops this rank's cached copy, and with it a receive
 * posted earlier.  Nothing when sync is MPI_COMM_NULL.  0, or -1 when a
 * reservation was refused. */
int receive_phase_reads(desc_t *A, int k, chol_phase_t phase, MPI_Comm sync);

#endif
