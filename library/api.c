/*
 * api.c: the library calls of include/blrchol.h.  Every rank builds the
 * same clustering from the user's points, generates and compresses the
 * tiles it owns through the user's callback, then all ranks submit the
 * same sequential task flow (algorithms.h).  Failures are agreed on every
 * rank, so every rank returns the same code.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>
#include <starpu.h>
#include <starpu_mpi.h>
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
#include <cblas.h>
#endif

#include "algorithm/algorithms.h"
#include "algorithm/cholesky_tasks.h"
#include "library/factor.h"
#include "library/memory_plan.h"
#include "runtime/mpi_polling.h"
#include "runtime/placement.h"
#include "runtime/process_memory.h"
#include "library/progress.h"
#include "runtime/runtime_alloc.h"
#include "runtime/termination.h"
#include "runtime/starpu_settings.h"
#include "runtime/tile_interface.h"
#include "compression/scratch.h"
#include "kernels/tile_kernels.h"
#include "memctl/tile_mem.h"

static int initialised, started_mpi, live_factors;

void blrchol_options_init(blrchol_options_t *o)
{
    *o = (blrchol_options_t){.nb = 0, .eps = 1e-8, .compress = BLRCHOL_COMPRESS_ACA, .memctl = 1,
                             .growth_margin = 0.2, .reserve = BLRCHOL_RESERVE_RANK};
}

void blrchol_runtime_options_init(blrchol_runtime_options_t *runtime)
{
    *runtime = (blrchol_runtime_options_t){.task_window = -1};
}

/* The runtime options that apply: a field the caller left unset takes its
 * environment variable, else its default.  The one place blrchol reads
 * BLRCHOL_TASK_WINDOW, BLRCHOL_BINDING and BLRCHOL_MPI_POLLING. */
static blrchol_runtime_options_t runtime_in_force(const blrchol_runtime_options_t *given)
{
    blrchol_runtime_options_t in_force;
    blrchol_runtime_options_init(&in_force);
    if (given)
        in_force = *given;
    const char *window = getenv("BLRCHOL_TASK_WINDOW"), *binding = getenv("BLRCHOL_BINDING"),
               *polling = getenv("BLRCHOL_MPI_POLLING");
    if (in_force.task_window < 0)
        in_force.task_window = window ? atoi(window) : PROCESS_MEMORY_DEFAULT_TASK_WINDOW;
    if (!in_force.binding)
        in_force.binding = binding ? binding : "auto";
    if (!in_force.mpi_polling)
        in_force.mpi_polling = polling ? polling : "auto";
    return in_force;
}

int blrchol_init_with(int *argc, char ***argv, const blrchol_runtime_options_t *runtime)
{
    if (initialised)
        return BLRCHOL_OK;
    const blrchol_runtime_options_t asked = runtime_in_force(runtime);
    placement_binding_t binding;
    mpi_polling_mode_t polling;
    if (placement_parse(asked.binding, &binding) != 0 || mpi_polling_parse(asked.mpi_polling, &polling) != 0 ||
        !starpu_settings_valid())
        return BLRCHOL_BAD_INPUT;
    /* Before StarPU starts: it reads its task limit at initialisation.
     * The malloc setting takes only if no thread needed a second arena
     * yet (blrchol_configure_malloc). */
    process_memory_configure(asked.task_window);
    int mpi_up = 0, provided;
    MPI_Initialized(&mpi_up);
    if (!mpi_up) {
        MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
        started_mpi = 1;
    }
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1); /* StarPU runs one task per core already */
#endif
    /* LAPACKE scans every input matrix for NaNs: a few per cent of the
     * factorisation time, for matrices our own kernels just produced. */
    LAPACKE_set_nancheck(0);
    /* StarPU-MPI's own buffers counted with the tiles (runtime_alloc.h),
     * and the settings whose defaults differ between StarPU lines decided
     * the same way for all (starpu_settings.c). */
    runtime_alloc_install();
    starpu_settings_apply();
    /* Ranks sharing a node on cores of their own (placement.c), and a
     * progress thread that naps when they leave it none (mpi_polling.c). */
    placement_configure(MPI_COMM_WORLD, binding);
    struct starpu_conf conf;
    starpu_conf_init(&conf);
    if (starpu_mpi_init_conf(argc, argv, 0, MPI_COMM_WORLD, &conf) != 0)
        return BLRCHOL_FAILED;
    const int bound_cpus = placement_bound_cpus();
    mpi_polling_start(polling, bound_cpus > 0 && bound_cpus < (int)starpu_cpu_worker_get_count() + 1);
    initialised = 1;
    return BLRCHOL_OK;
}

int blrchol_init(int *argc, char ***argv) { return blrchol_init_with(argc, argv, NULL); }

