/*
 * main.c: the blrchol command.  One MPI rank per process; every rank builds
 * the same geometry and clustering, generates and compresses the tiles it
 * owns, then all ranks submit the same sequential task flow.
 * Exit codes: 0 ok, 2 bad input (options, not positive definite),
 * 3 out of memory (--node-mem), 1 anything else.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <lapacke.h>
#include <mpi.h>
#include <starpu.h>
#include <starpu_mpi.h>
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
#include <cblas.h>
#endif

#include "algorithms.h"
#include "blas_guard.h"
#include "check.h"
#include "desc.h"
#include "factor_file.h"
#include "options.h"
#include "problem.h"
#include "progress.h"
#include "report.h"
#include "rhs.h"
#include "../kernels/task_trace.h"
#include "../kernels/tile_interface.h"
#include "../kernels/tile_kernels.h"
#include "../memctl/memctl.h"
#include "../memctl/tile_mem.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_OOM = 3 };

struct run {
    options_t opt;
    int rank, nranks, p, q, workers;
    MPI_Comm comm;        /* our own collectives, apart from StarPU-MPI's traffic */
    problem_t problem;
    desc_t A;
    struct kernel_args args;
    report_t report;
    void *b, *x;          /* full vectors, original numbering */
    bem_mesh_t mesh;      /* --mesh: the triangles (ntriangles 0 otherwise) */
    FILE *trace;      /* memctl rows, --trace */
    FILE *task_trace; /* task spans, --trace */
};

static double wall(MPI_Comm comm)
{
    MPI_Barrier(comm);
    return MPI_Wtime();
}

/* Most square grid: the largest divisor of nranks not above sqrt(nranks). */
static int default_grid_rows(int nranks)
{
    int p = (int)sqrt((double)nranks);
    while (p > 1 && nranks % p)
        p--;
    return p < 1 ? 1 : p;
}

/* A fixed pseudo-random right-hand side in [-1, 1] (splitmix64), the same
 * on every rank and for every grid. */
static void make_rhs(void *b, int n, int is_complex, unsigned long seed)
{
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    double *reals = b;
    for (long k = 0; k < (long)n * (is_complex ? 2 : 1); k++) {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        reals[k] = 2.0 * ((z >> 11) * 0x1.0p-53) - 1.0;
    }
}

/* ---- memctl glue: the hooks StarPU's threads call ------------------------ */

static int memctl_reserve_hook(long index, size_t dense_bytes)
{
    return memctl_reserve_remote((int)index, dense_bytes);
}
static void memctl_received_hook(int index, size_t bytes) { memctl_received(index, bytes); }
static void memctl_released_hook(int index) { memctl_released(index); }
static void memctl_resized_hook(int index, size_t bytes) { memctl_local_set(index, bytes); }
/* Nothing submitted is left to run: waiting for memory would never end. */
static int runtime_idle(void) { return starpu_task_nsubmitted() == 0; }

/* The trace files of --trace FILE: memctl rows in FILE and task spans in
 * FILE with ".tasks" before a ".csv" ending (run.csv -> run.tasks.csv);
 * with several ranks, ".<rank>" is appended to each. */
static void trace_file_name(char *out, size_t size, const char *base, const char *kind, int rank, int nranks)
{
    size_t len = strlen(base);
    int csv = len >= 4 && strcmp(base + len - 4, ".csv") == 0;
    int stem = (int)(csv ? len - 4 : len);
    int written = snprintf(out, size, "%.*s%s%s", stem, base, kind, csv ? ".csv" : "");
    if (nranks > 1 && written >= 0 && (size_t)written < size)
        snprintf(out + written, size - written, ".%d", rank);
}

