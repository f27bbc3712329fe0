/*
 * solve.c: x <- (L L^*)^{-1} x on the distributed factor.  Forward
 * L y = x column by column, then backward L^* x = y.  An update
 * x_i -= L_ij x_j runs where L_ij lives (vector pieces travel, tiles never
 * do); TRSV runs on the owner of the diagonal tile, which owns x_j.
 */
#include "algorithms.h"

#include <starpu_mpi.h>

/* Does this rank take part in a task on tile (i, j) touching pieces a, b? */
static int involved(const desc_t *A, int i, int j, int a, int b)
{
    return desc_is_mine(A, i, j) || desc_is_mine(A, a, a) || desc_is_mine(A, b, b);
}

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

/* adjoint = 0: x_i -= L_ij x_j;  adjoint = 1: x_j -= L_ij^* x_i. */
static void submit_update(desc_t *A, const struct kernel_args *base, int i, int j, int adjoint)
{
    if (!involved(A, i, j, i, j))
        return;
    int from = adjoint ? i : j, to = adjoint ? j : i;
    struct kernel_args args = *base;
    args.row = adjoint;
    int status = starpu_mpi_task_insert(A->comm, &cl_gemv, STARPU_R, desc_solve_tile(A, i, j), STARPU_R,
                                        desc_vector(A, from), STARPU_RW, desc_vector(A, to), STARPU_EXECUTE_ON_NODE,
                                        desc_owner(A, i, j), STARPU_VALUE, &args, sizeof args, 0);
    STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert(gemv)");
}

void blr_solve(desc_t *A, const struct kernel_args *base)
{
    const int nt = A->nt;
    for (int j = 0; j < nt; j++) {
        submit_trsv(A, base, j, 0);
        for (int i = j + 1; i < nt; i++)
            submit_update(A, base, i, j, 0);
    }
    /* Cached copies of y pieces are stale once the backward sweep rewrites them. */
    starpu_mpi_cache_flush_all_data(A->comm);
    for (int j = nt - 1; j >= 0; j--) {
        for (int i = j + 1; i < nt; i++)
            submit_update(A, base, i, j, 1);
        submit_trsv(A, base, j, 1);
    }
    starpu_mpi_cache_flush_all_data(A->comm);
}