void blrchol_configure_malloc(void) { process_memory_configure_malloc(); }

void blrchol_finalize(void)
{
    if (!initialised)
        return;
    starpu_mpi_shutdown();
    initialised = 0;
    if (started_mpi)
        MPI_Finalize();
    started_mpi = 0;
}

static double wall(MPI_Comm comm)
{
    MPI_Barrier(comm);
    return MPI_Wtime();
}

/* The figures every rank holds a part of: memory, and the progress
 * threads' naps so far. */
static void collect(blrchol_factor_t *f)
{
    factor_memory_collect(f);
    long naps = mpi_polling_naps_taken();
    MPI_Allreduce(MPI_IN_PLACE, &naps, 1, MPI_LONG, MPI_SUM, f->comm);
    f->report.mpi_naps = naps;
}

/* Agree across ranks on the worst outcome so far (the largest code). */
static int agree_failure(blrchol_factor_t *f, int local)
{
    int global = 0;
    MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, f->comm);
    return global;
}

/* Set the report's error and status for `code`; returns code. */
static int fail(blrchol_factor_t *f, int code)
{
    /* A refusal of the tile allocator is described here, unless every rank
     * has said why already (the memory check before the run). */
    if (code == BLRCHOL_OUT_OF_MEMORY && f->has_comm) {
        int said = f->report.error[0] != 0, all_said;
        MPI_Allreduce(&said, &all_said, 1, MPI_INT, MPI_MIN, f->comm);
        if (!all_said)
            factor_memory_describe_oom(f);
    }
    f->report.status = code == BLRCHOL_OK              ? "ok"
                       : code == BLRCHOL_OUT_OF_MEMORY ? "oom"
                       : code == BLRCHOL_TERMINATED    ? "terminated"
                                                       : "error";
    return code;
}

/* ---- termination (runtime/termination.h) ----------------------------------- */

void blrchol_request_termination(void) { termination_request(); }

int blrchol_catch_termination_signals(void) { return termination_catch_signals() == 0 ? BLRCHOL_OK : BLRCHOL_FAILED; }

int blrchol_termination_requested(MPI_Comm comm)
{
    return comm == MPI_COMM_NULL ? termination_requested() : termination_agree(comm);
}

/* Collective, once every rank agreed to stop: the phase and how far it got
 * (done of total units of work on this rank, summed over ranks; 0 of 0:
 * not counted) in the report.  BLRCHOL_TERMINATED. */
static int stopped_during(blrchol_factor_t *f, const char *phase, long done, long total)
{
    double counts[2] = {(double)done, (double)total};
    MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_DOUBLE, MPI_SUM, f->comm);
    report_t *rep = &f->report;
    rep->phase = phase;
    rep->progress = counts[1] > 0 ? counts[0] / counts[1] : NAN;
    snprintf(rep->error, sizeof rep->error, "terminated during %s (SIGTERM, SIGINT or blrchol_request_termination)",
             phase);
    return BLRCHOL_TERMINATED;
}

/* ---- statistics over the tiles this rank owns ----------------------------- */

struct tile_stats {
    double bytes, rank_sum, offdiag;
    int rank_max;
};

static void tile_statistics(desc_t *A, struct tile_stats *out, MPI_Comm comm)
{
    double local[3] = {0, 0, 0};
    int local_max = 0;
    for (int j = 0; j < A->nt; j++)
        for (int i = j; i < A->nt; i++) {
            if (!desc_is_mine(A, i, j))
                continue;
            const tile_t *t = tile_interface_get(desc_tile(A, i, j));
            local[0] += tile_payload_bytes(t);
            if (i == j)
                continue;
            int rank = tile_is_dense(t) ? (t->m < t->n ? t->m : t->n) : t->rank;
            local[1] += rank;
            local[2] += 1;
            if (rank > local_max)
                local_max = rank;
        }
    double total[3];
    MPI_Allreduce(local, total, 3, MPI_DOUBLE, MPI_SUM, comm);
    MPI_Allreduce(&local_max, &out->rank_max, 1, MPI_INT, MPI_MAX, comm);
    out->bytes = total[0];
    out->rank_sum = total[1];
    out->offdiag = total[2];
}

/* The report's size and rank figures of the factor as it stands. */
static void report_factor_size(blrchol_factor_t *f)
{
    struct tile_stats final;
    tile_statistics(&f->A, &final, f->comm);
    report_t *rep = &f->report;
    rep->factor_bytes = final.bytes;
    rep->compression_ratio = final.bytes / rep->dense_bytes;
    rep->rank_mean = final.offdiag > 0 ? final.rank_sum / final.offdiag : 0;
    rep->rank_max = final.rank_max;
}

/* ---- set-up shared by factorize and load ------------------------------------ */

