/*
 * options.c: the command line of blrchol as one table.  Each row is an
 * option: its name, its value, where it goes, how the value is checked,
 * what to say when it is wrong and its --help text, so that the parser,
 * the messages and the help cannot drift apart.
 */
#include "cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memctl/memctl.h"

/* ---- values: text -> the field at `out`, 0 or -1 when invalid ---------- */

typedef int (*parse_t)(const char *text, void *out);

static int int_in(const char *text, int *out, long low, long high)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end || value < low || value > high)
        return -1;
    *out = (int)value;
    return 0;
}

static int double_of(const char *text, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    return (errno || end == text || *end) ? -1 : 0;
}

static int positive_int(const char *text, void *out) { return int_in(text, out, 1, INT_MAX); }
static int non_negative_int(const char *text, void *out) { return int_in(text, out, 0, INT_MAX); }
static int rhs_count(const char *text, void *out) { return int_in(text, out, 1, 100000); }

static int tolerance(const char *text, void *out)
{
    double *eps = out;
    return double_of(text, eps) || !(*eps > 0 && *eps < 1) ? -1 : 0;
}

static int margin(const char *text, void *out)
{
    double *fraction = out;
    return double_of(text, fraction) || !(*fraction >= 0 && *fraction <= 100) ? -1 : 0;
}

static int finite_number(const char *text, void *out)
{
    double *value = out;
    return double_of(text, value) || !isfinite(*value) ? -1 : 0;
}

static int seed(const char *text, void *out)
{
    char *end;
    errno = 0;
    *(unsigned long *)out = strtoul(text, &end, 10);
    return (errno || end == text || *end) ? -1 : 0;
}

/* A size, or "none" for --node-mem: no cap. */
static int capacity(const char *text, void *out)
{
    if (strcmp(text, "none") == 0)
        return *(size_t *)out = BLRCHOL_NODE_MEM_NONE, 0;
    size_t *bytes = out;
    return memctl_parse_size(text, bytes) || *bytes == 0 ? -1 : 0;
}

static int size(const char *text, void *out)
{
    size_t *bytes = out;
    return memctl_parse_size(text, bytes) || *bytes == 0 ? -1 : 0;
}

static int geometry(const char *text, void *out) { return bem_geometry_parse(text, out); }
static int kernel(const char *text, void *out) { return bem_kernel_parse(text, out); }

static int compression(const char *text, void *out)
{
    blrchol_compress_t *method = out;
    if (strcmp(text, "aca") != 0 && strcmp(text, "svd") != 0)
        return -1;
    *method = strcmp(text, "aca") == 0 ? BLRCHOL_COMPRESS_ACA : BLRCHOL_COMPRESS_SVD;
    return 0;
}

/* `text` kept as it is when it is one of `choices` (NULL-terminated). */
static int one_of(const char *text, void *out, const char *const *choices)
{
    for (int k = 0; choices[k]; k++)
        if (strcmp(text, choices[k]) == 0) {
            *(const char **)out = text;
            return 0;
        }
    return -1;
}

static int reserve(const char *text, void *out)
{
    blrchol_reserve_t *mode = out;
    if (strcmp(text, "rank") != 0 && strcmp(text, "dense") != 0)
        return -1;
    *mode = strcmp(text, "rank") == 0 ? BLRCHOL_RESERVE_RANK : BLRCHOL_RESERVE_DENSE;
    return 0;
}

static int binding(const char *text, void *out)
{
    return one_of(text, out, (const char *const[]){"auto", "starpu", NULL});
}

static int polling(const char *text, void *out)
{
    return one_of(text, out, (const char *const[]){"auto", "nap", "spin", NULL});
}

static int keep_text(const char *text, void *out)
{
    *(const char **)out = text;
    return 0;
}

/* Flags: no value. */
static int set_on(const char *unused, void *out) { return *(int *)out = 1, 0; }
static int set_off(const char *unused, void *out) { return *(int *)out = 0, 0; }

