/* generate.c: every tile assembled (and compressed) by a task on its owner. */
#include "algorithm/algorithms.h"

#include <starpu_mpi.h>

static void submit_generate(desc_t *A, const numerics_t *num, int m, int n)
{
    struct generate_args args = {.row = m, .col = n, .row0 = m * A->nb, .col0 = n * A->nb, .build = num->build,
                                 .tol = num->tol, .conj = num->conj, .source = num->source};
    int status = starpu_mpi_task_insert(A->comm, num->codelets->generate, STARPU_W, desc_tile(A, m, n),
                                        STARPU_VALUE, &args, sizeof args, 0);
    STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert(generate)");
}

void blr_generate(desc_t *A, const numerics_t *num)
{
    for (int n = 0; n < A->nt; n++)
        for (int m = n; m < A->nt; m++)
            if (desc_is_mine(A, m, n))
                submit_generate(A, num, m, n);
}