/* What is wrong with the arguments, or NULL. */
static const char *invalid_arguments(blrchol_factor_t *f, const blrchol_problem_t *pb, char *why, size_t size)
{
    const blrchol_options_t *o = &f->options;
    if (!initialised)
        return "blrchol_init was not called";
    if (live_factors > 1)
        return "one factor at a time per process: blrchol_free the previous one first";
    if (pb->n < 1 || !pb->assemble)
        return "the problem needs n >= 1 and an assemble callback";
    if (o->nb < 1 || (!o->dense && !(o->eps > 0 && o->eps < 1)) || !(o->growth_margin >= 0))
        return "options out of range: nb >= 1, eps in (0, 1), growth_margin >= 0";
    if (o->mem_high && o->mem_low && o->mem_low > o->mem_high)
        return "mem_low is above mem_high: the low watermark must not exceed the high one";
    /* The step synchronisation marks the copies it receives in that cache. */
    if (o->memctl && !o->no_step_sync && f->nranks > 1 && !starpu_mpi_cache_is_enabled())
        return "STARPU_MPI_CACHE=0 turns StarPU-MPI's receive cache off, which memctl's step synchronisation "
               "needs (unset it, or add --no-step-sync or --no-memctl)";
    const int nt = (pb->n + o->nb - 1) / o->nb;
    if (f->nranks % f->p)
        snprintf(why, size, "-P %d does not divide the %d ranks (pick a divisor)", f->p, f->nranks);
    else if (f->nranks > (long)nt * (nt + 1) / 2)
        snprintf(why, size, "%d ranks for only %d tiles (n=%d, nb=%d): use fewer ranks or a smaller --nb", f->nranks,
                 nt * (nt + 1) / 2, pb->n, o->nb);
    else if (o->nb > 16384)
        snprintf(why, size, "--nb %d is above 16384 (MPI messages must stay below 2 GiB)", o->nb);
    else
        return NULL;
    return why;
}

/* The report's description of the run, before anything can fail. */
static void report_describe_run(report_t *rep, const blrchol_problem_t *pb, const blrchol_options_t *o)
{
    rep->status = "error";
    rep->n = pb->n;
    rep->nb = o->nb;
    snprintf(rep->kernel, sizeof rep->kernel, "%s", pb->kernel_name ? pb->kernel_name : "user");
    snprintf(rep->geometry, sizeof rep->geometry, "%s", pb->geometry_name ? pb->geometry_name : "points");
    rep->precision = pb->scalar == BLRCHOL_REAL_SYMMETRIC ? "d" : "z";
    rep->compress = o->compress == BLRCHOL_COMPRESS_SVD ? "svd" : "aca";
    rep->dense = o->dense;
    rep->eps = o->dense ? NAN : o->eps;
    rep->backward_error = NAN;
    rep->progress = NAN;
    rep->memctl = o->memctl;
    rep->node_mem = o->node_mem == BLRCHOL_NODE_MEM_NONE ? 0 : (double)o->node_mem;
}

/* The StarPU line and the settings of it that blrchol decides, as in force
 * on this rank (starpu_settings.h). */
static void report_starpu_settings(report_t *rep)
{
    const starpu_settings_t in_force = starpu_settings_in_force();
    snprintf(rep->starpu_version, sizeof rep->starpu_version, "%s", in_force.version);
    rep->starpu_workers_getbind = in_force.workers_getbind;
    rep->starpu_mpi_ndetached_send = in_force.ndetached_send;
    rep->starpu_mpi_mem_throttle = in_force.mem_throttle;
    rep->starpu_mpi_thread_multiple_send = in_force.thread_multiple_send;
}

/* The ranks, the process grid and the workers, in the factor and its report. */
static void lay_out_ranks(blrchol_factor_t *f)
{
    report_t *rep = &f->report;
    MPI_Comm_dup(MPI_COMM_WORLD, &f->comm);
    f->has_comm = 1;
    MPI_Comm_rank(f->comm, &f->rank);
    MPI_Comm_size(f->comm, &f->nranks);
    f->verbose = f->options.verbose && f->rank == 0;
    f->p = f->options.grid_rows ? f->options.grid_rows : plan_default_grid_rows(f->nranks);
    f->q = f->nranks / f->p;
    f->workers = (int)starpu_cpu_worker_get_count();
    rep->p = f->p, rep->q = f->q, rep->ranks = f->nranks, rep->workers_per_rank = f->workers;
    rep->binding = placement_name();
    rep->mpi_polling = mpi_polling_napping() ? "nap" : "spin";
    report_starpu_settings(rep);
}

/* Collective: warn (rank 0, verbose) when workers of the node's ranks share
 * CPUs or outnumber them (docs/design/placement-and-polling.md). */