static int setup_memctl(struct run *r)
{
    options_t *opt = &r->opt;
    size_t capacity = opt->node_mem;
    if (!capacity) {
        /* The machine's memory shared by the ranks on this node. */
        MPI_Comm node;
        int ranks_here = 1;
        MPI_Comm_split_type(r->comm, MPI_COMM_TYPE_SHARED, r->rank, MPI_INFO_NULL, &node);
        MPI_Comm_size(node, &ranks_here);
        MPI_Comm_free(&node);
        capacity = (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE) / ranks_here;
    }
    tile_mem_set_capacity(opt->node_mem);
    size_t high = opt->mem_high ? opt->mem_high : capacity / 4 * 3;
    size_t low = opt->mem_low ? opt->mem_low : (size_t)(capacity * 0.66);
    if (low > high)
        low = high;
    r->report.mem_high = (double)high;
    r->report.mem_low = (double)low;
    if (opt->trace_path) {
        char path[4096], tasks_path[4096];
        trace_file_name(path, sizeof path, opt->trace_path, "", r->rank, r->nranks);
        trace_file_name(tasks_path, sizeof tasks_path, opt->trace_path, ".tasks", r->rank, r->nranks);
        r->trace = fopen(path, "w");
        r->task_trace = r->trace ? fopen(tasks_path, "w") : NULL;
        if (!r->task_trace) {
            snprintf(r->report.error, sizeof r->report.error, "cannot write the trace file %.400s",
                     r->trace ? tasks_path : path);
            return -1;
        }
        task_trace_start();
    }
    memctl_config_t cfg = {.enabled = opt->memctl, .high = high, .low = low, .growth_margin = opt->growth_margin,
                           .ntiles = (int)r->A.ntiles, .rank = r->rank, .runtime_idle = runtime_idle,
                           .trace = r->trace};
    if (memctl_init(&cfg) != 0) {
        snprintf(r->report.error, sizeof r->report.error, "cannot initialise memctl");
        return -1;
    }
    tile_interface_set_hooks(memctl_received_hook, memctl_released_hook, memctl_resized_hook);
    blr_set_reserve_hook(memctl_reserve_hook);
    return 0;
}

/* ---- statistics over the tiles this rank owns --------------------------- */

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

/* Tasks this rank runs in the factorisation (progress denominator), in
 * the order blr_potrf submits them. */
static long count_factor_tasks(const desc_t *A)
{
    long count = 0;
    for (int j = 0; j < A->nt; j++) {
        count += desc_is_mine(A, j, j);                 /* POTRF */
        for (int i = j + 1; i < A->nt; i++) {
            count += desc_is_mine(A, i, j);             /* TRSM */
            count += desc_is_mine(A, i, i);             /* SYRK */
            for (int k = j + 1; k < i; k++)
                count += desc_is_mine(A, i, k);         /* GEMM */
        }
    }
    return count;
}

/* ---- the run ---------------------------------------------------------------- */

/* Agree across ranks on the worst outcome so far: 0 ok, 1 not positive
 * definite, 2 out of memory. */
static int agree_failure(struct run *r, int local)
{
    int global = 0;
    MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, r->comm);
    return global;
}

/* Column `column` of x <- the solved vector pieces (original numbering). */
static int gather_solution(struct run *r, int column)
{
    desc_t *A = &r->A;
    const int is_complex = r->problem.is_complex;
    const size_t esz = r->problem.elem_size;
    char *permuted = calloc(A->n, esz);
    for (int i = 0; i < A->nt; i++) {
        if (!desc_is_mine(A, i, i))
            continue;
        starpu_data_handle_t h = desc_vector(A, i);
        starpu_data_acquire(h, STARPU_R);
        memcpy(permuted + (size_t)i * A->nb * esz, A->x_home[i], desc_tile_rows(A, i) * esz);
        starpu_data_release(h);
    }
    /* Each piece is non-zero on exactly one rank: a sum gathers them. */
    MPI_Allreduce(MPI_IN_PLACE, permuted, A->n * (is_complex ? 2 : 1), MPI_DOUBLE, MPI_SUM, r->comm);
    for (int k = 0; k < A->n; k++)
        memcpy((char *)r->x + ((size_t)column * A->n + r->problem.perm[k]) * esz, permuted + (size_t)k * esz, esz);
    free(permuted);
    return 0;
}

/* --rhs constant: the potential 1 everywhere, b_i = w_i, the weight of
 * unknown i (the triangle's area on a mesh; see bem_problem_init_mesh).
 * --rhs plane-wave: the incident field exp(i k z) of a plane wave along z,
 * b_i = w_i exp(i k z_i) (complex kernels only: options.c). */