/* ---- the table -------------------------------------------------------------- */

/* -h and --version: what to print instead of a run. */
static void usage(FILE *out);
static void version(FILE *out) { fprintf(out, "blrchol %s\n", BLRCHOL_VERSION); }
static int show_usage(const char *unused, void *out) { return *(options_print_t *)out = usage, 0; }
static int show_version(const char *unused, void *out) { return *(options_print_t *)out = version, 0; }

typedef struct option_row {
    const char *group;    /* a --help heading, on the first row of each group */
    char short_name;      /* 0: long name only */
    const char *name;
    const char *value;    /* the value's name in --help; NULL: a flag */
    long field;           /* offsetof the field in options_t */
    parse_t parse;
    const char *invalid;  /* "... got" when the value does not parse */
    const char *fix;      /* how to write it */
    const char *help;     /* one line per \n */
} option_row_t;

#define AT(member) ((long)offsetof(options_t, member))

static const option_row_t rows[] = {
    {"Problem", 'n', "n", "N", AT(n), positive_int, "-n must be a positive integer, got", "e.g. -n 20000",
     "unknowns (default 20000)"},
    {0, 0, "geometry", "G", AT(geometry), geometry, "unknown geometry", "use sphere, cylinder or grid2d",
     "sphere | cylinder | grid2d (default sphere)"},
    {0, 0, "kernel", "K", AT(kernel), kernel, "unknown kernel", "use laplace, helmholtz, hermitian, sqexp or exp",
     "laplace (real SPD) | helmholtz (complex symmetric, L L^T)\n"
     "| hermitian (complex HPD, L L^H) | sqexp | exp (real SPD covariances)\n"
     "(default laplace)"},
    {0, 0, "seed", "S", AT(seed), seed, "--seed must be a non-negative integer, got", "e.g. --seed 1",
     "seed of the pseudo-random right-hand side (default 1)"},
    {0, 0, "diagonal-shift", "S", AT(diagonal_shift), finite_number, "--diagonal-shift must be a number, got",
     "e.g. 1e-3", "add S to every diagonal entry (default 0)"},
    {0, 0, "mesh", "FILE.msh", AT(mesh_path), keep_text, 0, 0,
     "unknowns are the triangles of a Gmsh MSH 2.2 or 4.1 ASCII surface\n"
     "mesh (laplace, helmholtz, hermitian; replaces -n and --geometry)"},
    {0, 0, "rhs", "B", AT(rhs), keep_text, 0, 0,
     "constant (potential 1: b_i = weight of unknown i), plane-wave\n"
     "(b_i = weight x exp(i k z_i), helmholtz/hermitian) or a file of n\n"
     "values, one per line (\"re im\" if complex), original order\n"
     "(default: pseudo-random in [-1, 1], see --seed)"},
    {0, 0, "nrhs", "K", AT(nrhs), rhs_count, "--nrhs must be an integer in 1..100000, got", "e.g. --nrhs 4",
     "solve K right-hand sides with one factorisation: K values per\n"
     "line in --rhs FILE (2K if complex), K per line in --solution\n"
     "(default 1)"},
    {0, 0, "save-factor", "DIR", AT(save_factor), keep_text, 0, 0,
     "write the factor (one file per rank + metadata) to DIR"},
    {0, 0, "load-factor", "DIR", AT(load_factor), keep_text, 0, 0,
     "solve with the factor saved in DIR instead of factorising (same\n"
     "matrix options, ranks and -P as the save)"},
    {"Factorisation", 0, "nb", "NB", AT(nb), positive_int, "--nb must be a positive integer, got", "e.g. --nb 512",
     "tile size (default: 4.25 sqrt(N) rounded to a multiple of 256 within\n"
     "[512, 2048]; 512 with --dense; at most N/4 on small N)"},
    {0, 'P', "grid-rows", "P", AT(p), positive_int, "-P must be a positive integer, got",
     "it must divide the rank count", "process grid rows; Q = ranks / P (default: most square grid)"},
    {0, 0, "dense", 0, AT(dense), set_on, 0, 0, "keep every tile dense (the dense baseline)"},
    {0, 0, "eps", "EPS", AT(eps), tolerance, "--eps must be a number in (0, 1), got", "e.g. --eps 1e-8",
     "compression tolerance, relative to ||A||_F (default 1e-8)"},
    {0, 0, "compress", "M", AT(compress), compression, "unknown compression", "use aca or svd",
     "how off-diagonal tiles are compressed: aca (cross approximation,\n"
     "each tile checked) | svd (exact truncation of each assembled tile)\n"
     "(default aca)"},
    {0, 0, "binding", "B", AT(binding), binding, "--binding must be auto or starpu, got", "e.g. --binding auto",
     "auto | starpu: the cores of each rank's StarPU threads when\n"
     "ranks share a node (default auto: cores of its own; starpu:\n"
     "StarPU 1.3's, every rank on the node's first cores)"},
    {0, 0, "mpi-polling", "M", AT(mpi_polling), polling, "--mpi-polling must be auto, nap or spin, got",
     "e.g. --mpi-polling auto",
     "auto | nap | spin: StarPU-MPI's progress thread naps between\n"
     "its tests, or polls without pause (default auto: naps when\n"
     "it shares its rank's bound cores with the workers)"},
    {"Memory control", 0, "node-mem", "SIZE", AT(node_mem), capacity, "--node-mem must be a size or none, got",
     "e.g. 512M or 18G", "per-rank capacity of tile memory, e.g. 512M, 18G; a hard cap: a run\n"
     "that would pass it stops with status oom (default: the node's memory\n"
     "divided by its ranks, less the process's own; none: no cap)"},
    {0, 0, "mem-high", "SIZE", AT(mem_high), size, "--mem-high must be a size, got", "e.g. 400M",
     "block submission above this charge (default: the capacity less\n"
     "two tiles)"},
    {0, 0, "mem-low", "SIZE", AT(mem_low), size, "--mem-low must be a size, got", "e.g. 300M",
     "resume below this charge (default: 4 tiles under --mem-high, or\n"
     "halfway down to the charge of the rank's own tiles)"},
    {0, 0, "growth-margin", "F", AT(growth_margin), margin, "--growth-margin must be a fraction >= 0, got",
     "e.g. 0.2", "growth a low-rank tile may undergo, as a fraction of its size\n"
     "(memctl's growth pool and rank reservations; default 0.2)"},
    {0, 0, "reserve", "R", AT(reserve), reserve, "--reserve must be rank or dense, got", "e.g. --reserve rank",
     "rank | dense: what memctl reserves to receive a remote tile: its\n"
     "rank after compression plus the growth margin, or its dense size\n"
     "(default rank)"},
    {0, 0, "plan", 0, AT(plan), set_on, 0, 0,
     "build the tiles, print each rank's memory plan (own tiles, largest\n"
     "step's receptions, least --node-mem, fewest ranks) and stop"},
    {0, 0, "no-memctl", 0, AT(memctl), set_off, 0, 0, "account memory but never block submission"},
    {0, 0, "no-step-sync", 0, AT(no_step_sync), set_on, 0, 0,
     "memctl without step synchronisation: messages may reach a rank\n"
     "before its receive is posted (early data: counted, not bounded)"},
    {0, 0, "task-window", "N", AT(task_window), non_negative_int,
     "--task-window must be a non-negative integer, got", "e.g. --task-window 10000, or 0 for no limit",
     "at most N submitted unfinished tasks per rank, 0 for no limit\n"
     "(default 10000; StarPU holds ~2 KB for each, outside the tiles)"},
    {0, 0, "trace", "FILE.csv", AT(trace_path), keep_text, 0, 0,
     "memctl rows (rank,time,charged,actual,blocked,runtime,early) in\n"
     "FILE.csv and task spans (rank,worker,kind,start,end) in\n"
     "FILE.tasks.csv; with several ranks, .RANK is appended to\n"
     "each file name"},
    {"Output", 0, "check", 0, AT(check), set_on, 0, 0, "compute the backward error against the exact matrix"},
    {0, 0, "json", "FILE", AT(json_path), keep_text, 0, 0, "write the result as one JSON object (- for stdout)"},
    {0, 0, "quiet", 0, AT(quiet), set_on, 0, 0, "no progress lines"},
    {0, 0, "solution", "FILE", AT(solution_path), keep_text, 0, 0,
     "write x, one value per line (\"re im\" if complex), original order"},
    {0, 0, "rhs-out", "FILE", AT(rhs_out_path), keep_text, 0, 0, "write the right-hand side b the same way"},
    {0, 'h', "help", 0, AT(print_instead), show_usage, 0, 0, "this help"},
    {0, 0, "version", 0, AT(print_instead), show_version, 0, 0, "the version of blrchol"},
};

