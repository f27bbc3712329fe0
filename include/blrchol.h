/*
 * blrchol.h: the blrchol library, a distributed Block Low-Rank Cholesky
 * solver on StarPU-MPI.  Link with `pkg-config --cflags --libs blrchol`
 * and compile with mpicc.
 *
 * The matrix is given by a callback that assembles any block of entries in
 * the user's numbering, plus (optionally) one point per unknown: blrchol
 * reorders the unknowns by recursive bisection of the points so that
 * off-diagonal tiles compress, asks the callback for the entries of the
 * tiles each rank owns, compresses them, factorises A = L L^T (real or
 * complex symmetric) or A = L L^H (complex Hermitian) on a 2D block-cyclic
 * grid of MPI ranks, and solves A x = b.
 *
 *     blrchol_init(&argc, &argv);                       // MPI (if needed) + StarPU-MPI
 *                                                       // (blrchol_init_with: runtime options)
 *     blrchol_problem_t pb = {.n = n, .scalar = BLRCHOL_REAL_SYMMETRIC,
 *                             .points = xyz, .assemble = my_kernel, .user = &my_data};
 *     blrchol_options_t opt;
 *     blrchol_options_init(&opt);                       // nb chosen, eps 1e-8, memctl on
 *     blrchol_factor_t *L;
 *     if (blrchol_factorize(&pb, &opt, &L) == BLRCHOL_OK)
 *         blrchol_solve(L, 1, b, x);                     // b, x: n values on every rank
 *     blrchol_free(L);
 *     blrchol_finalize();
 *
 * Every function taking a factor or a problem is collective: every rank
 * calls it with the same arguments (the same problem, the same b).  One
 * factor may be alive per process at a time (memory control accounts for
 * the whole process).
 */
#ifndef BLRCHOL_H
#define BLRCHOL_H

#include <stddef.h>
#include <stdio.h>
#include <mpi.h>

/* The one version number: configure, the Makefile (soname, pkg-config)
 * and `blrchol --version` read it here. */
#define BLRCHOL_VERSION "0.5.0"

/* Return codes; the command line uses them as exit codes. */
enum {
    BLRCHOL_OK = 0,
    BLRCHOL_FAILED = 1,        /* a system error (a file, memory of the process) */
    BLRCHOL_BAD_INPUT = 2,     /* bad options, not positive definite, budget too small, bad factor directory */
    BLRCHOL_OUT_OF_MEMORY = 3, /* a rank would have passed options.node_mem */
    BLRCHOL_TERMINATED = 4     /* termination was requested (blrchol_request_termination): every rank stopped */
};

typedef enum {
    BLRCHOL_REAL_SYMMETRIC,    /* double, A = L L^T */
    BLRCHOL_COMPLEX_SYMMETRIC, /* double complex, A = L L^T (no conjugate) */
    BLRCHOL_COMPLEX_HERMITIAN  /* double complex, A = L L^H */
} blrchol_scalar_t;

typedef struct blrchol_problem blrchol_problem_t;

/* Fill out[r + c * ld] = A(rows[r], cols[c]) for r < nrows, c < ncols, in
 * the user's numbering (0 .. n-1); `out` holds doubles, or double complex
 * (re, im pairs) for the complex scalars.  Called concurrently from
 * several threads of every rank: it must be thread-safe and must not call
 * MPI.  The result must depend only on the indices. */
typedef void (*blrchol_assemble_t)(const blrchol_problem_t *problem, const int *rows, int nrows, const int *cols,
                                   int ncols, void *out, int ld);

struct blrchol_problem {
    int n;                       /* number of unknowns */
    blrchol_scalar_t scalar;
    const double *points;        /* 3 n coordinates (x, y, z of unknown i at 3i): ordering for compression;
                                  * NULL: keep the user's order (then it must already cluster) */
    const double *weights;       /* n surface elements, for the callback's use; may be NULL */
    blrchol_assemble_t assemble;
    void *user;                  /* anything else the callback needs */
    const char *kernel_name;     /* shown in reports and stored with saved factors; NULL: "user" */
    const char *geometry_name;   /* idem; NULL: "points" */
};

typedef enum { BLRCHOL_COMPRESS_ACA, BLRCHOL_COMPRESS_SVD } blrchol_compress_t;
/* What memctl reserves to receive a remote tile: its dense size (always an
 * upper bound), or a bound from its rank after compression plus the growth
 * margin (tighter; a copy that arrives larger is charged on arrival and
 * counted) (docs/design/memctl.md). */