static void weighted_rhs(void *b, const bem_problem_t *p, int is_complex, int plane_wave)
{
    double *values = b;
    for (int i = 0; i < p->n; i++) {
        double weight = p->mesh ? p->mesh->areas[i] : p->weight;
        double phase = plane_wave ? p->wavenumber * p->points[3 * (size_t)i + 2] : 0;
        if (is_complex)
            values[2 * i] = weight * cos(phase), values[2 * i + 1] = weight * sin(phase);
        else
            values[i] = weight;
    }
}

/* The vector pieces <- column `column` of b. */
static void load_rhs(struct run *r, int column)
{
    desc_t *A = &r->A;
    const size_t esz = r->problem.elem_size;
    for (int i = 0; i < A->nt; i++) {
        if (!desc_is_mine(A, i, i))
            continue;
        starpu_data_handle_t h = desc_vector(A, i);
        starpu_data_acquire(h, STARPU_W);
        for (int k = 0; k < desc_tile_rows(A, i); k++)
            memcpy((char *)A->x_home[i] + k * esz,
                   (char *)r->b + ((size_t)column * A->n + r->problem.perm[i * A->nb + k]) * esz, esz);
        starpu_data_release(h);
    }
}

/* Local tiles as memctl sees them, after generation or a load. */
static void register_local_tiles(desc_t *A)
{
    for (int j = 0; j < A->nt; j++)
        for (int i = j; i < A->nt; i++)
            if (desc_is_mine(A, i, j)) {
                const tile_t *tile = tile_interface_get(desc_tile(A, i, j));
                memctl_local_register((int)desc_index(A, i, j), tile_payload_bytes(tile), tile_dense_bytes(tile));
            }
}

/* Generate (and compress) the tiles, then factorise: the timings, the
 * memctl registration of local tiles and every failure agreed on all
 * ranks.  EXIT_OK or the exit code, with rep->error set. */
static int factorise(struct run *r, double t0)
{
    options_t *opt = &r->opt;
    report_t *rep = &r->report;
    desc_t *A = &r->A;
    const int verbose = r->rank == 0 && !opt->quiet;
    /* eps is relative to ||A||_F; each of the nt^2 tiles may carry
     * eps ||A||_F / nt (spec/matrices.md). */
    rep->norm_a_estimate = problem_norm_estimate(&r->problem, A, 8, r->comm);
    r->args.tol = opt->dense ? 0 : opt->eps * rep->norm_a_estimate / A->nt;
    double t1 = wall(r->comm);
    rep->time_generate = t1 - t0;
    if (verbose)
        fprintf(stderr, "blrchol: %s %s n=%d: %d x %d tiles of %d on %d x %d ranks, ||A||_F ~ %.4g\n",
                rep->kernel, rep->geometry, A->n, A->nt, A->nt, A->nb, r->p, r->q, rep->norm_a_estimate);

    blr_generate(A, &r->args);
    starpu_task_wait_for_all();
    double t2 = wall(r->comm);
    rep->time_compress = t2 - t1;
    if (agree_failure(r, tile_mem_refused(NULL, NULL) ? 2 : 0))
        return EXIT_OOM;
    struct tile_stats initial;
    tile_statistics(A, &initial, r->comm);
    rep->rank_max_initial = initial.rank_max;
    register_local_tiles(A);
    if (verbose)
        fprintf(stderr, "blrchol: tiles built in %.2f s: %.1f MiB (%.2f%% of dense), max rank %d\n",
                rep->time_compress, initial.bytes / 1048576.0, 100 * initial.bytes / rep->dense_bytes,
                initial.rank_max);

    /* A reception larger than the high watermark could never be charged.
     * Decide it on every rank together, before any rank starts: a rank
     * that stopped submitting alone would leave the others waiting. */
    size_t largest_tile = (size_t)A->nb * A->nb * A->elem_size;
    int too_small = opt->memctl && r->nranks > 1 && largest_tile > (size_t)rep->mem_high;
    if (agree_failure(r, too_small)) {
        snprintf(rep->error, sizeof rep->error,
                 "the memory budget is too small for one task: a remote tile of up to %.1f MiB does not fit under "
                 "--mem-high %.1f MiB (raise --mem-high/--node-mem or lower --nb)",
                 largest_tile / 1048576.0, rep->mem_high / 1048576.0);
        return EXIT_USAGE;
    }

    kernel_flops_reset();
    progress_start("factor", count_factor_tasks(A), 5.0, !verbose);
    int submitted = blr_potrf(A, &r->args);
    starpu_task_wait_for_all();
    starpu_mpi_wait_for_all(A->comm);
    progress_stop();
    double t3 = wall(r->comm);
    rep->time_factor = t3 - t2;
    int failure_tile = -1, failure_column = 0;
    int local = tile_mem_refused(NULL, NULL) ? 2 : codelets_potrf_failure(&failure_tile, &failure_column) ? 1 : 0;
    if (submitted != 0)
        local = 3;
    int failure = agree_failure(r, local);
    if (failure == 3) {
        snprintf(rep->error, sizeof rep->error, "memctl refused a reservation (budget too small for one task)");
        return EXIT_USAGE;
    }
    if (failure == 2)
        return EXIT_OOM;
    if (failure == 1) {
        /* The first failing tile in elimination order: later ones only
         * inherit its garbage. */
        int mine = failure_tile >= 0 ? failure_tile : A->nt, global_tile;
        MPI_Allreduce(&mine, &global_tile, 1, MPI_INT, MPI_MIN, r->comm);
        snprintf(rep->error, sizeof rep->error,
                 "the matrix is not positive definite: POTRF failed on diagonal tile %d (rows %d..%d after "
                 "clustering)%s",
                 global_tile, global_tile * A->nb, global_tile * A->nb + desc_tile_rows(A, global_tile) - 1,
                 opt->dense ? "" : "; a smaller --eps may help if the exact matrix is positive definite");
        return EXIT_USAGE;
    }
    double flops = kernel_flops_total();
    MPI_Allreduce(MPI_IN_PLACE, &flops, 1, MPI_DOUBLE, MPI_SUM, r->comm);
    double dense_flops = (double)A->n * A->n * A->n / 3.0 * (r->problem.is_complex ? 4 : 1);
    rep->gflops_factor = dense_flops / rep->time_factor * 1e-9;
    rep->gflops_actual = flops / rep->time_factor * 1e-9;
    if (verbose)
        fprintf(stderr, "blrchol: factorised in %.2f s (%.1f Gflop/s dense-equivalent)\n", rep->time_factor,
                rep->gflops_factor);
    return EXIT_OK;
}

