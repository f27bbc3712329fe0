#include "algorithm/submit.h"

#include <stdint.h>

#include <starpu_mpi.h>

#include "memctl/lookahead.h"
#include "memctl/memctl.h"
#include "runtime/termination.h"

/* If this rank is to receive tile (i, j), i.e. the tile is remote and not
 * in StarPU-MPI's receive cache, charge memctl for the reception first:
 * the reservation may block this thread until memory is released.
 * 1: reserved; 0: no reception; -1: refused. */
static int reserve_reception(desc_t *A, int i, int j)
{
    if (desc_is_mine(A, i, j))
        return 0;
    starpu_data_handle_t cached = A->tiles[desc_index(A, i, j)];
    if (cached && starpu_mpi_cached_receive(cached))
        return 0;
    return memctl_reserve_remote((int)desc_index(A, i, j), desc_reception_bound(A, i, j)) ? -1 : 1;
}

/* A task of step (intptr_t)step ran here: the step look-ahead counts it out. */
static void step_task_done(void *step) { lookahead_task_done((int)(intptr_t)step); }

/* Submit task t with codelet cl and its arguments, on the owner of the
 * tile it writes, if this rank takes part (runs it or owns a tile it
 * reads). */
static int submit_task(desc_t *A, struct starpu_codelet *cl, const void *args, size_t args_size, int priority,
                       const chol_task_t *t)
{
    int reads[2][2];
    const int nreads = chol_task_reads(t, reads);
    const int runs_here = desc_is_mine(A, t->m, t->n);
    int involved = runs_here;
    for (int r = 0; r < nreads; r++)
        involved |= desc_is_mine(A, reads[r][0], reads[r][1]);
    if (!involved)
        return 0;
    for (int r = 0; r < nreads && runs_here; r++)
        if (reserve_reception(A, reads[r][0], reads[r][1]) < 0)
            return -1;
    /* Not STARPU_SSEND: a rank blocked in memctl has not reached the sends
     * its peers' tasks wait for, and synchronous sends then deadlock under
     * tight watermarks.  Early data is charged instead (docs/design/memctl.md). */
    starpu_data_handle_t written = desc_tile(A, t->m, t->n);
    /* A task run here is counted in by the step look-ahead and out by its
     * callback, whose argument is the step number itself (hence NFREE). */
    void *step = (void *)(intptr_t)t->k;
    if (runs_here)
        lookahead_task_submitted(t->k);
    int status;
    if (nreads == 0)
        status = starpu_mpi_task_insert(A->comm, cl, STARPU_RW, written, STARPU_VALUE, args, args_size,
                                        STARPU_PRIORITY, priority,
                                        STARPU_CALLBACK_WITH_ARG_NFREE, step_task_done, step, 0);
    else if (nreads == 1)
        status = starpu_mpi_task_insert(A->comm, cl, STARPU_RW, written, STARPU_R,
                                        desc_tile(A, reads[0][0], reads[0][1]), STARPU_VALUE, args, args_size,
                                        STARPU_PRIORITY, priority,
                                        STARPU_CALLBACK_WITH_ARG_NFREE, step_task_done, step, 0);
    else
        status = starpu_mpi_task_insert(A->comm, cl, STARPU_RW, written, STARPU_R,
                                        desc_tile(A, reads[0][0], reads[0][1]), STARPU_R,
                                        desc_tile(A, reads[1][0], reads[1][1]), STARPU_VALUE, args, args_size,
                                        STARPU_PRIORITY, priority,
                                        STARPU_CALLBACK_WITH_ARG_NFREE, step_task_done, step, 0);
    STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert");
    return 0;
}

/* ---- the four kernels; priorities favour the work that unlocks the next panel */

int submit_potrf(desc_t *A, const numerics_t *num, int k)
{
    const struct potrf_args args = {.tile = k, .conj = num->conj};
    const chol_task_t task = {CHOL_POTRF, k, k, k};
    return submit_task(A, num->codelets->potrf, &args, sizeof args, STARPU_MAX_PRIO, &task);
}

int submit_trsm(desc_t *A, const numerics_t *num, int m, int k)
{
    const struct trsm_args args = {.row = m, .col = k, .conj = num->conj};
    const chol_task_t task = {CHOL_TRSM, m, k, k};
    return submit_task(A, num->codelets->trsm, &args, sizeof args, STARPU_MAX_PRIO - 1, &task);
}

int submit_syrk(desc_t *A, const numerics_t *num, int n, int k)
{
    const struct syrk_args args = {.row = n, .col = n, .conj = num->conj};
    const chol_task_t task = {CHOL_SYRK, n, n, k};
    return submit_task(A, num->codelets->syrk, &args, sizeof args, n == k + 1 ? 2 : 0, &task);
}

int submit_gemm(desc_t *A, const numerics_t *num, int m, int n, int k)
{
    const struct gemm_args args = {.row = m, .col = n, .tol = num->tol, .conj = num->conj};
    const chol_task_t task = {CHOL_GEMM, m, n, k};
    return submit_task(A, num->codelets->gemm, &args, sizeof args, n == k + 1 ? 1 : 0, &task);
}

/* ---- step synchronisation ------------------------------------------------- */

/* Reserve tile (i, j) for a reception here and post its receive now. */
static int post_reception(desc_t *A, int i, int j)
{
    int reserved = reserve_reception(A, i, j);
    if (reserved <= 0)
        return reserved;
    /* Marks the copy as received for StarPU-MPI's cache, so that the
     * task_insert of its readers posts no second receive. */
    starpu_data_handle_t handle = desc_tile(A, i, j);
    if (!starpu_mpi_cached_receive_set(handle))
        starpu_mpi_irecv_detached(handle, desc_owner(A, i, j), starpu_mpi_data_get_tag(handle), A->comm, NULL, NULL);
    return 0;
}

/* The receptions of a task this rank runs. */
static int post_task_receptions(void *ctx, const chol_task_t *t)
{
    desc_t *A = ctx;
    if (!desc_is_mine(A, t->m, t->n))
        return 0;
    int reads[2][2];
    const int nreads = chol_task_reads(t, reads);
    for (int r = 0; r < nreads; r++)
        if (post_reception(A, reads[r][0], reads[r][1]))
            return -1;
    return 0;
}

/* Open MPI's MPI_Barrier polls on a core the workers need for as long as
 * the slowest rank takes to arrive: wait in naps instead, which costs at
 * most a nap per step. */
static void barrier_napping(MPI_Comm comm)
{
    MPI_Request request;
    MPI_Ibarrier(comm, &request);
    wait_napping(&request);
}

int receive_phase_reads(desc_t *A, int k, chol_phase_t phase, MPI_Comm sync)
{
    if (sync == MPI_COMM_NULL)
        return 0;
    const task_visitor_t receptions = {post_task_receptions, NULL, A};
    if (chol_walk_phase(A, k, phase, &receptions))
        return -1;
    barrier_napping(sync);
    return 0;
}
