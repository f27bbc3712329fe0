/*
 * potrf.c: the tiled Cholesky factorisation A = L L^*, right-looking, in the
 * paper's order (cholesky_tasks.c, docs/design/algorithm.md).  Every rank
 * walks the same task graph; a task runs on the owner of the tile it
 * writes and ranks that take no part skip it.
 *
 * A_mk is read again after row m, as an operand of the GEMMs of later
 * rows: the row flush frees the row's copies early, and the column is
 * forgotten (flushed again, remote handles dropped) once step k is
 * submitted.
 *
 * Step synchronisation (memctl on, several ranks): each rank reserves and
 * posts the receptions of a phase's tasks, then a barrier, so no message
 * arrives before its receive is posted (docs/design/memctl.md).  Memctl
 * blocks only before a barrier, never after: the sends a blocked rank's
 * tasks wait for are all posted.  Each copy is received once per step: no
 * row flush, a second reception would be posted late.
 *
 * A termination request (runtime/termination.h) is voted on at each step
 * boundary, the vote read one step later: every rank stops submitting at
 * the same step, so every message submitted has its receive.
 *
 * Step look-ahead (memctl on, several ranks): step k + L is not begun
 * before this rank's tasks of step k are done, so that its reservations
 * cover a few steps and not the whole factorisation (docs/design/memctl.md).
 */
#include "algorithm/algorithms.h"

#include "algorithm/cholesky_tasks.h"
#include "algorithm/submit.h"
#include "runtime/termination.h"
#include "memctl/lookahead.h"

struct factorisation {
    desc_t *A;
    const numerics_t *num;
};

static int submit(void *ctx, const chol_task_t *t)
{
    const struct factorisation *f = ctx;
    switch (t->kind) {
    case CHOL_POTRF:
        return submit_potrf(f->A, f->num, t->k);
    case CHOL_TRSM:
        return submit_trsm(f->A, f->num, t->m, t->k);
    case CHOL_SYRK:
        return submit_syrk(f->A, f->num, t->n, t->k);
    case CHOL_GEMM:
        return submit_gemm(f->A, f->num, t->m, t->n, t->k);
    }
    return 0;
}

/* Row m's readers of A_mk are submitted. */
static void flush_row(void *ctx, int m, int k)
{
    const struct factorisation *f = ctx;
    desc_flush(f->A, m, k);
}

static void forget_column(desc_t *A, int k)
{
    for (int m = k + 1; m < A->nt; m++)
        desc_forget(A, m, k);
}

/* Submit step k: POTRF(k), the panel's TRSMs, then its updates. */
static int submit_step(desc_t *A, const task_visitor_t *submission, int k, MPI_Comm step_sync)
{
    lookahead_enter_step(k);
    if (chol_walk_phase(A, k, PHASE_DIAGONAL, submission))             /* POTRF(k) */
        return -1;
    if (receive_phase_reads(A, k, PHASE_PANEL, step_sync)              /* L_kk */
        || chol_walk_phase(A, k, PHASE_PANEL, submission))             /* TRSM(m, k), m > k */
        return -1;
    desc_forget(A, k, k);
    if (receive_phase_reads(A, k, PHASE_UPDATE, step_sync)             /* the panel's L_mk */
        || chol_walk_phase(A, k, PHASE_UPDATE, submission))            /* SYRK(m, k), GEMM(m, n, k) */
        return -1;
    forget_column(A, k);
    return 0;
}

int blr_potrf(desc_t *A, const numerics_t *num, MPI_Comm step_sync, MPI_Comm votes)
{
    struct factorisation f = {A, num};
    const task_visitor_t submission = {submit, step_sync == MPI_COMM_NULL ? flush_row : NULL, &f};
    termination_vote_t vote;
    termination_vote_open(&vote, votes);
    int status = 0;
    for (int k = 0; k < A->nt && status == 0; k++)
        status = termination_vote_step(&vote) ? 1 : submit_step(A, &submission, k, step_sync);
    termination_vote_close(&vote);
    return status;
}
