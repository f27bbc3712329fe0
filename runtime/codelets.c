#include "runtime/codelets.h"

#include <stdatomic.h>

#include "runtime/task_trace.h"
#include "memctl/tile_mem.h"

static atomic_long completed;
static atomic_int potrf_failed;
static int potrf_failed_tile, potrf_failed_column;

const codelets_t *codelets_of_precision(int is_complex) { return is_complex ? &codelets_z : &codelets_d; }

int codelets_potrf_failure(int *tile, int *column)
{
    if (!atomic_load(&potrf_failed))
        return 0;
    *tile = potrf_failed_tile;
    *column = potrf_failed_column;
    return 1;
}

long codelets_completed(void) { return atomic_load(&completed); }

void codelets_reset(void)
{
    atomic_store(&completed, 0);
    atomic_store(&potrf_failed, 0);
}

void codelet_note_potrf_failure(int tile, int column)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&potrf_failed, &expected, 1)) {
        potrf_failed_tile = tile;
        potrf_failed_column = column;
    }
}

/* Once a rank is out of memory (tile_mem refused) or the matrix proved not
 * positive definite, the numbers are meaningless. */
static int run_is_lost(void)
{
    return tile_mem_refused(NULL, NULL) || atomic_load(&potrf_failed);
}

int codelet_solve_task_starts(void) { return !run_is_lost(); }

int codelet_factor_task_starts(void)
{
    atomic_fetch_add(&completed, 1);
    return !run_is_lost();
}

/* x += partial: a rank's partial sum of the updates to a vector piece
 * (algorithm/solve.c).  Complex entries are pairs of doubles: one loop
 * serves both precisions. */
static void vector_add_cpu(void *buffers[], void *cl_arg)
{
    (void)cl_arg;
    double start = task_trace_now();
    if (codelet_solve_task_starts()) {
        const double *partial = (const double *)STARPU_VECTOR_GET_PTR(buffers[0]);
        double *x = (double *)STARPU_VECTOR_GET_PTR(buffers[1]);
        size_t count = STARPU_VECTOR_GET_NX(buffers[1]) * STARPU_VECTOR_GET_ELEMSIZE(buffers[1]) / sizeof(double);
        for (size_t k = 0; k < count; k++)
            x[k] += partial[k];
    }
    task_trace_record(TASK_VECTOR_ADD, start);
}

struct starpu_codelet cl_vector_add = {
    .cpu_funcs = {vector_add_cpu}, .nbuffers = 2, .modes = {STARPU_R, STARPU_RW}, .name = "vector_add"};
