/*
 * starpu_settings.h: the StarPU and StarPU-MPI settings whose defaults
 * changed between StarPU 1.3 and 1.4, decided by blrchol for either line
 * before StarPU starts (a variable the user set always wins), and the
 * values in force, for the report (docs/design/starpu-mpi.md, "StarPU
 * versions").
 */
#ifndef BLRCHOL_STARPU_SETTINGS_H
#define BLRCHOL_STARPU_SETTINGS_H

typedef struct {
    char version[16];          /* of the StarPU library this process runs, e.g. "1.4.12" */
    int workers_getbind;       /* STARPU_WORKERS_GETBIND: 1 when workers bind inside the CPU set StarPU starts in */
    int ndetached_send;        /* STARPU_MPI_NDETACHED_SEND: sends packed at a time */
    int mem_throttle;          /* STARPU_MPI_MEM_THROTTLE (StarPU 1.4 on): 1 when receives wait for StarPU's memory */
    int thread_multiple_send;  /* STARPU_MPI_THREAD_MULTIPLE_SEND (1.4 on): 1 when workers pack and send too */
} starpu_settings_t;

/* 0 when the environment holds a setting blrchol cannot run with: a send
 * window that is not a positive integer. */
int starpu_settings_valid(void);
/* Before StarPU starts: blrchol's choice for each setting the user left
 * unset. */
void starpu_settings_apply(void);
/* The settings StarPU reads from the environment as it is now. */
starpu_settings_t starpu_settings_in_force(void);

#endif
