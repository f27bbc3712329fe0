/*
 * mpi_polling.h: naps for StarPU-MPI's progress thread when it has no core
 * of its own (mpi_polling.c says how and why).
 */
#ifndef BLRCHOL_MPI_POLLING_H
#define BLRCHOL_MPI_POLLING_H

#include <mpi.h>

typedef enum { MPI_POLLING_AUTO, MPI_POLLING_NAP, MPI_POLLING_SPIN } mpi_polling_mode_t;

/* "auto", "nap" or "spin" into *mode; -1 for any other text. */
int mpi_polling_parse(const char *text, mpi_polling_mode_t *mode);
/* Once StarPU runs: nap or spin as asked, or with MPI_POLLING_AUTO nap
 * when the progress thread shares the CPUs its rank is bound to with the
 * workers. */
void mpi_polling_start(mpi_polling_mode_t mode, int shares_a_bound_core);
/* 1 when the progress thread naps. */
int mpi_polling_napping(void);
/* Naps taken by this process so far (0 when MPI_Test did not interpose). */
long mpi_polling_naps_taken(void);

#endif