static void warn_about_placement(blrchol_factor_t *f)
{
    report_t *rep = &f->report;
    placement_check(f->comm, &rep->worker_cpus_shared, &rep->ranks_short_of_cpus);
    if (f->verbose && rep->worker_cpus_shared > 0 && strcmp(rep->binding, "none") != 0)
        fprintf(stderr,
                "blrchol: warning: CPU workers of several ranks of one node are bound to the same %d CPUs "
                "(binding %s): each runs at a fraction of a core; leave the binding to blrchol (docs/design/placement-and-polling.md)\n",
                rep->worker_cpus_shared, rep->binding);
    if (f->verbose && rep->ranks_short_of_cpus > 0)
        fprintf(stderr,
                "blrchol: warning: on %d ranks the %d CPU workers outnumber the CPUs the rank may use (binding %s): "
                "give each rank STARPU_NCPU + 1 cores (mpirun --map-by ppr:R:node:pe=W+1, srun --cpus-per-task=W+1 "
                "--cpu-bind=cores) or lower STARPU_NCPU (docs/design/placement-and-polling.md)\n",
                rep->ranks_short_of_cpus, f->workers, rep->binding);
}

/* The precision's codelets, chosen here once, and the settings every task
 * takes (the truncation threshold comes with the norm estimate). */
static numerics_t numerics_of(const problem_t *problem, const blrchol_options_t *o)
{
    return (numerics_t){.codelets = codelets_of_precision(problem->is_complex), .conj = problem->conj,
                        .build = o->dense                                ? TILE_BUILD_DENSE
                                 : o->compress == BLRCHOL_COMPRESS_SVD ? TILE_BUILD_SVD
                                                                       : TILE_BUILD_ACA,
                        .source = &problem->source};
}

/* Allocate the factor, check the arguments, cluster, lay out the tiles and
 * start memctl.  BLRCHOL_OK, or a code with report.error set. */
static int begin(const blrchol_problem_t *pb, const blrchol_options_t *options, blrchol_factor_t **out)
{
    blrchol_factor_t *f = calloc(1, sizeof *f);
    *out = f;
    if (!f)
        return BLRCHOL_FAILED;
    live_factors++;
    f->options = *options;
    if (options->nb == 0)
        f->options.nb = blrchol_default_nb(pb->n, options->dense);
    report_t *rep = &f->report;
    report_describe_run(rep, pb, &f->options);
    rep->nb_auto = options->nb == 0;
    if (!initialised) {
        snprintf(rep->error, sizeof rep->error, "blrchol_init was not called");
        return BLRCHOL_BAD_INPUT;
    }
    lay_out_ranks(f);
    warn_about_placement(f);
    char why[256];
    const char *invalid = invalid_arguments(f, pb, why, sizeof why);
    if (invalid) {
        snprintf(rep->error, sizeof rep->error, "%s", invalid);
        return BLRCHOL_BAD_INPUT;
    }
    int code = blrchol_check_memory(pb->n, f->options.nb, pb->scalar, f->options.node_mem, f->comm, rep->error,
                                    sizeof rep->error);
    if (code != BLRCHOL_OK)
        return code;
    if (problem_init(&f->problem, pb, f->options.nb) != 0) {
        snprintf(rep->error, sizeof rep->error, "cannot build the problem (out of memory?)");
        return BLRCHOL_FAILED;
    }
    f->has_problem = 1;
    if (termination_agree(f->comm))
        return stopped_during(f, "generate", 0, 0);
    desc_init(&f->A, pb->n, f->options.nb, f->p, f->q, f->problem.elem_size, MPI_COMM_WORLD);
    f->has_desc = 1;
    rep->nt = f->A.nt;
    rep->dense_bytes = (double)pb->n * (pb->n + 1) / 2 * f->problem.elem_size;
    codelets_reset();
    if (factor_memory_setup(f) != 0)
        return BLRCHOL_FAILED;
    f->numerics = numerics_of(&f->problem, &f->options);
    factor_identity_of(&f->problem, &f->A, &f->identity);
    return BLRCHOL_OK;
}

/* ---- factorize -------------------------------------------------------------- */

/* Why a factorisation failed, agreed on every rank as the largest kind seen:
 * a refused reservation explains whatever else went wrong. */
typedef enum {
    FACTOR_OK,
    FACTOR_NOT_POSITIVE_DEFINITE,
    FACTOR_KERNEL_FAILED, /* its garbage may fail a later POTRF */
    FACTOR_OUT_OF_MEMORY,
    FACTOR_BUDGET_REFUSED,
    FACTOR_TERMINATED     /* its skipped tasks explain whatever else went wrong */
} factor_failure_t;

/* Collective, once some rank's kernel failed: report.error names the
 * first such rank's kernel, tile and reason.  BLRCHOL_FAILED. */
