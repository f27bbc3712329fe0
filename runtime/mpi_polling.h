/*
 * mpi_polling.h: naps for StarPU-MPI's progress thread when it has no core
 * of its own (mpi_polling.c says how and why).
 */
#ifndef BLRCHOL_MPI_POLLING_H
#define BLRCHOL_MPI_POLLING_H

#include <mpi.h>

/* Before StarPU starts: BLRCHOL_MPI_POLLING in the environment is unset,
 * "auto", "nap" or "spin"; -1 for any other value. */
int mpi_polling_check(void);
/* Once StarPU runs: nap as asked, or with "auto" when the progress
 * thread shares the CPUs its rank is bound to with the workers. */
void mpi_polling_start(int shares_a_bound_core);
/* 1 when the progress thread naps. */
int mpi_polling_napping(void);
/* Naps taken by this process so far (0 when MPI_Test did not interpose). */
long mpi_polling_naps_taken(void);

#endif