static int run_solver(struct run *r)
{
    options_t *opt = &r->opt;
    report_t *rep = &r->report;
    const int verbose = r->rank == 0 && !opt->quiet;
    double t0 = wall(r->comm);

    if (problem_init(&r->problem, opt->n, opt->geometry, opt->kernel, opt->nb, opt->mesh_path ? &r->mesh : NULL) !=
        0) {
        snprintf(rep->error, sizeof rep->error, "cannot build the problem (out of memory?)");
        return EXIT_FAILED;
    }
    r->problem.bem.diagonal_shift = opt->diagonal_shift;
    desc_init(&r->A, opt->n, opt->nb, r->p, r->q, r->problem.elem_size, MPI_COMM_WORLD);
    desc_t *A = &r->A;
    rep->nt = A->nt;
    rep->precision = r->problem.is_complex ? "z" : "d";
    rep->dense_bytes = (double)A->n * (A->n + 1) / 2 * r->problem.elem_size;
    if (setup_memctl(r) != 0)
        return EXIT_FAILED;

    r->args = (struct kernel_args){.is_complex = r->problem.is_complex, .conj = r->problem.conj,
                                   .build = opt->dense ? TILE_BUILD_DENSE : opt->compress,
                                   .source = &r->problem.source};
    factor_identity_t identity;
    factor_identity_of(&r->problem, A, &identity);
    if (opt->load_factor) {
        double t1 = wall(r->comm);
        if (factor_load(A, &identity, opt->load_factor, r->comm, rep->error, sizeof rep->error) != 0)
            return tile_mem_refused(NULL, NULL) ? EXIT_OOM : EXIT_USAGE;
        register_local_tiles(A);
        rep->time_generate = t1 - t0;
        rep->time_load = wall(r->comm) - t1;
        if (verbose)
            fprintf(stderr, "blrchol: factor loaded from %s in %.2f s\n", opt->load_factor, rep->time_load);
    } else {
        int code = factorise(r, t0);
        if (code != EXIT_OK)
            return code;
        if (opt->save_factor) {
            double t = wall(r->comm);
            if (factor_save(A, &identity, opt->save_factor, r->comm, rep->error, sizeof rep->error) != 0)
                return EXIT_FAILED;
            if (verbose)
                fprintf(stderr, "blrchol: factor saved to %s in %.2f s\n", opt->save_factor, wall(r->comm) - t);
        }
    }
    struct tile_stats final;
    tile_statistics(A, &final, r->comm);
    rep->factor_bytes = final.bytes;
    rep->compression_ratio = final.bytes / rep->dense_bytes;
    rep->rank_mean = final.offdiag > 0 ? final.rank_sum / final.offdiag : 0;
    rep->rank_max = final.rank_max;

    const size_t esz = r->problem.elem_size;
    double solve_start = wall(r->comm);
    const int nrhs = opt->nrhs;
    r->x = calloc((size_t)A->n * nrhs, esz);
    if (!r->b) { /* not read from --rhs FILE */
        r->b = malloc((size_t)A->n * nrhs * esz);
        for (int k = 0; k < nrhs; k++) {
            char *column = (char *)r->b + (size_t)k * A->n * esz;
            if (opt->rhs)
                weighted_rhs(column, &r->problem.bem, r->problem.is_complex, !strcmp(opt->rhs, "plane-wave"));
            else
                make_rhs(column, A->n, r->problem.is_complex, opt->seed + k);
        }
    }
    /* One right-hand side at a time through the same factor. */
    for (int k = 0; k < nrhs; k++) {
        load_rhs(r, k);
        blr_solve(A, &r->args);
        starpu_task_wait_for_all();
        starpu_mpi_wait_for_all(A->comm);
        desc_drop_partials(A);
        gather_solution(r, k);
    }
    rep->time_solve = wall(r->comm) - solve_start;
    return EXIT_OK;
}