enum { NROWS = sizeof rows / sizeof rows[0], FIRST_ROW = 256 /* getopt_long's value of rows[0] */ };

/* ---- --help ----------------------------------------------------------------- */

/* "  -n, --n N" padded to the help column, then the help's lines. */
static void usage_row(FILE *out, const option_row_t *row)
{
    char flag[64];
    snprintf(flag, sizeof flag, "%c%c%c --%s%s%s", row->short_name ? '-' : ' ', row->short_name ? row->short_name : ' ',
             row->short_name ? ',' : ' ', row->name, row->value ? " " : "", row->value ? row->value : "");
    fprintf(out, "  %-26s ", flag);
    for (const char *line = row->help; *line;) {
        int length = (int)strcspn(line, "\n");
        fprintf(out, "%.*s\n", length, line);
        line += length + (line[length] == '\n');
        if (*line)
            fprintf(out, "%29s", "");
    }
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: mpirun -np RANKS blrchol [options]\n"
                 "Distributed block low-rank Cholesky solver for dense BEM matrices.\n"
                 "\n");
    for (int k = 0; k < NROWS; k++) {
        if (rows[k].group)
            fprintf(out, "%s\n", rows[k].group);
        usage_row(out, &rows[k]);
    }
    fprintf(out, "Capacity defaults: without --node-mem, the watermarks are taken from the machine's\n"
                 "memory divided by the ranks on it. SIZE suffixes K, M, G, T are powers of 1024.\n");
}

