/* generate.c: every tile assembled (and compressed) by a task on its owner. */
#include "algorithm/algorithms.h"

#include <starpu_mpi.h>

void blr_generate(desc_t *A, const struct kernel_args *base)
{
    for (int j = 0; j < A->nt; j++)
        for (int i = j; i < A->nt; i++) {
            if (!desc_is_mine(A, i, j))
                continue;
            struct kernel_args args = *base;
            args.row = i;
            args.col = j;
            args.row0 = i * A->nb;
            args.col0 = j * A->nb;
            int status = starpu_mpi_task_insert(A->comm, &cl_generate, STARPU_W, desc_tile(A, i, j), STARPU_VALUE,
                                                &args, sizeof args, 0);
            STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert(generate)");
        }
}