typedef enum { BLRCHOL_RESERVE_RANK, BLRCHOL_RESERVE_DENSE } blrchol_reserve_t;

#define BLRCHOL_NODE_MEM_NONE ((size_t)-1)

typedef struct blrchol_options {
    int nb;                      /* tile size; 0: blrchol_default_nb's choice for the problem (0) */
    double eps;                  /* compression tolerance relative to ||A||_F (1e-8) */
    int dense;                   /* 1: no compression, the dense baseline (0) */
    blrchol_compress_t compress; /* how off-diagonal tiles are compressed (ACA) */
    int grid_rows;               /* P of the P x Q rank grid; 0: the most square grid */
    /* memory control, per rank */
    int memctl;                  /* 1: block submission above mem_high (1) */
    size_t node_mem;             /* tile bytes a rank may hold; 0: the node's memory divided by its
                                  * ranks, less the process's own (docs/design/process-memory.md);
                                  * BLRCHOL_NODE_MEM_NONE: no cap (0) */
    size_t mem_high, mem_low;    /* watermarks; 0: derived from node_mem, or from the node's
                                  * memory divided by the ranks on it (docs/design/memctl.md) (0) */
    double growth_margin;        /* the growth a low-rank tile may undergo, as a fraction of its
                                  * size: memctl's growth pool and rank reservations (0.2) */
    blrchol_reserve_t reserve;   /* how remote tiles are reserved (BLRCHOL_RESERVE_RANK) */
    int plan_only;               /* 1: build the tiles, make the memory plan, do not factorise (0) */
    const char *trace_path;      /* memory and task trace CSV files, or NULL (NULL) */
    int no_step_sync;            /* 1: memctl without step synchronisation: messages may then reach a
                                  * rank before its receive is posted (early data, charged as it comes;
                                  * no bound), for measurements (0) */
    int verbose;                 /* 1: progress and phase lines on rank 0's stderr (0) */
} blrchol_options_t;

void blrchol_options_init(blrchol_options_t *options);

/* The tile size blrchol uses when options.nb is 0, for a problem of order
 * n (dense: 1 for options.dense).  BLR tiles grow like sqrt(n), so that
 * the low-rank updates of a large problem stay few enough for their
 * fixed costs, and no faster, for compression costs more on larger tiles:
 *     nb = 4.25 sqrt(n), rounded to a multiple of 256, within [512, 2048];
 * the dense path keeps 512.  Either is then lowered, on a small problem, to
 * leave 4 tile rows: at most floor(n / 4) rounded down to a multiple of 64
 * (and at least 64).  The measurements behind it: bench/README.md. */
int blrchol_default_nb(int n, int dense);

/* How StarPU runs on each rank, fixed when it starts.  A field left unset
 * falls back to its environment variable, so that batch scripts can set
 * it for a program that does not:
 * - task_window (BLRCHOL_TASK_WINDOW; default 10000): at most this many
 *   tasks submitted and unfinished at a time on each rank, 0: no limit;
 *   StarPU holds ~2 KB for each (docs/design/process-memory.md).
 *   STARPU_LIMIT_MAX_SUBMITTED_TASKS, when set, wins.
 * - binding (BLRCHOL_BINDING; default "auto"): "auto" keeps each rank's
 *   StarPU threads on cores of their own when ranks share a node;
 *   "starpu" keeps StarPU 1.3's binding, which puts every rank's workers
 *   on the node's first cores.  A STARPU_* binding variable set by the
 *   user wins (docs/design/placement-and-polling.md).
 * - mpi_polling (BLRCHOL_MPI_POLLING; default "auto"): "auto" lets
 *   StarPU-MPI's progress thread nap between its tests when the rank has
 *   no core for it; "nap" or "spin" force it. */
typedef struct blrchol_runtime_options {
    int task_window;             /* -1: unset */
    const char *binding;         /* NULL: unset; "auto" or "starpu" */
    const char *mpi_polling;     /* NULL: unset; "auto", "nap" or "spin" */
} blrchol_runtime_options_t;

/* Every field unset. */
void blrchol_runtime_options_init(blrchol_runtime_options_t *runtime);

