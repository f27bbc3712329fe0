/*
 * t_codelets.c: the codelets of one precision (codelets.h), compiled once
 * for d and once for z.  Each run unpacks its own arguments, calls the
 * kernel of this precision and records the outcome; the codelets wrap each
 * run with its span in the task trace.
 */
#include "runtime/codelets.h"

#include "common/precision.h"
#include "kernels/tile_kernels.h"
#include "runtime/task_trace.h"
#include "runtime/tile_interface.h"

/* ---- generation: assemble, then compress ---------------------------------- */

struct tile_window {
    const tile_source_t *source;
    int row0, col0;
};

static void NAME(assemble_in_tile)(void *ctx, int row0, int nrows, int col0, int ncols, void *out, int ld)
{
    const struct tile_window *w = ctx;
    w->source->assemble(w->source, w->row0 + row0, nrows, w->col0 + col0, ncols, out, ld);
}

static void NAME(generate_run)(void *buffers[], void *cl_arg)
{
    struct generate_args args;
    starpu_codelet_unpack_args(cl_arg, &args);
    tile_t *t = tile_of_buffer(buffers[0]);
    if (!codelet_factor_task_starts())
        return;
    struct tile_window window = {args.source, args.row0, args.col0};
    tile_release(t);
    if (args.build == TILE_BUILD_DENSE || args.row == args.col) {
        if (tile_make_dense(t) == 0)
            NAME(assemble_in_tile)(&window, 0, t->m, 0, t->n, t->u, t->m);
        return;
    }
    int status;
    if (args.build == TILE_BUILD_ACA) {
        lr_route_t route;
        status = NAME(lr_compress_aca_route)(t, NAME(assemble_in_tile), &window, args.tol, args.conj, &route);
        if (status == 0)
            codelet_note_compression_route(route);
    } else {
        status = NAME(lr_compress_svd)(t, NAME(assemble_in_tile), &window, args.tol, args.conj);
    }
    codelet_note_kernel_status(KERNEL_COMPRESS, args.row, args.col, status);
}

/* ---- factorisation ------------------------------------------------------------ */

static void NAME(potrf_run)(void *buffers[], void *cl_arg)
{
    struct potrf_args args;
    starpu_codelet_unpack_args(cl_arg, &args);
    if (!codelet_factor_task_starts())
        return;
    int info = NAME(tile_potrf)(tile_of_buffer(buffers[0]), args.conj);
    if (info > 0)
        codelet_note_potrf_failure(args.tile, info);
}

static void NAME(trsm_run)(void *buffers[], void *cl_arg)
{
    struct trsm_args args;
    starpu_codelet_unpack_args(cl_arg, &args);
    if (!codelet_factor_task_starts())
        return;
    int status = NAME(tile_trsm)(tile_of_buffer(buffers[0]), tile_of_buffer(buffers[1]), args.conj);
    codelet_note_kernel_status(KERNEL_TRSM, args.row, args.col, status);
    tile_interface_note_final(buffers[0]); /* L_mk: no update of it is left */
}

static void NAME(syrk_run)(void *buffers[], void *cl_arg)
{
    struct syrk_args args;
    starpu_codelet_unpack_args(cl_arg, &args);
    if (!codelet_factor_task_starts())
        return;
    int status = NAME(tile_syrk)(tile_of_buffer(buffers[0]), tile_of_buffer(buffers[1]), args.conj);
    codelet_note_kernel_status(KERNEL_SYRK, args.row, args.col, status);
}

static void NAME(gemm_run)(void *buffers[], void *cl_arg)
{
    struct gemm_args args;
    starpu_codelet_unpack_args(cl_arg, &args);
    if (!codelet_factor_task_starts())
        return;
    int status = NAME(tile_gemm)(tile_of_buffer(buffers[0]), tile_of_buffer(buffers[1]), tile_of_buffer(buffers[2]),
                                 args.tol, args.conj);
    codelet_note_kernel_status(KERNEL_GEMM, args.row, args.col, status);
    tile_interface_note_written(buffers[0]);
}

