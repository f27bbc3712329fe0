#include "runtime/codelets.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/task_trace.h"
#include "runtime/termination.h"
#include "runtime/tile_interface.h"
#include "memctl/tile_mem.h"

static atomic_long completed;
static atomic_int potrf_failed;
static int potrf_failed_tile, potrf_failed_column;
static atomic_int kernel_failed;
static kernel_failure_t first_kernel_failure;
static atomic_long compression_routes[LR_ROUTES];

const char *kernel_kind_name(kernel_kind_t kernel)
{
    static const char *names[] = {"none", "compression", "trsm", "syrk", "gemm"};
    return kernel >= 0 && kernel <= KERNEL_GEMM ? names[kernel] : "?";
}

#ifdef BLRCHOL_FAULT_INJECTION
/* BLRCHOL_FAULT=KERNEL:N: the N-th call (from 1) for that kernel fails. */
static int injected_fault(kernel_kind_t kernel)
{
    static atomic_long calls;
    const char *fault = getenv("BLRCHOL_FAULT");
    const char *name = kernel_kind_name(kernel);
    const size_t len = strlen(name);
    if (!fault || strncmp(fault, name, len) != 0 || fault[len] != ':')
        return 0;
    return atomic_fetch_add(&calls, 1) + 1 == atol(fault + len + 1);
}
#else
static int injected_fault(kernel_kind_t kernel) { return 0; }
#endif

void codelet_note_kernel_status(kernel_kind_t kernel, int row, int col, int status)
{
    if (injected_fault(kernel))
        status = -2;
    if (status == 0 || tile_mem_refused(NULL, NULL))
        return;
    int expected = 0;
    if (atomic_compare_exchange_strong(&kernel_failed, &expected, 1))
        first_kernel_failure = (kernel_failure_t){kernel, row, col, status};
}

int codelets_kernel_failure(kernel_failure_t *out)
{
    if (!atomic_load(&kernel_failed))
        return 0;
    *out = first_kernel_failure;
    return 1;
}

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

void codelet_note_compression_route(lr_route_t route) { atomic_fetch_add(&compression_routes[route], 1); }

void codelets_compression_routes(long counts[LR_ROUTES])
{
    for (int r = 0; r < LR_ROUTES; r++)
        counts[r] = atomic_load(&compression_routes[r]);
}

void codelets_reset(void)
{
    atomic_store(&completed, 0);
    for (int r = 0; r < LR_ROUTES; r++)
        atomic_store(&compression_routes[r], 0);
    atomic_store(&potrf_failed, 0);
    atomic_store(&kernel_failed, 0);
}

void codelet_note_potrf_failure(int tile, int column)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&potrf_failed, &expected, 1)) {
        potrf_failed_tile = tile;
        potrf_failed_column = column;
    }
}

/* Once a rank is out of memory (tile_mem refused), the matrix proved not
 * positive definite, a kernel failed or the run is to stop, the numbers
 * are meaningless. */
static int run_is_lost(void)
{
    return tile_mem_refused(NULL, NULL) || atomic_load(&potrf_failed) || atomic_load(&kernel_failed) ||
           termination_requested();
}

void codelet_drop_if_terminated(void *written)
{
    if (!termination_requested())
        return;
    tile_release(tile_of_buffer(written));
    tile_interface_note_written(written);
}

int codelet_solve_task_starts(void) { return !run_is_lost(); }

int codelet_factor_task_starts(void)
{
    if (run_is_lost())
        return 0;
    atomic_fetch_add(&completed, 1);
    return 1;
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
