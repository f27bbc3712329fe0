/*
 * solve.c: x <- (L L^*)^{-1} x on the distributed factor.  Forward
 * L y = x column by column, then backward L^* x = y.  An update
 * x_m -= L_mk x_k runs where L_mk lives (tiles never travel); TRSV runs on
 * the owner of the diagonal tile, which owns x_k.
 *
 * Updates from a rank that does not own x_m go into that rank's partial
 * sum of x_m (desc_partial), which the owner of x_m adds in once, just
 * before its TRSV.  Letting x_m itself travel to every updating rank would
 * serialise its updates behind one message each: the solve would cost a
 * network latency per tile instead of per row.
 */
#include "algorithm/algorithms.h"

#include <starpu_mpi.h>

enum sweep { FORWARD, BACKWARD };

/* x_k <- L_kk^{-1} x_k, or L_kk^{-*} x_k (adjoint), on the owner of both. */
static void submit_trsv(desc_t *A, const numerics_t *num, int k, int adjoint)
{
    if (!desc_is_mine(A, k, k))
        return;
    const struct trsv_args args = {.conj = num->conj, .adjoint = adjoint};
    int status = starpu_mpi_task_insert(A->comm, num->codelets->trsv, STARPU_R, desc_solve_tile(A, k, k), STARPU_RW,
                                        desc_vector(A, k), STARPU_VALUE, &args, sizeof args, 0);
    STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert(trsv)");
}

/* Where the update by tile (m, k) of vector piece `to` accumulates: the
 * piece itself when the tile's owner owns it, else the owner's partial sum. */
static starpu_data_handle_t update_target(desc_t *A, int m, int k, int to, enum sweep sweep)
{
    int executor = desc_owner(A, m, k);
    return executor == desc_owner(A, to, to) ? desc_vector(A, to) : desc_partial(A, to, sweep, executor);
}

/* FORWARD: x_m -= L_mk x_k;  BACKWARD: x_k -= L_mk^* x_m. */
static void submit_gemv(desc_t *A, const numerics_t *num, int m, int k, enum sweep sweep)
{
    int from = sweep == BACKWARD ? m : k, to = sweep == BACKWARD ? k : m;
    int executor = desc_owner(A, m, k);
    /* Involved: the executor (tile and target are its own) and the owner
     * of the piece it reads. */
    if (executor != A->rank && !desc_is_mine(A, from, from))
        return;
    const struct gemv_args args = {.conj = num->conj, .adjoint = sweep == BACKWARD};
    int status = starpu_mpi_task_insert(A->comm, num->codelets->gemv, STARPU_R, desc_solve_tile(A, m, k), STARPU_R,
                                        desc_vector(A, from), STARPU_RW, update_target(A, m, k, to, sweep),
                                        STARPU_EXECUTE_ON_NODE, executor, STARPU_VALUE, &args, sizeof args, 0);
    STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert(gemv)");
}

/* x_to += each remote rank's partial sum of its updates in this sweep: the
 * ranks owning the tiles (m, k) with `to` = m, k < m (FORWARD) or `to` = k,
 * m > k (BACKWARD).  Those are at most Q (rows) or P (columns) ranks: the
 * tiles of a row cycle through Q owners, those of a column through P. */
static void submit_partial_sums(desc_t *A, const numerics_t *num, int to, enum sweep sweep)
{
    int owner = desc_owner(A, to, to);
    int cycle = sweep == FORWARD ? A->q : A->p;
    for (int step = 1; step <= cycle; step++) {
        int m = sweep == FORWARD ? to : to + step, k = sweep == FORWARD ? to - step : to;
        if (k < 0 || m >= A->nt)
            break;
        int contributor = desc_owner(A, m, k);
        if (contributor == owner || (contributor != A->rank && owner != A->rank))
            continue;
        int status = starpu_mpi_task_insert(A->comm, num->codelets->vector_add, STARPU_R,
                                            desc_partial(A, to, sweep, contributor), STARPU_RW, desc_vector(A, to), 0);
        STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert(vector_add)");
    }
}

void blr_solve(desc_t *A, const numerics_t *num)
{
    const int nt = A->nt;
    for (int k = 0; k < nt; k++) {
        submit_partial_sums(A, num, k, FORWARD);
        submit_trsv(A, num, k, 0);
        for (int m = k + 1; m < nt; m++)
            submit_gemv(A, num, m, k, FORWARD);
    }
    /* Cached copies of y pieces are stale once the backward sweep rewrites them. */
    starpu_mpi_cache_flush_all_data(A->comm);
    for (int k = nt - 1; k >= 0; k--) {
        for (int m = k + 1; m < nt; m++)
            submit_gemv(A, num, m, k, BACKWARD);
        submit_partial_sums(A, num, k, BACKWARD);
        submit_trsv(A, num, k, 1);
    }
    starpu_mpi_cache_flush_all_data(A->comm);
}
