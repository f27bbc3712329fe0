/*
 * submit.h: one task of a tiled algorithm, submitted with StarPU-MPI on the
 * owner of the tile it writes.  Tiles are given by coordinates (-1, -1 for
 * none); the helper registers the handles this rank needs, charges memctl
 * for the remote tiles this rank will receive, and skips tasks this rank
 * takes no part in.
 */
#ifndef BLRCHOL_SUBMIT_H
#define BLRCHOL_SUBMIT_H

#include "algorithm/desc.h"
#include "runtime/codelets.h"

/* 0, or -1 when the memctl reservation refused (budget too small). */
int submit_task(desc_t *A, struct starpu_codelet *cl, const struct kernel_args *args, int priority, int wi,
                int wj, int r1i, int r1j, int r2i, int r2j);

/* In step j of the factorisation, on this rank: reserve the remote tiles
 * that its TRSMs (L_jj: STEP_DIAGONAL, after POTRF is submitted) or its
 * SYRKs and GEMMs (the panel: STEP_PANEL, after the TRSMs are submitted)
 * will read, and post their receives now (potrf.c, step
 * synchronisation).  A receive must be posted after the task that writes
 * the tile is submitted here: that submission drops this rank's cached
 * copy, and with it a receive posted earlier.  0, or -1 when a
 * reservation refused. */
typedef enum { STEP_DIAGONAL, STEP_PANEL } step_reads_t;
int submit_step_receptions(desc_t *A, int j, step_reads_t reads);

#endif