/* Start MPI (MPI_THREAD_MULTIPLE, unless the caller already initialised
 * MPI) and StarPU-MPI on MPI_COMM_WORLD, as `runtime` says (NULL: every
 * field unset); StarPU's environment variables (STARPU_NCPU, ...) apply.
 * BLRCHOL_OK, BLRCHOL_BAD_INPUT (a binding or polling mode not listed
 * above, given or from the environment, or STARPU_MPI_NDETACHED_SEND not a
 * positive integer) or BLRCHOL_FAILED. */
int blrchol_init_with(int *argc, char ***argv, const blrchol_runtime_options_t *runtime);
/* blrchol_init_with(argc, argv, NULL). */
int blrchol_init(int *argc, char ***argv);
/* Stop StarPU-MPI, and MPI if blrchol_init started it. */
void blrchol_finalize(void);
/* Optional, first thing in main(), before MPI_Init or any thread: malloc
 * shares one arena among threads (glibc; unless MALLOC_ARENA_MAX is set),
 * which keeps the process's resident memory close to the tile count
 * (docs/design/process-memory.md).  blrchol_init does it too, but glibc fixes the number
 * of arenas when a second thread first needs one, so late is often too
 * late.  Exporting MALLOC_ARENA_MAX=1 does the same. */
void blrchol_configure_malloc(void);

typedef struct blrchol_factor blrchol_factor_t;

/* Termination (docs/design/termination.md).  Once requested on some rank,
 * the call under way stops on every rank within a task's time or so:
 * tasks skip their work, submission stops at a step every rank agrees on,
 * a save under way removes what it wrote (nothing loads), and the call
 * returns BLRCHOL_TERMINATED, its report with status "terminated", the
 * phase and the progress.  The request lasts as long as the process:
 * later calls stop too (a factorisation or load after its clustering).
 *
 * Ask for it; async-signal-safe, from any thread or a signal handler. */
void blrchol_request_termination(void);
/* Let SIGTERM and SIGINT ask for it (sigaction; the library installs no
 * handler unless asked).  The handlers reset themselves: a second signal
 * ends the process the default way.  BLRCHOL_OK or BLRCHOL_FAILED. */
int blrchol_catch_termination_signals(void);
/* Whether it was requested: on this process (comm MPI_COMM_NULL), or
 * collectively on some rank of comm (then it is on every rank). */
int blrchol_termination_requested(MPI_Comm comm);

/* Assemble, compress and factorise.  *factor is set whatever the outcome
 * (NULL only when the process is out of memory): its report says what
 * happened (blrchol_error), and it must be released with blrchol_free.
 * The problem (and what its callback reads) must outlive the factor. */
int blrchol_factorize(const blrchol_problem_t *problem, const blrchol_options_t *options, blrchol_factor_t **factor);
/* A factor saved by blrchol_save, for the same problem (points, entries,
 * kernel name), nb, grid and precision; anything else is refused with a
 * message (BLRCHOL_BAD_INPUT). */
int blrchol_load(const blrchol_problem_t *problem, const blrchol_options_t *options, const char *dir,
                 blrchol_factor_t **factor);
/* Write the factor to DIR: one file per rank, then metadata renamed last,
 * so that an interrupted save never loads. */
int blrchol_save(blrchol_factor_t *factor, const char *dir);

/* x <- A^{-1} b for nrhs right-hand sides: b and x are n x nrhs,
 * column-major, in the user's numbering, complete on every rank. */
int blrchol_solve(blrchol_factor_t *factor, int nrhs, const void *b, void *x);

/* The one-line message of the last failure ("" when none). */
const char *blrchol_error(const blrchol_factor_t *factor);
void blrchol_free(blrchol_factor_t *factor);

/* ||A x - b||_2 / (||A||_F ||x||_2 + ||b||_2) against the exact entries
 * from the callback (the worst of the nrhs columns): one dense
 * matrix-vector product split over the ranks of comm and `threads`
 * threads per rank.  Does not need StarPU: call it after blrchol_finalize
 * (but before MPI_Finalize) to have the cores to itself.  NAN when it
 * stopped because termination was requested. */
double blrchol_backward_error(const blrchol_problem_t *problem, int nrhs, const void *x, const void *b,
                              int threads, MPI_Comm comm);

/* ---- the report -------------------------------------------------------- */
#define BLRCHOL_REPORT_MAX_RANKS 4096
/* Kernel kinds timed by the factorisation, in the order of
 * blrchol_report_t's kernel_seconds: potrf, trsm, syrk, gemm, recompression. */