static int describe_kernel_failure(blrchol_factor_t *f)
{
    kernel_failure_t mine = {0};
    int who = codelets_kernel_failure(&mine) ? f->rank : f->nranks, first;
    MPI_Allreduce(&who, &first, 1, MPI_INT, MPI_MIN, f->comm);
    int failure[4] = {(int)mine.kernel, mine.row, mine.col, mine.status};
    MPI_Bcast(failure, 4, MPI_INT, first, f->comm);
    snprintf(f->report.error, sizeof f->report.error, "the %s kernel failed on tile (%d, %d) on rank %d: %s",
             kernel_kind_name((kernel_kind_t)failure[0]), failure[1], failure[2], first,
             failure[3] == -1 ? "no memory for its workspace (give the process more memory)"
                              : "LAPACK did not converge (report it with the command line)");
    return BLRCHOL_FAILED;
}

/* ||A||_F and the tolerance it sets: eps is relative to ||A||_F, and each
 * of the nt^2 tiles may carry eps ||A||_F / nt
 * (docs/design/reference-matrices.md). */
static void estimate_norm(blrchol_factor_t *f)
{
    report_t *rep = &f->report;
    desc_t *A = &f->A;
    rep->norm_a_estimate = problem_norm_estimate(&f->problem, A, 8, f->comm);
    f->numerics.tol = f->options.dense ? 0 : f->options.eps * rep->norm_a_estimate / A->nt;
    if (f->verbose)
        fprintf(stderr, "blrchol: %s %s n=%d: %d x %d tiles of %d on %d x %d ranks, ||A||_F ~ %.4g\n", rep->kernel,
                rep->geometry, A->n, A->nt, A->nt, A->nb, f->p, f->q, rep->norm_a_estimate);
}

/* Which way ACA's tiles went (lowrank.h), summed over ranks. */
static void count_compression_routes(blrchol_factor_t *f)
{
    long routes[LR_ROUTES];
    codelets_compression_routes(routes);
    MPI_Allreduce(MPI_IN_PLACE, routes, LR_ROUTES, MPI_LONG, MPI_SUM, f->comm);
    report_t *rep = &f->report;
    rep->compress_aca_tiles = routes[LR_ROUTE_ACA];
    rep->compress_fallbacks = routes[LR_ROUTE_REJECTED];
    rep->compress_fallback_tiles = routes[LR_ROUTE_REJECTED] + routes[LR_ROUTE_STALLED];
}

/* The built tiles: their statistics in the report, and memctl's view of
 * them. */
static int register_tiles(blrchol_factor_t *f)
{
    report_t *rep = &f->report;
    struct tile_stats initial;
    tile_statistics(&f->A, &initial, f->comm);
    rep->rank_max_initial = initial.rank_max;
    if (agree_failure(f, factor_memory_tiles_built(f) != 0)) {
        snprintf(rep->error, sizeof rep->error, "no memory for the table of tile sizes");
        return BLRCHOL_FAILED;
    }
    if (f->verbose)
        fprintf(stderr, "blrchol: tiles built in %.2f s: %.1f MiB (%.2f%% of dense), max rank %d\n",
                rep->time_compress, initial.bytes / 1048576.0, 100 * initial.bytes / rep->dense_bytes,
                initial.rank_max);
    return BLRCHOL_OK;
}

/* A reception larger than the high watermark could never be charged.
 * Decided on every rank together, before any rank starts: a rank that
 * stopped submitting alone would leave the others waiting. */
static int check_budget(blrchol_factor_t *f)
{
    report_t *rep = &f->report;
    size_t largest_tile = (size_t)f->A.nb * f->A.nb * f->A.elem_size;
    int too_small = f->options.memctl && f->nranks > 1 && largest_tile + f->send_window > (size_t)rep->mem_high;
    if (!agree_failure(f, too_small))
        return BLRCHOL_OK;
    snprintf(rep->error, sizeof rep->error,
             "the memory budget is too small for one task: a remote tile of up to %.1f MiB and StarPU-MPI's "
             "send window of %.1f MiB do not fit under --mem-high %.1f MiB (raise --mem-high/--node-mem, lower "
             "--nb, or set STARPU_MPI_NDETACHED_SEND lower)",
             largest_tile / 1048576.0, f->send_window / 1048576.0, rep->mem_high / 1048576.0);
    return BLRCHOL_BAD_INPUT;
}

