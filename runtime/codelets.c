#include "runtime/codelets.h"

#include <stdatomic.h>

#include "runtime/tile_interface.h"
#include "kernels/tile_kernels.h"
#include "runtime/task_trace.h"
#include "memctl/tile_mem.h"

static atomic_long completed;
static atomic_int potrf_failed;
static int potrf_failed_tile, potrf_failed_column;

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

/* Once a rank is out of memory (tile_mem refused) or the matrix proved not
 * positive definite, the numbers are meaningless: let the remaining tasks
 * finish at once so that every rank reaches the end and reports. */
static int run_is_lost(void)
{
    return tile_mem_refused(NULL, NULL) || atomic_load(&potrf_failed);
}

static void unpack_args(void *cl_arg, struct kernel_args *args)
{
    starpu_codelet_unpack_args(cl_arg, args);
}

/* ---- generation: assemble, then compress ---------------------------------- */

struct tile_window {
    const tile_source_t *source;
    int row0, col0;
};

static void assemble_in_tile(void *ctx, int row0, int nrows, int col0, int ncols, void *out, int ld)
{
    const struct tile_window *w = ctx;
    w->source->assemble(w->source, w->row0 + row0, nrows, w->col0 + col0, ncols, out, ld);
}

static void generate_run(void *buffers[], void *cl_arg)
{
    struct kernel_args args;
    unpack_args(cl_arg, &args);
    tile_t *t = tile_of_buffer(buffers[0]);
    atomic_fetch_add(&completed, 1);
    if (run_is_lost())
        return;
    struct tile_window window = {args.source, args.row0, args.col0};
    tile_release(t);
    if (args.build == TILE_BUILD_DENSE || args.row == args.col) {
        if (tile_make_dense(t) == 0)
            assemble_in_tile(&window, 0, t->m, 0, t->n, t->u, t->m);
        return;
    }
    if (args.is_complex)
        (args.build == TILE_BUILD_ACA ? lr_compress_aca_z : lr_compress_svd_z)(t, assemble_in_tile, &window,
                                                                              args.tol, args.conj);
    else
        (args.build == TILE_BUILD_ACA ? lr_compress_aca_d : lr_compress_svd_d)(t, assemble_in_tile, &window,
                                                                              args.tol, args.conj);
}

/* ---- factorisation ------------------------------------------------------------ */

static void potrf_run(void *buffers[], void *cl_arg)
{
    struct kernel_args args;
    unpack_args(cl_arg, &args);
    atomic_fetch_add(&completed, 1);
    if (run_is_lost())
        return;
    tile_t *a = tile_of_buffer(buffers[0]);
    int info = args.is_complex ? tile_potrf_z(a, args.conj) : tile_potrf_d(a, args.conj);
    if (info > 0) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&potrf_failed, &expected, 1)) {
            potrf_failed_tile = args.row;
            potrf_failed_column = info;
        }
    }
}

static void trsm_run(void *buffers[], void *cl_arg)
{
    struct kernel_args args;
    unpack_args(cl_arg, &args);
    atomic_fetch_add(&completed, 1);
    if (run_is_lost())
        return;
    tile_t *a = tile_of_buffer(buffers[0]);
    const tile_t *l = tile_of_buffer(buffers[1]);
    if (args.is_complex)
        tile_trsm_z(a, l, args.conj);
    else
        tile_trsm_d(a, l, args.conj);
}

static void syrk_run(void *buffers[], void *cl_arg)
{
    struct kernel_args args;
    unpack_args(cl_arg, &args);
    atomic_fetch_add(&completed, 1);
    if (run_is_lost())
        return;
    tile_t *c = tile_of_buffer(buffers[0]);
    const tile_t *a = tile_of_buffer(buffers[1]);
    if (args.is_complex)
        tile_syrk_z(c, a, args.conj);
    else
        tile_syrk_d(c, a, args.conj);
}

static void gemm_run(void *buffers[], void *cl_arg)
{
    struct kernel_args args;
    unpack_args(cl_arg, &args);
    atomic_fetch_add(&completed, 1);
    if (run_is_lost())
        return;
    tile_t *c = tile_of_buffer(buffers[0]);
    const tile_t *a = tile_of_buffer(buffers[1]);
    const tile_t *b = tile_of_buffer(buffers[2]);
    if (args.is_complex)
        tile_gemm_z(c, a, b, args.tol, args.conj);
    else
        tile_gemm_d(c, a, b, args.tol, args.conj);
    tile_interface_note_written(buffers[0]);
}