#define BLRCHOL_KERNEL_KINDS 5

typedef struct blrchol_report {
    const char *status;          /* "ok", "oom", "error", "terminated" */
    char error[512];
    const char *phase;           /* terminated: "generate", "compress", "factor", "save", "solve", "check";
                                  * else NULL */
    double progress;             /* terminated: the fraction of the phase's work done (compress, factor:
                                  * tasks; solve: right-hand sides); else NAN */
    int n, nb, nt, p, q, ranks, workers_per_rank;
    int nb_auto;                 /* 1: nb is blrchol_default_nb's choice, options.nb was 0 */
    int nrhs;                    /* right-hand sides of the last solve */
    char kernel[32], geometry[32];
    const char *precision, *compress;
    int dense;
    double eps;                  /* NAN when dense */
    double norm_a_estimate;      /* the ||A||_F the tolerance was scaled by */
    double time_generate, time_compress, time_factor, time_solve, time_check;
    double time_load;            /* blrchol_load: reading the factor (compress and factor are 0) */
    double gflops_factor, gflops_actual;
    double backward_error;       /* NAN unless set by the caller */
    double dense_bytes, factor_bytes, compression_ratio;
    double rank_mean;
    int rank_max, rank_max_initial;
    /* --compress aca, off-diagonal tiles summed over ranks: kept from ACA
     * (they passed its a posteriori check); compressed by the exact SVD
     * instead (ACA's result failed the check, or ACA stalled); of those,
     * the ones whose check estimate exceeded the tile's tolerance. */
    long compress_aca_tiles, compress_fallback_tiles, compress_fallbacks;
    int memctl;
    int memctl_step_sync;        /* the step synchronisation was on (memctl, several ranks) */
    double node_mem, mem_high, mem_low; /* 0: none */
    double memory_cap_bytes;     /* the tile allocator's hard cap in force per rank: node_mem, or derived; 0: none */
    double peak_charged_bytes, peak_actual_bytes, peak_rss_bytes; /* max over ranks */
    double rss_start_bytes;        /* peak RSS before the tiles were built (MPI, StarPU, libraries), max over ranks */
    int task_window;               /* StarPU's limit on submitted unfinished tasks, 0: none */
    const char *binding;           /* rank 0's placement: "starpu", "user", "launcher", "split", "none" */
    int worker_cpus_shared;        /* CPUs that CPU workers of two ranks of one node may both run on,
                                    * summed over nodes (from each worker thread's affinity) */
    int ranks_short_of_cpus;       /* ranks whose CPU workers outnumber the CPUs they may run on */
    const char *mpi_polling;       /* rank 0's StarPU-MPI progress thread: "spin", or "nap" when it has no core
                                    * of its own (docs/design/placement-and-polling.md) */
    long mpi_naps;                 /* naps its progress threads took so far, summed over ranks */
    char starpu_version[16];       /* the StarPU library the run used, e.g. "1.4.12" */
    int starpu_workers_getbind;    /* rank 0's STARPU_WORKERS_GETBIND in force: 1 when its workers bind
                                    * inside the CPU set StarPU started in */
    int starpu_mpi_ndetached_send; /* STARPU_MPI_NDETACHED_SEND in force: sends packed at a time */
    int starpu_mpi_mem_throttle;   /* STARPU_MPI_MEM_THROTTLE in force (StarPU 1.4 on; 0: off) */
    int starpu_mpi_thread_multiple_send; /* STARPU_MPI_THREAD_MULTIPLE_SEND in force (1.4 on; 0: off) */
    double peak_recv_buffer_bytes; /* StarPU-MPI's buffers of posted receives, max over ranks */
    double peak_early_bytes;       /* tiles StarPU-MPI received before their receive was posted and
                                    * holds in buffers of its own ("early data"; inside peak_actual_bytes),
                                    * max over ranks */
    long early_receives;           /* such receptions, summed over ranks */
    long early_check_failures;     /* unpacked buffers whose early/posted classification the unpack path
                                    * contradicts: 0 (runtime/runtime_alloc.h) */
    double peak_send_buffer_bytes; /* packed tiles being sent, max over ranks */
    double peak_total_bytes;       /* tiles + early data + posted receive and send buffers, max over ranks */
    double memctl_send_window_bytes; /* memctl's fixed charge for the send buffers */
    long memctl_blocks, memctl_overflows, memctl_unreserved_receives;
    double memctl_blocked_seconds;
    const char *memctl_reserve;    /* "rank" or "dense" */
    long memctl_receptions, memctl_releases; /* remote copies received and released, summed over ranks */
    long memctl_underreserved_receives; /* copies that arrived larger than reserved, summed over ranks */
    double memctl_underreserved_bytes;  /* by how much, in total */
    long memctl_growth_overruns;   /* local growths memctl's growth pool could not pay, summed over ranks */
    double memctl_growth_overrun_bytes; /* the unpaid bytes, in total */
    int memctl_lookahead;          /* steps submission may run ahead of execution, 0: unbounded */
    long memctl_lookahead_waits;   /* times submission waited for it, summed over ranks */
    double memctl_lookahead_wait_seconds; /* the time it waited, the longest over ranks */
    int nranks_reported;
    double rank_peak_charged[BLRCHOL_REPORT_MAX_RANKS], rank_peak_actual[BLRCHOL_REPORT_MAX_RANKS],
        rank_peak_rss[BLRCHOL_REPORT_MAX_RANKS];
    double rank_local_bytes[BLRCHOL_REPORT_MAX_RANKS]; /* each rank's own tiles when the factorisation starts */
    /* The memory plan (options.plan_only): per rank, what it needs without
     * running the factorisation (docs/design/memctl.md, memory plan). */
    int planned;
    double plan_pool_bytes[BLRCHOL_REPORT_MAX_RANKS];     /* memctl's growth pool */
    int plan_largest_step[BLRCHOL_REPORT_MAX_RANKS];      /* the step whose receptions reserve the most */
    double plan_step_reserved_bytes[BLRCHOL_REPORT_MAX_RANKS]; /* its receptions at their reservations */
    double plan_step_actual_bytes[BLRCHOL_REPORT_MAX_RANKS];   /* and at their size after compression */
    double plan_node_mem_min[BLRCHOL_REPORT_MAX_RANKS];   /* the least --node-mem memctl runs in */
    double plan_charge_bound[BLRCHOL_REPORT_MAX_RANKS];   /* the most memctl charges without a capacity */
    double plan_node_mem;          /* the least --node-mem for every rank (max of the above) */
    double plan_memory_per_rank;   /* the capacity the next figure is for: node_mem, or the node's share */
    int plan_fewest_ranks;         /* the fewest ranks whose plans fit that capacity, 0: none up to 4096 */
    /* The factorisation's time inside the kernels by kind (potrf, trsm, syrk,
     * gemm, recompression: the low-rank addition of a GEMM's product, not in
     * gemm), seconds summed over workers and ranks, and the calls made. */
    double kernel_seconds[BLRCHOL_KERNEL_KINDS];
    long kernel_calls[BLRCHOL_KERNEL_KINDS];
    /* The kernels' workspace all threads of a rank held at their peak (not
     * tile memory, part of the RSS), max over ranks. */
    double peak_scratch_bytes;
} blrchol_report_t;

