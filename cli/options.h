/* options.h: the command line of blrchol. */
#ifndef BLRCHOL_OPTIONS_H
#define BLRCHOL_OPTIONS_H

#include <stddef.h>
#include <stdio.h>
#include "bem/bem.h"
#include "include/blrchol.h"

typedef void (*options_print_t)(FILE *out);

typedef struct options {
    int n;
    bem_geometry_t geometry;
    bem_kernel_t kernel;
    int nb;
    int p;                   /* grid rows; 0: most square */
    int dense;               /* --dense: every tile dense (the baseline) */
    double eps;
    blrchol_compress_t compress; /* ACA or SVD for off-diagonal tiles */
    int check;
    const char *json_path;   /* NULL: none; "-": stdout */
    unsigned long seed;
    int quiet;
    const char *solution_path; /* --solution: x in the original numbering */
    const char *rhs_out_path;  /* --rhs-out: the b that was solved for */
    double diagonal_shift;     /* --diagonal-shift: added to every A_ii */
    const char *mesh_path;     /* --mesh: Gmsh triangles instead of --geometry (laplace) */
    const char *rhs;           /* --rhs: NULL (pseudo-random), "constant", or a file */
    int nrhs;                  /* --nrhs: right-hand sides solved with one factorisation */
    const char *save_factor;   /* --save-factor DIR */
    const char *load_factor;   /* --load-factor DIR: solve without factorising */
    /* memory control */
    size_t node_mem;         /* 0: no capacity */
    size_t mem_high, mem_low;/* 0: derived */
    double growth_margin;
    int memctl;
    int no_step_sync;
    blrchol_reserve_t reserve; /* --reserve: rank (default) or dense */
    int plan;                /* --plan: the memory plan, no factorisation */
    int task_window;         /* --task-window: -1 not given, 0 no limit */
    const char *binding;     /* --binding: NULL not given, "auto" or "starpu" */
    const char *mpi_polling; /* --mpi-polling: NULL not given, "auto", "nap" or "spin" */
    const char *trace_path;
    options_print_t print_instead; /* --help, --version: printed, and no run */
} options_t;

/* 0: run; 1: --help or --version printed, exit 0; 2: bad usage, message printed (by
 * rank 0 only when `verbose`), exit 2. */
int options_parse(options_t *opt, int argc, char **argv, int verbose);

#endif
