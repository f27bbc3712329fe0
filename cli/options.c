#include "cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memctl/memctl.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: mpirun -np RANKS blrchol [options]\n"
            "Distributed block low-rank Cholesky solver for dense BEM matrices.\n"
            "\n"
            "Problem\n"
            "  -n, --n N                  unknowns (default 20000)\n"
            "      --geometry G           sphere | cylinder | grid2d (default sphere)\n"
            "      --kernel K             laplace (real SPD) | helmholtz (complex symmetric, L L^T)\n"
            "                             | hermitian (complex HPD, L L^H) | sqexp (real SPD) (default laplace)\n"
            "      --seed S               seed of the pseudo-random right-hand side (default 1)\n"
            "      --diagonal-shift S     add S to every diagonal entry (default 0)\n"
            "      --mesh FILE.msh        unknowns are the triangles of a Gmsh MSH 2.2 or 4.1 ASCII surface\n"
            "                             mesh (laplace, helmholtz, hermitian; replaces -n and --geometry)\n"
            "      --rhs B                constant (potential 1: b_i = weight of unknown i), plane-wave\n"
            "                             (b_i = weight x exp(i k z_i), helmholtz/hermitian) or a file of n\n"
            "                             values, one per line (\"re im\" if complex), original order\n"
            "                             (default: pseudo-random in [-1, 1], see --seed)\n"
            "      --nrhs K               solve K right-hand sides with one factorisation: K values per\n"
            "                             line in --rhs FILE (2K if complex), K per line in --solution\n"
            "                             (default 1)\n"
            "      --save-factor DIR      write the factor (one file per rank + metadata) to DIR\n"
            "      --load-factor DIR      solve with the factor saved in DIR instead of factorising (same\n"
            "                             matrix options, ranks and -P as the save)\n"
            "Factorisation\n"
            "      --nb NB                tile size (default 512)\n"
            "  -P, --grid-rows P          process grid rows; Q = ranks / P (default: most square grid)\n"
            "      --dense                keep every tile dense (the dense baseline)\n"
            "      --eps EPS              compression tolerance, relative to ||A||_F (default 1e-8)\n"
            "      --compress M           aca | svd: how off-diagonal tiles are compressed (default aca)\n"
            "      --binding B            auto | starpu: the cores of each rank's StarPU threads when\n"
            "                             ranks share a node (default auto: cores of its own; starpu:\n"
            "                             StarPU 1.3's, every rank on the node's first cores)\n"
            "      --mpi-polling M        auto | nap | spin: StarPU-MPI's progress thread naps between\n"
            "                             its tests, or polls without pause (default auto: naps when\n"
            "                             it shares its rank's bound cores with the workers)\n"
            "Memory control\n"
            "      --node-mem SIZE        per-rank capacity of tile memory, e.g. 512M, 18G (default: none)\n"
            "      --mem-high SIZE        block submission above this charge (default 75%% of the capacity)\n"
            "      --mem-low SIZE         resume below this charge (default 66%% of the capacity)\n"
            "      --growth-margin F      local tiles charged at size x (1 + F) (default 0.2)\n"
            "      --no-memctl            account memory but never block submission\n"
            "      --no-step-sync         memctl without step synchronisation: messages may reach a rank\n"
            "                             before its receive is posted (early data: counted, not bounded)\n"
            "      --task-window N        at most N submitted unfinished tasks per rank, 0 for no limit\n"
            "                             (default 10000; StarPU holds ~2 KB for each, outside the tiles)\n"
            "      --trace FILE.csv       memctl rows (rank,time,charged,actual,blocked,runtime,early) in\n"
            "                             FILE.csv and task spans (rank,worker,kind,start,end) in\n"
            "                             FILE.tasks.csv; with several ranks, .RANK is appended to\n"
            "                             each file name\n"
            "Output\n"
            "      --check                compute the backward error against the exact matrix\n"
            "      --json FILE            write the result as one JSON object (- for stdout)\n"
            "      --quiet                no progress lines\n"
            "      --solution FILE        write x, one value per line (\"re im\" if complex), original order\n"
            "      --rhs-out FILE         write the right-hand side b the same way\n"
            "  -h, --help                 this help\n"
            "Capacity defaults: without --node-mem, the watermarks are taken from the machine's\n"
            "memory divided by the ranks on it. SIZE suffixes K, M, G, T are powers of 1024.\n");
}

static int bad(int verbose, const char *what, const char *value, const char *fix)
{
    if (verbose)
        fprintf(stderr, "blrchol: %s '%s' (%s; see --help)\n", what, value, fix);
    return 2;
}

static int parse_int(const char *text, int *out)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end || value < -2147483647L || value > 2147483647L)
        return -1;
    *out = (int)value;
    return 0;
}

static int parse_double(const char *text, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    return (errno || end == text || *end) ? -1 : 0;
}