/* Collective on comm, before anything is built: BLRCHOL_OK, or
 * BLRCHOL_OUT_OF_MEMORY with the figures in `why` when a problem of order
 * n in tiles of nb (the run's: blrchol_default_nb's when options.nb is 0)
 * cannot fit on the ranks of comm.  The least it needs
 * per rank: the dense diagonal tiles and every other tile at rank 1,
 * shared evenly, plus the points and clustering every rank holds; what a
 * rank has: node_mem, or (0) the node's memory divided by its ranks. */
int blrchol_check_memory(int n, int nb, blrchol_scalar_t scalar, size_t node_mem, MPI_Comm comm, char *why,
                         size_t size);
/* The bytes a rank may use (collective): node_mem, or (0) the node's
 * physical memory divided by the ranks of comm on it. */
size_t blrchol_memory_per_rank(size_t node_mem, MPI_Comm comm);

/* A copy of the factor's report (the same on every rank); status "error"
 * for a NULL factor. */
void blrchol_get_report(const blrchol_factor_t *factor, blrchol_report_t *report);
/* One JSON object (the fields above), and a human summary. */
void blrchol_report_json(const blrchol_report_t *report, FILE *out);
void blrchol_report_summary(const blrchol_report_t *report, FILE *out);
/* The memory plan as a table, one line per rank (report.planned). */
void blrchol_report_plan(const blrchol_report_t *report, FILE *out);

#endif