/* ---- errors ------------------------------------------------------------------ */

/* "blrchol: WHAT (FIX; see --help)" on stderr when `verbose`; the exit
 * code of a usage error. */
static int usage_error(int verbose, const char *fix, const char *format, ...)
{
    if (verbose) {
        va_list args;
        va_start(args, format);
        fprintf(stderr, "blrchol: ");
        vfprintf(stderr, format, args);
        fprintf(stderr, " (%s; see --help)\n", fix);
        va_end(args);
    }
    return 2;
}

/* A size as the user would write it: the largest suffix it is a whole
 * number of. */
static const char *size_text(size_t bytes, char *buffer, size_t length)
{
    static const char suffixes[] = "KMGT";
    int k = -1;
    while (k + 1 < 4 && bytes % ((size_t)1024 << (10 * (k + 1))) == 0)
        k++;
    if (k < 0)
        snprintf(buffer, length, "%zu", bytes);
    else
        snprintf(buffer, length, "%zu%c", bytes >> (10 * (k + 1)), suffixes[k]);
    return buffer;
}

/* Options each valid alone that do not go together. */
static int check_combination(const options_t *opt, int verbose)
{
    if (opt->plan && (opt->load_factor || opt->save_factor || opt->check))
        return usage_error(verbose, "drop --check, --save-factor and --load-factor with --plan",
                           "--plan builds the tiles and stops: there is no factor to check, save or load");
    if (opt->save_factor && opt->load_factor)
        return usage_error(verbose, "a loaded factor is saved already: drop one", "--save-factor with --load-factor");
    if (opt->mesh_path && bem_kernel_is_covariance(opt->kernel))
        return usage_error(verbose, "use laplace, helmholtz or hermitian",
                           "--mesh takes a boundary-integral kernel, not '%s'", bem_kernel_name(opt->kernel));
    if (opt->rhs && !strcmp(opt->rhs, "plane-wave") && !bem_kernel_is_complex(opt->kernel))
        return usage_error(verbose, "use --kernel helmholtz or hermitian",
                           "--rhs plane-wave needs a wavenumber, not the kernel '%s'", bem_kernel_name(opt->kernel));
    if (opt->mem_high && opt->mem_low && opt->mem_low > opt->mem_high) {
        char low[32], high[32];
        return usage_error(verbose,
                           "the low watermark must not exceed the high one: lower --mem-low or raise --mem-high",
                           "--mem-low %s is above --mem-high %s", size_text(opt->mem_low, low, sizeof low),
                           size_text(opt->mem_high, high, sizeof high));
    }
    return 0;
}

