/*
 * submit.h: one task of a tiled algorithm, submitted with StarPU-MPI on the
 * owner of the tile it writes.  Tiles are given by coordinates (-1, -1 for
 * none); the helper registers the handles this rank needs, charges memctl
 * for the remote tiles this rank will receive, and skips tasks this rank
 * takes no part in.
 */
#ifndef BLRCHOL_SUBMIT_H
#define BLRCHOL_SUBMIT_H

#include "desc.h"
#include "../kernels/codelets.h"

/* 0, or -1 when the memctl reservation refused (budget too small). */
int submit_task(desc_t *A, struct starpu_codelet *cl, const struct kernel_args *args, int priority, int wi,
                int wj, int r1i, int r1j, int r2i, int r2j);

/* Before step j of the factorisation, on this rank: reserve every remote
 * tile its tasks of step j will read and post their receives now (see
 * potrf.c, step synchronisation).  0, or -1 when a reservation refused. */
int submit_step_receptions(desc_t *A, int j);

#endif