enum {
    OPT_GEOMETRY = 256, OPT_KERNEL, OPT_NB, OPT_DENSE, OPT_EPS, OPT_COMPRESS, OPT_CHECK, OPT_JSON, OPT_SEED,
    OPT_QUIET, OPT_NODE_MEM, OPT_MEM_HIGH, OPT_MEM_LOW, OPT_GROWTH, OPT_NO_MEMCTL, OPT_NO_STEP_SYNC, OPT_TRACE, OPT_SOLUTION, OPT_RHS_OUT, OPT_SHIFT,
    OPT_MESH, OPT_RHS, OPT_NRHS, OPT_SAVE_FACTOR, OPT_LOAD_FACTOR, OPT_TASK_WINDOW,
    OPT_BINDING, OPT_MPI_POLLING
};

int options_parse(options_t *opt, int argc, char **argv, int verbose)
{
    *opt = (options_t){.n = 20000, .geometry = BEM_SPHERE, .kernel = BEM_LAPLACE, .nb = 512, .eps = 1e-8,
                       .compress = BLRCHOL_COMPRESS_ACA, .seed = 1, .growth_margin = 0.2, .memctl = 1, .nrhs = 1,
                       .task_window = -1};
    static const struct option longopts[] = {
        {"n", required_argument, 0, 'n'},          {"geometry", required_argument, 0, OPT_GEOMETRY},
        {"kernel", required_argument, 0, OPT_KERNEL}, {"nb", required_argument, 0, OPT_NB},
        {"grid-rows", required_argument, 0, 'P'},  {"dense", no_argument, 0, OPT_DENSE},
        {"eps", required_argument, 0, OPT_EPS},    {"compress", required_argument, 0, OPT_COMPRESS},
        {"check", no_argument, 0, OPT_CHECK},      {"json", required_argument, 0, OPT_JSON},
        {"seed", required_argument, 0, OPT_SEED},  {"quiet", no_argument, 0, OPT_QUIET},
        {"node-mem", required_argument, 0, OPT_NODE_MEM}, {"mem-high", required_argument, 0, OPT_MEM_HIGH},
        {"mem-low", required_argument, 0, OPT_MEM_LOW}, {"growth-margin", required_argument, 0, OPT_GROWTH},
        {"no-memctl", no_argument, 0, OPT_NO_MEMCTL},
        {"no-step-sync", no_argument, 0, OPT_NO_STEP_SYNC}, {"trace", required_argument, 0, OPT_TRACE},
        {"task-window", required_argument, 0, OPT_TASK_WINDOW}, {"binding", required_argument, 0, OPT_BINDING},
        {"mpi-polling", required_argument, 0, OPT_MPI_POLLING},
        {"solution", required_argument, 0, OPT_SOLUTION}, {"rhs-out", required_argument, 0, OPT_RHS_OUT},
        {"diagonal-shift", required_argument, 0, OPT_SHIFT}, {"mesh", required_argument, 0, OPT_MESH},
        {"rhs", required_argument, 0, OPT_RHS},         {"nrhs", required_argument, 0, OPT_NRHS},
        {"save-factor", required_argument, 0, OPT_SAVE_FACTOR}, {"load-factor", required_argument, 0, OPT_LOAD_FACTOR},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0}};
    opterr = 0;
    /* 0, not 1: glibc then also forgets where it stopped inside a cluster
     * of short options ("-hn"), which points into the previous argv. */
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":n:P:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_int(optarg, &opt->n) || opt->n < 1)
                return bad(verbose, "-n must be a positive integer, got", optarg, "e.g. -n 20000");
            break;
        case OPT_GEOMETRY:
            if (bem_geometry_parse(optarg, &opt->geometry))
                return bad(verbose, "unknown geometry", optarg, "use sphere, cylinder or grid2d");
            break;
        case OPT_KERNEL:
            if (bem_kernel_parse(optarg, &opt->kernel))
                return bad(verbose, "unknown kernel", optarg, "use laplace, helmholtz, hermitian or sqexp");
            break;
        case OPT_NB:
            if (parse_int(optarg, &opt->nb) || opt->nb < 1)
                return bad(verbose, "--nb must be a positive integer, got", optarg, "e.g. --nb 512");
            break;
        case 'P':
            if (parse_int(optarg, &opt->p) || opt->p < 1)
                return bad(verbose, "-P must be a positive integer, got", optarg, "it must divide the rank count");
            break;
        case OPT_DENSE: opt->dense = 1; break;
        case OPT_EPS:
            if (parse_double(optarg, &opt->eps) || !(opt->eps > 0 && opt->eps < 1))
                return bad(verbose, "--eps must be a number in (0, 1), got", optarg, "e.g. --eps 1e-8");
            break;
        case OPT_COMPRESS:
            if (!strcmp(optarg, "aca"))
                opt->compress = BLRCHOL_COMPRESS_ACA;
            else if (!strcmp(optarg, "svd"))
                opt->compress = BLRCHOL_COMPRESS_SVD;
            else
                return bad(verbose, "unknown compression", optarg, "use aca or svd");
            break;
        case OPT_CHECK: opt->check = 1; break;
        case OPT_JSON: opt->json_path = optarg; break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            opt->seed = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end)
                return bad(verbose, "--seed must be a non-negative integer, got", optarg, "e.g. --seed 1");
            break;
        }
        case OPT_QUIET: opt->quiet = 1; break;
        case OPT_NODE_MEM:
            if (memctl_parse_size(optarg, &opt->node_mem) || opt->node_mem == 0)
                return bad(verbose, "--node-mem must be a size, got", optarg, "e.g. 512M or 18G");
            break;
        case OPT_MEM_HIGH:
            if (memctl_parse_size(optarg, &opt->mem_high) || opt->mem_high == 0)
                return bad(verbose, "--mem-high must be a size, got", optarg, "e.g. 400M");
            break;
        case OPT_MEM_LOW:
            if (memctl_parse_size(optarg, &opt->mem_low) || opt->mem_low == 0)
                return bad(verbose, "--mem-low must be a size, got", optarg, "e.g. 300M");
            break;
        case OPT_GROWTH:
            if (parse_double(optarg, &opt->growth_margin) || !(opt->growth_margin >= 0 && opt->growth_margin <= 100))
                return bad(verbose, "--growth-margin must be a fraction >= 0, got", optarg, "e.g. 0.2");
            break;
        case OPT_NO_MEMCTL: opt->memctl = 0; break;
        case OPT_NO_STEP_SYNC: opt->no_step_sync = 1; break;
        case OPT_TASK_WINDOW:
            if (parse_int(optarg, &opt->task_window) || opt->task_window < 0)
                return bad(verbose, "--task-window must be a non-negative integer, got", optarg,
                           "e.g. --task-window 10000, or 0 for no limit");
            break;
        case OPT_BINDING:
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "starpu") != 0)
                return bad(verbose, "--binding must be auto or starpu, got", optarg, "e.g. --binding auto");
            opt->binding = optarg;
            break;
        case OPT_MPI_POLLING:
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "nap") != 0 && strcmp(optarg, "spin") != 0)
                return bad(verbose, "--mpi-polling must be auto, nap or spin, got", optarg, "e.g. --mpi-polling auto");
            opt->mpi_polling = optarg;
            break;
        case OPT_TRACE: opt->trace_path = optarg; break;
        case OPT_SOLUTION: opt->solution_path = optarg; break;
        case OPT_RHS_OUT: opt->rhs_out_path = optarg; break;
        case OPT_MESH: opt->mesh_path = optarg; break;
        case OPT_RHS: opt->rhs = optarg; break;
        case OPT_SAVE_FACTOR: opt->save_factor = optarg; break;
        case OPT_LOAD_FACTOR: opt->load_factor = optarg; break;
        case OPT_NRHS:
            if (parse_int(optarg, &opt->nrhs) || opt->nrhs < 1 || opt->nrhs > 100000)
                return bad(verbose, "--nrhs must be an integer in 1..100000, got", optarg, "e.g. --nrhs 4");
            break;
        case OPT_SHIFT:
            if (parse_double(optarg, &opt->diagonal_shift) || !isfinite(opt->diagonal_shift))
                return bad(verbose, "--diagonal-shift must be a number, got", optarg, "e.g. 1e-3");
            break;
        case 'h':
            if (verbose)
                usage(stdout);
            return 1;
        case ':':
            return bad(verbose, "missing value for option", argv[optind - 1], "every option's value is listed in --help");
        default:
            return bad(verbose, "unknown option", argv[optind - 1], "run blrchol --help");
        }
    }
    if (optind < argc)
        return bad(verbose, "unexpected argument", argv[optind], "options start with - or --");
    if (opt->save_factor && opt->load_factor)
        return bad(verbose, "--save-factor with --load-factor:", "", "a loaded factor is saved already: drop one");
    if (opt->mesh_path && opt->kernel == BEM_SQEXP)
        return bad(verbose, "--mesh takes a boundary-integral kernel, not", bem_kernel_name(opt->kernel),
                   "use laplace, helmholtz or hermitian");
    if (opt->rhs && !strcmp(opt->rhs, "plane-wave") && !bem_kernel_is_complex(opt->kernel))
        return bad(verbose, "--rhs plane-wave needs a wavenumber, not the kernel", bem_kernel_name(opt->kernel),
                   "use --kernel helmholtz or hermitian");
    if (opt->mem_high && opt->mem_low && opt->mem_low > opt->mem_high)
        return bad(verbose, "--mem-low is above --mem-high:", "", "the low watermark must not exceed the high one");
    return 0;
}