/* One value per line, "re im" when complex; 0 on success (or no path). */
/* n lines of `columns` values each ("re im" pairs if complex); v is
 * column-major, as b and x are. */
static int write_vectors(const char *path, const void *v, int n, int columns, int is_complex)
{
    if (!path)
        return 0;
    FILE *out = fopen(path, "w");
    if (!out)
        return -1;
    const double *reals = v;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < columns; k++) {
            size_t at = (size_t)k * n + i;
            const char *end = k + 1 < columns ? " " : "\n";
            if (is_complex)
                fprintf(out, "%.17g %.17g%s", reals[2 * at], reals[2 * at + 1], end);
            else
                fprintf(out, "%.17g%s", reals[at], end);
        }
    return fclose(out);
}

static void collect_memory(struct run *r)
{
    report_t *rep = &r->report;
    memctl_stats_t stats;
    memctl_get_stats(&stats);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double mine[3] = {(double)stats.peak_charged, (double)tile_mem_peak(), usage.ru_maxrss * 1024.0};
    int shown = r->nranks < REPORT_MAX_RANKS ? r->nranks : REPORT_MAX_RANKS;
    double *all = malloc(3 * sizeof(double) * r->nranks);
    MPI_Allgather(mine, 3, MPI_DOUBLE, all, 3, MPI_DOUBLE, r->comm);
    for (int k = 0; k < r->nranks; k++) {
        if (k < shown) {
            rep->rank_peak_charged[k] = all[3 * k];
            rep->rank_peak_actual[k] = all[3 * k + 1];
            rep->rank_peak_rss[k] = all[3 * k + 2];
        }
        rep->peak_charged_bytes = fmax(rep->peak_charged_bytes, all[3 * k]);
        rep->peak_actual_bytes = fmax(rep->peak_actual_bytes, all[3 * k + 1]);
        rep->peak_rss_bytes = fmax(rep->peak_rss_bytes, all[3 * k + 2]);
    }
    rep->nranks_reported = shown;
    free(all);
    long counts[3] = {stats.blocks, stats.overflows, stats.unreserved_receives};
    MPI_Allreduce(MPI_IN_PLACE, counts, 3, MPI_LONG, MPI_SUM, r->comm);
    rep->memctl_blocks = counts[0];
    rep->memctl_overflows = counts[1];
    rep->memctl_unreserved_receives = counts[2];
    MPI_Allreduce(&stats.blocked_seconds, &rep->memctl_blocked_seconds, 1, MPI_DOUBLE, MPI_MAX, r->comm);
}