/* ---- parsing ----------------------------------------------------------------- */

/* getopt_long's view of the table: long options, and "n:P:h" style short
 * ones. */
static void getopt_tables(struct option *longs, char *shorts)
{
    char *s = shorts;
    *s++ = ':'; /* a missing value is ':', not '?' */
    for (int k = 0; k < NROWS; k++) {
        longs[k] = (struct option){rows[k].name, rows[k].value ? required_argument : no_argument, 0, FIRST_ROW + k};
        if (rows[k].short_name) {
            *s++ = rows[k].short_name;
            if (rows[k].value)
                *s++ = ':';
        }
    }
    longs[NROWS] = (struct option){0, 0, 0, 0};
    *s = 0;
}

/* The row of what getopt_long returned, -1 for an error. */
static int row_of(int c)
{
    if (c >= FIRST_ROW && c < FIRST_ROW + NROWS)
        return c - FIRST_ROW;
    for (int k = 0; k < NROWS; k++)
        if (rows[k].short_name && rows[k].short_name == c)
            return k;
    return -1;
}

static options_t defaults(void)
{
    return (options_t){.n = 20000, .geometry = BEM_SPHERE, .kernel = BEM_LAPLACE, .nb = 0, .eps = 1e-8,
                       .compress = BLRCHOL_COMPRESS_ACA, .seed = 1, .growth_margin = 0.2, .memctl = 1, .nrhs = 1,
                       .task_window = -1};
}

/* One option of the table: 0, 1 when it ends the run (--help,
 * --version), 2 for a bad value. */
static int apply(options_t *opt, const option_row_t *row, const char *value, int verbose)
{
    if (row->parse(value, (char *)opt + row->field) != 0)
        return usage_error(verbose, row->fix, "%s '%s'", row->invalid, value);
    if (opt->print_instead && verbose)
        opt->print_instead(stdout);
    return opt->print_instead ? 1 : 0;
}

int options_parse(options_t *opt, int argc, char **argv, int verbose)
{
    *opt = defaults();
    struct option longs[NROWS + 1];
    char shorts[2 + 2 * NROWS];
    getopt_tables(longs, shorts);
    opterr = 0;
    /* 0, not 1: glibc then also forgets where it stopped inside a cluster
     * of short options ("-hn"), which points into the previous argv. */
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (c == ':')
            return usage_error(verbose, "every option's value is listed in --help", "missing value for option '%s'",
                               argv[optind - 1]);
        int row = row_of(c);
        if (row < 0)
            return usage_error(verbose, "run blrchol --help", "unknown option '%s'", argv[optind - 1]);
        int outcome = apply(opt, &rows[row], optarg, verbose);
        if (outcome)
            return outcome;
    }
    if (optind < argc)
        return usage_error(verbose, "options start with - or --", "unexpected argument '%s'", argv[optind]);
    return check_combination(opt, verbose);
}
