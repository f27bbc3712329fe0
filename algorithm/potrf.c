/*
 * potrf.c: the tiled Cholesky factorisation A = L L^*, right-looking, in the
 * paper's order (docs/design/algorithm.md): POTRF, TRSM, flush, then for each
 * row SYRK, GEMM, flush.  Every rank unrolls the same loop; a task runs on
 * the owner of the tile it writes and ranks that take no part skip it.
 *
 * One addition to the paper's loop: A_ij is read again after row i, as the
 * A_kj operand of the GEMMs of later rows (on the ranks of process column
 * i mod Q, where the row-i readers were those of process row i mod P).  The
 * row flush frees the row's copies early; the column is forgotten (flushed
 * again, remote handles dropped) once step j is fully submitted.
 *
 * Step synchronisation (memctl on, several ranks: blr_set_step_sync).  A
 * message that arrives before its receive is posted waits in a StarPU-MPI
 * buffer that no reservation covers ("early data", README memctl).  So
 * each rank reserves and posts the receives of L_jj for its TRSMs once
 * POTRF is submitted, and those of the panel for its SYRKs and GEMMs once
 * the TRSMs are submitted (blocking in memctl as needed), and a barrier
 * follows each: no rank submits the tasks that send L_jj, or the panel,
 * before every rank has posted the receives.  Each copy is then received
 * once per step (no row flush: a second reception would be posted late)
 * and kept until the column is forgotten.  No rank blocks after a
 * barrier, so every send the tasks of a blocked rank wait for is posted,
 * and they can all run.
 */
#include "algorithm/algorithms.h"

#include <starpu_mpi.h>

#include "algorithm/submit.h"

static void (*step_barrier)(void);
void blr_set_step_sync(void (*barrier)(void)) { step_barrier = barrier; }

/* Step synchronisation: post this rank's receives of `reads`, then wait
 * for every rank to have done so.  A refused reservation (a tile above the
 * high watermark) is excluded beforehand on every rank together. */
static int post_receives(desc_t *A, int j, step_reads_t reads)
{
    if (!step_barrier)
        return 0;
    if (submit_step_receptions(A, j, reads))
        return -1;
    step_barrier();
    return 0;
}

int blr_potrf(desc_t *A, const struct kernel_args *base)
{
    const int nt = A->nt;
    for (int j = 0; j < nt; j++) {
        struct kernel_args args = *base;
        args.row = args.col = j;
        if (submit_task(A, &cl_potrf, &args, STARPU_MAX_PRIO, j, j, -1, -1, -1, -1))
            return -1;
        if (post_receives(A, j, STEP_DIAGONAL))
            return -1;
        for (int i = j + 1; i < nt; i++) {
            args.row = i;
            if (submit_task(A, &cl_trsm, &args, STARPU_MAX_PRIO - 1, i, j, j, j, -1, -1))
                return -1;
        }
        desc_forget(A, j, j);
        if (post_receives(A, j, STEP_PANEL))
            return -1;
        for (int i = j + 1; i < nt; i++) {
            args.row = args.col = i;
            /* Work that unlocks the next panel first. */
            int near_panel = (i == j + 1) ? 2 : 0;
            if (submit_task(A, &cl_syrk, &args, near_panel, i, i, i, j, -1, -1))
                return -1;
            for (int k = j + 1; k < i; k++) {
                args.col = k;
                if (submit_task(A, &cl_gemm, &args, k == j + 1 ? 1 : 0, i, k, i, j, k, j))
                    return -1;
            }
            if (!step_barrier)
                desc_flush(A, i, j);
        }
        for (int i = j + 1; i < nt; i++)
            desc_forget(A, i, j);
    }
    return 0;
}