/* Submit the factorisation and wait for it; what went wrong on this rank. */
static factor_failure_t factor(blrchol_factor_t *f, int *failed_tile)
{
    desc_t *A = &f->A;
    kernel_flops_reset();
    kernel_time_reset();
    progress_start("factor", chol_tasks_run_here(A), 5.0, !f->verbose);
    int submitted = blr_potrf(A, &f->numerics, f->step_sync, f->comm);
    starpu_task_wait_for_all();
    starpu_mpi_wait_for_all(A->comm);
    progress_stop();
    int column;
    *failed_tile = -1;
    if (submitted > 0 || termination_requested())
        return FACTOR_TERMINATED;
    if (submitted < 0)
        return FACTOR_BUDGET_REFUSED;
    if (tile_mem_refused(NULL, NULL))
        return FACTOR_OUT_OF_MEMORY;
    kernel_failure_t kernel;
    if (codelets_kernel_failure(&kernel))
        return FACTOR_KERNEL_FAILED;
    if (codelets_potrf_failure(failed_tile, &column))
        return FACTOR_NOT_POSITIVE_DEFINITE;
    return FACTOR_OK;
}

/* What to try when POTRF fails on a compressed matrix: ACA's tiles were
 * checked, but the exact SVD leaves no doubt, so it comes before a smaller
 * eps (which helps only if the compressed matrix lost definiteness at eps). */
static void compression_advice(const blrchol_factor_t *f, char *advice, size_t size)
{
    const report_t *rep = &f->report;
    if (f->options.dense)
        snprintf(advice, size, "%s", "");
    else if (f->options.compress == BLRCHOL_COMPRESS_SVD)
        snprintf(advice, size, "; if the exact matrix is positive definite, a smaller --eps may help");
    else
        snprintf(advice, size,
                 "; %ld of %ld ACA tiles exceeded their tolerance and were recompressed by SVD; if the exact "
                 "matrix is positive definite, try --compress svd, then a smaller --eps",
                 rep->compress_fallbacks, rep->compress_aca_tiles + rep->compress_fallback_tiles);
}

/* The outcome agreed on every rank, as a return code with report.error set. */
static int agree_on_outcome(blrchol_factor_t *f, factor_failure_t local, int failed_tile)
{
    report_t *rep = &f->report;
    const desc_t *A = &f->A;
    switch ((factor_failure_t)agree_failure(f, local)) {
    case FACTOR_TERMINATED:
        termination_request();
        return stopped_during(f, "factor", codelets_completed() - desc_count_mine(A), chol_tasks_run_here(A));
    case FACTOR_BUDGET_REFUSED:
        snprintf(rep->error, sizeof rep->error, "memctl refused a reservation (budget too small for one task)");
        return BLRCHOL_BAD_INPUT;
    case FACTOR_OUT_OF_MEMORY:
        return BLRCHOL_OUT_OF_MEMORY;
    case FACTOR_KERNEL_FAILED:
        return describe_kernel_failure(f);
    case FACTOR_NOT_POSITIVE_DEFINITE: {
        /* The first failing tile in elimination order: later ones only
         * inherit its garbage. */
        int mine = failed_tile >= 0 ? failed_tile : A->nt, first;
        MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, f->comm);
        char advice[256];
        compression_advice(f, advice, sizeof advice);
        snprintf(rep->error, sizeof rep->error,
                 "the matrix is not positive definite: POTRF failed on diagonal tile %d (rows %d..%d after "
                 "clustering)%s",
                 first, first * A->nb, first * A->nb + desc_tile_rows(A, first) - 1, advice);
        return BLRCHOL_BAD_INPUT;
    }
    case FACTOR_OK:
        break;
    }
    return BLRCHOL_OK;
}

/* Blocks ended by the idle escape mean the capacity leaves memctl no room
 * to wait for releases: say so, with the way out. */
static void warn_about_idle_escapes(const blrchol_factor_t *f)
{
    const report_t *rep = &f->report;
    if (f->verbose && rep->memctl_overflows > 0)
        fprintf(stderr,
                "blrchol: warning: memctl went past its high watermark %ld times (of %ld blocks) because nothing "
                "left to run could free memory: the capacity is near the least this run needs (raise --node-mem, "
                "use more ranks, or see --plan)\n",
                rep->memctl_overflows, rep->memctl_blocks);
}

/* Where the kernels' time went, summed over ranks, and the most workspace
 * they held on a rank. */
static void report_kernel_times(blrchol_factor_t *f)
{
    _Static_assert(BLRCHOL_KERNEL_KINDS == KERNEL_TIME_KINDS, "one report slot per kernel kind");
    report_t *rep = &f->report;
    kernel_time_totals(rep->kernel_seconds, rep->kernel_calls);
    MPI_Allreduce(MPI_IN_PLACE, rep->kernel_seconds, KERNEL_TIME_KINDS, MPI_DOUBLE, MPI_SUM, f->comm);
    MPI_Allreduce(MPI_IN_PLACE, rep->kernel_calls, KERNEL_TIME_KINDS, MPI_LONG, MPI_SUM, f->comm);
    rep->peak_scratch_bytes = (double)scratch_peak_bytes();
    MPI_Allreduce(MPI_IN_PLACE, &rep->peak_scratch_bytes, 1, MPI_DOUBLE, MPI_MAX, f->comm);
}