static void describe_oom(struct run *r)
{
    size_t requested = 0, held = 0;
    int refused = tile_mem_refused(&requested, &held);
    double mine[3] = {refused ? (double)r->rank : 1e300, (double)requested, (double)held};
    double *all = malloc(3 * sizeof(double) * r->nranks);
    MPI_Allgather(mine, 3, MPI_DOUBLE, all, 3, MPI_DOUBLE, r->comm);
    int first = 0;
    for (int k = 1; k < r->nranks; k++)
        if (all[3 * k] < all[3 * first])
            first = k;
    snprintf(r->report.error, sizeof r->report.error,
             "out of memory on rank %d: a %.0f-byte tile allocation would pass --node-mem %.0f bytes with %.0f "
             "held (give more memory per rank, more ranks, or memory control)",
             (int)all[3 * first], all[3 * first + 1], r->report.node_mem, all[3 * first + 2]);
    free(all);
}

int main(int argc, char **argv)
{
    blas_guard_complex(argc, argv);
    struct run r;
    memset(&r, 0, sizeof r);
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_dup(MPI_COMM_WORLD, &r.comm);
    MPI_Comm_rank(r.comm, &r.rank);
    MPI_Comm_size(r.comm, &r.nranks);

    int parsed = options_parse(&r.opt, argc, argv, r.rank == 0);
    if (parsed) {
        MPI_Finalize();
        return parsed == 1 ? EXIT_OK : EXIT_USAGE;
    }
    options_t *opt = &r.opt;
    if (opt->mesh_path) {
        /* Every rank reads the mesh: it is small next to the matrix, and
         * every rank assembles entries from it. */
        char error[600];
        if (bem_mesh_read(opt->mesh_path, &r.mesh, error, sizeof error) != 0) {
            if (r.rank == 0)
                fprintf(stderr, "blrchol: %s\n", error);
            MPI_Finalize();
            return EXIT_USAGE;
        }
        if (r.mesh.ignored_elements && r.rank == 0 && !opt->quiet)
            fprintf(stderr, "blrchol: warning: %s: %d elements that are not 3-node triangles ignored\n",
                    opt->mesh_path, r.mesh.ignored_elements);
        opt->n = r.mesh.ntriangles;
        opt->geometry = BEM_MESH;
    }
    r.p = opt->p ? opt->p : default_grid_rows(r.nranks);
    const int nt = (opt->n + opt->nb - 1) / opt->nb;
    const char *invalid = NULL;
    char why[256];
    if (r.nranks % r.p) {
        snprintf(why, sizeof why, "-P %d does not divide the %d ranks (pick a divisor)", r.p, r.nranks);
        invalid = why;
    } else if (r.nranks > (long)nt * (nt + 1) / 2) {
        snprintf(why, sizeof why, "%d ranks for only %d tiles (n=%d, nb=%d): use fewer ranks or a smaller --nb",
                 r.nranks, nt * (nt + 1) / 2, opt->n, opt->nb);
        invalid = why;
    } else if (opt->nb > 16384) {
        snprintf(why, sizeof why, "--nb %d is above 16384 (MPI messages must stay below 2 GiB)", opt->nb);
        invalid = why;
    }
    if (invalid) {
        if (r.rank == 0)
            fprintf(stderr, "blrchol: %s\n", invalid);
        bem_mesh_free(&r.mesh);
        MPI_Finalize();
        return EXIT_USAGE;
    }
    r.q = r.nranks / r.p;
    if (opt->rhs && strcmp(opt->rhs, "constant") != 0 && strcmp(opt->rhs, "plane-wave") != 0) {
        int is_complex = bem_kernel_is_complex(opt->kernel);
        r.b = malloc((size_t)opt->n * opt->nrhs * (is_complex ? 16 : 8));
        if (!r.b || rhs_read(opt->rhs, r.b, opt->n, opt->nrhs, is_complex, why, sizeof why) != 0) {
            if (r.rank == 0)
                fprintf(stderr, "blrchol: %s\n", r.b ? why : "no memory for the right-hand side");
            free(r.b);
            bem_mesh_free(&r.mesh);
            MPI_Finalize();
            return EXIT_USAGE;
        }
    }

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1); /* StarPU runs one task per core already */
#endif
    /* LAPACKE scans every input matrix for NaNs: a few per cent of the
     * factorisation time, for matrices our own kernels just produced. */
    LAPACKE_set_nancheck(0);
    struct starpu_conf conf;
    starpu_conf_init(&conf);
    if (starpu_mpi_init_conf(&argc, &argv, 0, MPI_COMM_WORLD, &conf) != 0) {
        if (r.rank == 0)
            fprintf(stderr, "blrchol: StarPU-MPI failed to start (check STARPU_NCPU and the MPI installation)\n");
        MPI_Abort(MPI_COMM_WORLD, EXIT_FAILED);
    }
    r.workers = (int)starpu_cpu_worker_get_count();

    report_t *rep = &r.report;
    rep->status = "ok";
    rep->n = opt->n;
    rep->nrhs = opt->nrhs;
    rep->nb = opt->nb;
    rep->p = r.p;
    rep->q = r.q;
    rep->ranks = r.nranks;
    rep->workers_per_rank = r.workers;
    rep->kernel = bem_kernel_name(opt->kernel);
    rep->geometry = bem_geometry_name(opt->geometry);
    rep->compress = opt->compress == TILE_BUILD_SVD ? "svd" : "aca";
    rep->dense = opt->dense;
    rep->eps = opt->dense ? NAN : opt->eps;
    rep->backward_error = NAN;
    rep->memctl = opt->memctl;
    rep->node_mem = (double)opt->node_mem;

    int code = run_solver(&r);
    if (code == EXIT_OOM)
        describe_oom(&r);

    desc_destroy(&r.A);
    starpu_mpi_shutdown();
    collect_memory(&r);
    memctl_shutdown();
    if (r.trace)
        fclose(r.trace);
    if (r.task_trace) {
        if (task_trace_write(r.task_trace, r.rank) != 0 && r.rank == 0)
            fprintf(stderr, "blrchol: warning: the task trace could not be written completely\n");
        fclose(r.task_trace);
    }

    if (code == EXIT_OK && opt->check) {
        double t = MPI_Wtime(), norm_a;
        if (r.rank == 0 && !opt->quiet)
            fprintf(stderr, "blrchol: checking the residual against the exact matrix\n");
        /* The worst column. */
        const size_t column = (size_t)opt->n * r.problem.elem_size;
        rep->backward_error = 0;
        for (int k = 0; k < opt->nrhs; k++) {
            double error = check_backward_error(&r.problem.bem, (char *)r.x + k * column, (char *)r.b + k * column,
                                                r.workers, r.comm, &norm_a);
            if (!(error <= rep->backward_error))
                rep->backward_error = error;
        }
        rep->time_check = MPI_Wtime() - t;
    }
    if (code == EXIT_OK && r.rank == 0 &&
        (write_vectors(opt->solution_path, r.x, opt->n, opt->nrhs, r.problem.is_complex) ||
         write_vectors(opt->rhs_out_path, r.b, opt->n, opt->nrhs, r.problem.is_complex))) {
        snprintf(rep->error, sizeof rep->error, "cannot write %s or %s", opt->solution_path ? opt->solution_path : "-",
                 opt->rhs_out_path ? opt->rhs_out_path : "-");
        code = EXIT_FAILED;
    }
    rep->status = code == EXIT_OK ? "ok" : code == EXIT_OOM ? "oom" : "error";
    if (r.rank == 0) {
        if (code != EXIT_OK)
            fprintf(stderr, "blrchol: %s\n", rep->error);
        if (!opt->quiet || code != EXIT_OK)
            report_summary(rep, stdout);
        if (opt->json_path) {
            FILE *out = strcmp(opt->json_path, "-") ? fopen(opt->json_path, "w") : stdout;
            if (!out) {
                fprintf(stderr, "blrchol: cannot write %s\n", opt->json_path);
                code = code ? code : EXIT_FAILED;
            } else {
                report_json(rep, out);
                if (out != stdout)
                    fclose(out);
            }
        }
        fflush(stdout);
    }
    free(r.b);
    free(r.x);
    problem_free(&r.problem);
    bem_mesh_free(&r.mesh);
    MPI_Comm_free(&r.comm);
    MPI_Finalize();
    return code;
}
