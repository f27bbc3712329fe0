/*
 * solve.c: x <- (L L^*)^{-1} x on the distributed factor.  Forward
 * L y = x column by column, then backward L^* x = y.  An update
 * x_i -= L_ij x_j runs where L_ij lives (tiles never travel); TRSV runs on
 * the owner of the diagonal tile, which owns x_j.
 *
 * Updates from a rank that does not own x_i go into that rank's partial
 * sum of x_i (desc_partial), which the owner of x_i adds in once, just
 * before its TRSV.  Letting x_i itself travel to every updating rank would
 * serialise its i updates behind one message each: the solve would cost a
 * network latency per tile instead of per row.
 */
#include "algorithm/algorithms.h"

#include <starpu_mpi.h>

enum sweep { FORWARD, BACKWARD };

static void submit_trsv(desc_t *A, const struct kernel_args *base, int j, int adjoint)
{
    if (!desc_is_mine(A, j, j))
        return;
    struct kernel_args args = *base;
    args.row = adjoint;
    int status = starpu_mpi_task_insert(A->comm, &cl_trsv, STARPU_R, desc_solve_tile(A, j, j), STARPU_RW,
                                        desc_vector(A, j), STARPU_VALUE, &args, sizeof args, 0);
    STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert(trsv)");
}

/* Where the update by tile (i, j) of vector piece `to` accumulates: the
 * piece itself when the tile's owner owns it, else the owner's partial sum. */
static starpu_data_handle_t update_target(desc_t *A, int i, int j, int to, enum sweep sweep)
{
    int executor = desc_owner(A, i, j);
    return executor == desc_owner(A, to, to) ? desc_vector(A, to) : desc_partial(A, to, sweep, executor);
}

/* FORWARD: x_i -= L_ij x_j;  BACKWARD: x_j -= L_ij^* x_i. */
static void submit_update(desc_t *A, const struct kernel_args *base, int i, int j, enum sweep sweep)
{
    int from = sweep == BACKWARD ? i : j, to = sweep == BACKWARD ? j : i;
    int executor = desc_owner(A, i, j);
    /* Involved: the executor (tile and target are its own) and the owner
     * of the piece it reads. */
    if (executor != A->rank && !desc_is_mine(A, from, from))
        return;
    struct kernel_args args = *base;
    args.row = sweep == BACKWARD;
    int status = starpu_mpi_task_insert(A->comm, &cl_gemv, STARPU_R, desc_solve_tile(A, i, j), STARPU_R,
                                        desc_vector(A, from), STARPU_RW, update_target(A, i, j, to, sweep),
                                        STARPU_EXECUTE_ON_NODE, executor, STARPU_VALUE, &args, sizeof args, 0);
    STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert(gemv)");
}

/* x_to += each remote rank's partial sum of its updates in this sweep: the
 * ranks owning the tiles (i, j) with `to` = i, j < i (FORWARD) or `to` = j,
 * i > j (BACKWARD).  Those are at most Q (rows) or P (columns) ranks: the
 * tiles of a row cycle through Q owners, those of a column through P. */
static void submit_partial_sums(desc_t *A, int to, enum sweep sweep)
{
    int owner = desc_owner(A, to, to);
    int cycle = sweep == FORWARD ? A->q : A->p;
    for (int step = 1; step <= cycle; step++) {
        int i = sweep == FORWARD ? to : to + step, j = sweep == FORWARD ? to - step : to;
        if (j < 0 || i >= A->nt)
            break;
        int contributor = desc_owner(A, i, j);
        if (contributor == owner || (contributor != A->rank && owner != A->rank))
            continue;
        int status = starpu_mpi_task_insert(A->comm, &cl_vector_add, STARPU_R, desc_partial(A, to, sweep, contributor),
                                            STARPU_RW, desc_vector(A, to), 0);
        STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert(vector_add)");
    }
}

void blr_solve(desc_t *A, const struct kernel_args *base)
{
    const int nt = A->nt;
    for (int j = 0; j < nt; j++) {
        submit_partial_sums(A, j, FORWARD);
        submit_trsv(A, base, j, 0);
        for (int i = j + 1; i < nt; i++)
            submit_update(A, base, i, j, FORWARD);
    }
    /* Cached copies of y pieces are stale once the backward sweep rewrites them. */
    starpu_mpi_cache_flush_all_data(A->comm);
    for (int j = nt - 1; j >= 0; j--) {
        for (int i = j + 1; i < nt; i++)
            submit_update(A, base, i, j, BACKWARD);
        submit_partial_sums(A, j, BACKWARD);
        submit_trsv(A, base, j, 1);
    }
    starpu_mpi_cache_flush_all_data(A->comm);
}