/* ---- triangular solves on vector pieces ------------------------------------ */

static void trsv_run(void *buffers[], void *cl_arg)
{
    struct kernel_args args;
    unpack_args(cl_arg, &args);
    if (run_is_lost())
        return;
    const tile_t *l = tile_of_buffer(buffers[0]);
    void *x = (void *)STARPU_VECTOR_GET_PTR(buffers[1]);
    int adjoint = args.row;
    if (args.is_complex)
        tile_trsv_z(l, x, args.conj, adjoint);
    else
        tile_trsv_d(l, x, args.conj, adjoint);
}

static void gemv_run(void *buffers[], void *cl_arg)
{
    struct kernel_args args;
    unpack_args(cl_arg, &args);
    if (run_is_lost())
        return;
    const tile_t *a = tile_of_buffer(buffers[0]);
    const void *x = (const void *)STARPU_VECTOR_GET_PTR(buffers[1]);
    void *y = (void *)STARPU_VECTOR_GET_PTR(buffers[2]);
    int adjoint = args.row;
    if (args.is_complex)
        tile_gemv_z(a, x, y, args.conj, adjoint);
    else
        tile_gemv_d(a, x, y, args.conj, adjoint);
}

/* x += partial: a rank's partial sum of the updates to a vector piece
 * (algorithm/solve.c).  Complex entries are pairs of doubles: the same loop. */
static void vector_add_run(void *buffers[], void *cl_arg)
{
    if (run_is_lost())
        return;
    const double *partial = (const double *)STARPU_VECTOR_GET_PTR(buffers[0]);
    double *x = (double *)STARPU_VECTOR_GET_PTR(buffers[1]);
    size_t count = STARPU_VECTOR_GET_NX(buffers[1]) * STARPU_VECTOR_GET_ELEMSIZE(buffers[1]) / sizeof(double);
    for (size_t k = 0; k < count; k++)
        x[k] += partial[k];
}

/* ---- the codelets: each run above, timed for the task trace --------------- */

#define TRACED(name, kind)                                                                                   \
    static void name##_cpu(void *buffers[], void *cl_arg)                                                    \
    {                                                                                                        \
        double start = task_trace_now();                                                                     \
        name##_run(buffers, cl_arg);                                                                         \
        task_trace_record(kind, start);                                                                      \
    }
TRACED(generate, TASK_GENERATE)
TRACED(potrf, TASK_POTRF)
TRACED(trsm, TASK_TRSM)
TRACED(syrk, TASK_SYRK)
TRACED(gemm, TASK_GEMM)
TRACED(trsv, TASK_TRSV)
TRACED(gemv, TASK_GEMV)
TRACED(vector_add, TASK_VECTOR_ADD)

struct starpu_codelet cl_generate = {
    .cpu_funcs = {generate_cpu}, .nbuffers = 1, .modes = {STARPU_W}, .name = "generate"};
struct starpu_codelet cl_potrf = {
    .cpu_funcs = {potrf_cpu}, .nbuffers = 1, .modes = {STARPU_RW}, .name = "potrf"};
struct starpu_codelet cl_trsm = {
    .cpu_funcs = {trsm_cpu}, .nbuffers = 2, .modes = {STARPU_RW, STARPU_R}, .name = "trsm"};
struct starpu_codelet cl_syrk = {
    .cpu_funcs = {syrk_cpu}, .nbuffers = 2, .modes = {STARPU_RW, STARPU_R}, .name = "syrk"};
struct starpu_codelet cl_gemm = {
    .cpu_funcs = {gemm_cpu}, .nbuffers = 3, .modes = {STARPU_RW, STARPU_R, STARPU_R}, .name = "gemm"};
struct starpu_codelet cl_trsv = {
    .cpu_funcs = {trsv_cpu}, .nbuffers = 2, .modes = {STARPU_R, STARPU_RW}, .name = "trsv"};
struct starpu_codelet cl_gemv = {
    .cpu_funcs = {gemv_cpu}, .nbuffers = 3, .modes = {STARPU_R, STARPU_R, STARPU_RW}, .name = "gemv"};
struct starpu_codelet cl_vector_add = {
    .cpu_funcs = {vector_add_cpu}, .nbuffers = 2, .modes = {STARPU_R, STARPU_RW}, .name = "vector_add"};