/* ---- triangular solves on vector pieces ------------------------------------ */

static void NAME(trsv_run)(void *buffers[], void *cl_arg)
{
    struct trsv_args args;
    starpu_codelet_unpack_args(cl_arg, &args);
    if (!codelet_solve_task_starts())
        return;
    scalar_t *x = (scalar_t *)STARPU_VECTOR_GET_PTR(buffers[1]);
    NAME(tile_trsv)(tile_of_buffer(buffers[0]), x, args.conj, args.adjoint);
}

static void NAME(gemv_run)(void *buffers[], void *cl_arg)
{
    struct gemv_args args;
    starpu_codelet_unpack_args(cl_arg, &args);
    if (!codelet_solve_task_starts())
        return;
    const scalar_t *x = (const scalar_t *)STARPU_VECTOR_GET_PTR(buffers[1]);
    scalar_t *y = (scalar_t *)STARPU_VECTOR_GET_PTR(buffers[2]);
    NAME(tile_gemv)(tile_of_buffer(buffers[0]), x, y, args.conj, args.adjoint);
}

/* ---- the codelets: each run above, timed for the task trace --------------- */

/* writes_tile: buffers[0] is the tile the task writes (codelet_drop_if_terminated). */
#define TRACED(name, kind, writes_tile)                                                                      \
    static void NAME(name##_cpu)(void *buffers[], void *cl_arg)                                              \
    {                                                                                                        \
        double start = task_trace_now();                                                                     \
        NAME(name##_run)(buffers, cl_arg);                                                                   \
        if (writes_tile)                                                                                     \
            codelet_drop_if_terminated(buffers[0]);                                                          \
        task_trace_record(kind, start);                                                                      \
    }
TRACED(generate, TASK_GENERATE, 1)
TRACED(potrf, TASK_POTRF, 1)
TRACED(trsm, TASK_TRSM, 1)
TRACED(syrk, TASK_SYRK, 1)
TRACED(gemm, TASK_GEMM, 1)
TRACED(trsv, TASK_TRSV, 0)
TRACED(gemv, TASK_GEMV, 0)

static struct starpu_codelet NAME(cl_generate) = {
    .cpu_funcs = {NAME(generate_cpu)}, .nbuffers = 1, .modes = {STARPU_W}, .name = "generate"};
static struct starpu_codelet NAME(cl_potrf) = {
    .cpu_funcs = {NAME(potrf_cpu)}, .nbuffers = 1, .modes = {STARPU_RW}, .name = "potrf"};
static struct starpu_codelet NAME(cl_trsm) = {
    .cpu_funcs = {NAME(trsm_cpu)}, .nbuffers = 2, .modes = {STARPU_RW, STARPU_R}, .name = "trsm"};
static struct starpu_codelet NAME(cl_syrk) = {
    .cpu_funcs = {NAME(syrk_cpu)}, .nbuffers = 2, .modes = {STARPU_RW, STARPU_R}, .name = "syrk"};
static struct starpu_codelet NAME(cl_gemm) = {
    .cpu_funcs = {NAME(gemm_cpu)}, .nbuffers = 3, .modes = {STARPU_RW, STARPU_R, STARPU_R}, .name = "gemm"};
static struct starpu_codelet NAME(cl_trsv) = {
    .cpu_funcs = {NAME(trsv_cpu)}, .nbuffers = 2, .modes = {STARPU_R, STARPU_RW}, .name = "trsv"};
static struct starpu_codelet NAME(cl_gemv) = {
    .cpu_funcs = {NAME(gemv_cpu)}, .nbuffers = 3, .modes = {STARPU_R, STARPU_R, STARPU_RW}, .name = "gemv"};

const codelets_t NAME(codelets) = {
    .generate = &NAME(cl_generate), .potrf = &NAME(cl_potrf), .trsm = &NAME(cl_trsm), .syrk = &NAME(cl_syrk),
    .gemm = &NAME(cl_gemm), .trsv = &NAME(cl_trsv), .gemv = &NAME(cl_gemv), .vector_add = &cl_vector_add};