/* The factorisation's rates in the report: dense-equivalent and actual. */
static void report_rates(blrchol_factor_t *f)
{
    report_t *rep = &f->report;
    const desc_t *A = &f->A;
    double flops = kernel_flops_total();
    MPI_Allreduce(MPI_IN_PLACE, &flops, 1, MPI_DOUBLE, MPI_SUM, f->comm);
    double dense_flops = (double)A->n * A->n * A->n / 3.0 * (f->problem.is_complex ? 4 : 1);
    rep->gflops_factor = dense_flops / rep->time_factor * 1e-9;
    rep->gflops_actual = flops / rep->time_factor * 1e-9;
    if (f->verbose)
        fprintf(stderr, "blrchol: factorised in %.2f s (%.1f Gflop/s dense-equivalent)\n", rep->time_factor,
                rep->gflops_factor);
}

/* Generate (and compress) the tiles, then factorise: the phases timed,
 * every failure agreed on all ranks. */
static int factorise(blrchol_factor_t *f, double t0)
{
    report_t *rep = &f->report;
    estimate_norm(f);
    double t1 = wall(f->comm);
    rep->time_generate = t1 - t0;
    blr_generate(&f->A, &f->numerics);
    starpu_task_wait_for_all();
    double t2 = wall(f->comm);
    rep->time_compress = t2 - t1;
    if (termination_agree(f->comm)) /* one generation task per tile owned */
        return stopped_during(f, "compress", codelets_completed(), desc_count_mine(&f->A));
    if (agree_failure(f, tile_mem_refused(NULL, NULL)))
        return BLRCHOL_OUT_OF_MEMORY;
    kernel_failure_t compression;
    if (agree_failure(f, codelets_kernel_failure(&compression)))
        return describe_kernel_failure(f);
    count_compression_routes(f);
    int code = register_tiles(f);
    if (code == BLRCHOL_OK)
        code = check_budget(f);
    if (code != BLRCHOL_OK)
        return code;
    if (f->options.plan_only)
        return factor_memory_plan(f) == 0 ? BLRCHOL_OK : BLRCHOL_FAILED;
    int failed_tile;
    factor_failure_t local = factor(f, &failed_tile);
    rep->time_factor = wall(f->comm) - t2;
    if ((code = agree_on_outcome(f, local, failed_tile)) != BLRCHOL_OK)
        return code;
    report_rates(f);
    report_kernel_times(f);
    return BLRCHOL_OK;
}

int blrchol_factorize(const blrchol_problem_t *problem, const blrchol_options_t *options, blrchol_factor_t **factor)
{
    double t0 = MPI_Wtime();
    int code = begin(problem, options, factor);
    blrchol_factor_t *f = *factor;
    if (code != BLRCHOL_OK)
        return f ? fail(f, code) : code;
    code = factorise(f, t0);
    if (code == BLRCHOL_OK)
        report_factor_size(f);
    collect(f);
    warn_about_idle_escapes(f);
    return fail(f, code);
}

/* ---- save and load ------------------------------------------------------------- */

int blrchol_load(const blrchol_problem_t *problem, const blrchol_options_t *options, const char *dir,
                 blrchol_factor_t **factor)
{
    double t0 = MPI_Wtime();
    int code = begin(problem, options, factor);
    blrchol_factor_t *f = *factor;
    if (code != BLRCHOL_OK)
        return f ? fail(f, code) : code;
    report_t *rep = &f->report;
    double t1 = wall(f->comm);
    rep->time_generate = t1 - t0;
    if (factor_load(&f->A, &f->identity, dir, f->comm, rep->error, sizeof rep->error) != 0)
        return fail(f, tile_mem_refused(NULL, NULL) ? BLRCHOL_OUT_OF_MEMORY : BLRCHOL_BAD_INPUT);
    if (agree_failure(f, factor_memory_tiles_built(f) != 0))
        return fail(f, BLRCHOL_FAILED);
    rep->time_load = wall(f->comm) - t1;
    if (f->verbose)
        fprintf(stderr, "blrchol: factor loaded from %s in %.2f s\n", dir, rep->time_load);
    report_factor_size(f);
    collect(f);
    return fail(f, BLRCHOL_OK);
}

int blrchol_save(blrchol_factor_t *f, const char *dir)
{
    if (!f->has_desc || strcmp(f->report.status, "ok") != 0 || f->report.planned) {
        snprintf(f->report.error, sizeof f->report.error, "no factor to save");
        return BLRCHOL_BAD_INPUT;
    }
    if (termination_agree(f->comm))
        return fail(f, stopped_during(f, "save", 0, 0));
    double t = wall(f->comm);
    int saved = factor_save(&f->A, &f->identity, dir, f->comm, f->report.error, sizeof f->report.error);
    if (saved == FACTOR_SAVE_INTERRUPTED)
        return fail(f, stopped_during(f, "save", 0, 0));
    if (saved != 0)
        return fail(f, BLRCHOL_FAILED);
    const double elapsed = wall(f->comm) - t; /* collective: never inside `if (f->verbose)` */
    if (f->verbose)
        fprintf(stderr, "blrchol: factor saved to %s in %.2f s\n", dir, elapsed);
    return BLRCHOL_OK;
}

/* ---- solve ------------------------------------------------------------------------ */

/* The vector pieces <- column b (original numbering). */
static void scatter_rhs(blrchol_factor_t *f, const char *b)
{
    desc_t *A = &f->A;
    const size_t esz = f->problem.elem_size;
    for (int i = 0; i < A->nt; i++) {
        if (!desc_is_mine(A, i, i))
            continue;
        starpu_data_handle_t h = desc_vector(A, i);
        starpu_data_acquire(h, STARPU_W);
        for (int k = 0; k < desc_tile_rows(A, i); k++)
            memcpy((char *)A->x_home[i] + k * esz, b + (size_t)f->problem.perm[i * A->nb + k] * esz, esz);
        starpu_data_release(h);
    }
}

/* Column x (original numbering, every rank) <- the solved vector pieces. */
static int gather_solution(blrchol_factor_t *f, char *x)
{
    desc_t *A = &f->A;
    const size_t esz = f->problem.elem_size;
    char *permuted = calloc(A->n, esz);
    if (!permuted)
        return -1;
    for (int i = 0; i < A->nt; i++) {
        if (!desc_is_mine(A, i, i))
            continue;
        starpu_data_handle_t h = desc_vector(A, i);
        starpu_data_acquire(h, STARPU_R);
        memcpy(permuted + (size_t)i * A->nb * esz, A->x_home[i], desc_tile_rows(A, i) * esz);
        starpu_data_release(h);
    }
    /* Each piece is non-zero on exactly one rank: a sum gathers them. */
    MPI_Allreduce(MPI_IN_PLACE, permuted, A->n * (f->problem.is_complex ? 2 : 1), MPI_DOUBLE, MPI_SUM, f->comm);
    for (int k = 0; k < A->n; k++)
        memcpy(x + (size_t)f->problem.perm[k] * esz, permuted + (size_t)k * esz, esz);
    free(permuted);
    return 0;
}

int blrchol_solve(blrchol_factor_t *f, int nrhs, const void *b, void *x)
{
    if (!f->has_desc || strcmp(f->report.status, "ok") != 0 || f->report.planned || nrhs < 1) {
        snprintf(f->report.error, sizeof f->report.error,
                 nrhs < 1 ? "nrhs must be at least 1" : "no factor to solve with");
        return BLRCHOL_BAD_INPUT;
    }
    desc_t *A = &f->A;
    const size_t column = (size_t)A->n * f->problem.elem_size;
    double start = wall(f->comm);
    /* One right-hand side at a time through the same factor. */
    for (int k = 0; k < nrhs; k++) {
        scatter_rhs(f, (const char *)b + k * column);
        blr_solve(A, &f->numerics);
        starpu_task_wait_for_all();
        starpu_mpi_wait_for_all(A->comm);
        desc_drop_partials(A);
        if (termination_agree(f->comm))
            return fail(f, stopped_during(f, "solve", k, nrhs));
        if (gather_solution(f, (char *)x + k * column) != 0) {
            snprintf(f->report.error, sizeof f->report.error, "no memory to gather the solution");
            return fail(f, BLRCHOL_FAILED);
        }
    }
    f->report.time_solve = wall(f->comm) - start;
    f->report.nrhs = nrhs;
    collect(f);
    return BLRCHOL_OK;
}

/* ---- the rest ---------------------------------------------------------------------- */

const char *blrchol_error(const blrchol_factor_t *f) { return f ? f->report.error : "out of memory"; }

void blrchol_get_report(const blrchol_factor_t *f, blrchol_report_t *report)
{
    if (f) {
        *report = f->report;
        return;
    }
    /* blrchol_factorize could not even allocate the factor. */
    memset(report, 0, sizeof *report);
    report->status = "error";
    report->backward_error = NAN;
    snprintf(report->error, sizeof report->error, "out of memory");
}

void blrchol_free(blrchol_factor_t *f)
{
    if (!f)
        return;
    if (f->has_desc) {
        desc_destroy(&f->A);
        starpu_task_wait_for_all();
    }
    factor_memory_teardown(f);
    if (f->has_problem)
        problem_free(&f->problem);
    if (f->has_comm)
        MPI_Comm_free(&f->comm);
    live_factors--;
    free(f);
}
