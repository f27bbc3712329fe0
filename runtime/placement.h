/*
 * placement.h: the cores of a rank's StarPU threads when several ranks
 * share a node (placement.c says why StarPU's default binding is wrong
 * there).
 */
#ifndef BLRCHOL_PLACEMENT_H
#define BLRCHOL_PLACEMENT_H

#include <mpi.h>

/* Cores of each rank's own (placement.c), or StarPU's own binding. */
typedef enum { PLACEMENT_AUTO, PLACEMENT_STARPU } placement_binding_t;

/* "auto" or "starpu" into *binding; -1 for any other text. */
int placement_parse(const char *text, placement_binding_t *binding);
/* Before StarPU starts, on every rank of comm together: set StarPU's
 * binding variables for this rank's place on its node, as `binding` asks
 * (unless a STARPU_* binding variable is set: the user's choice). */
void placement_configure(MPI_Comm comm, placement_binding_t binding);
/* What was decided: "starpu", "user" (a STARPU_* binding variable is set),
 * "launcher", "split" or "none" (placement.c). */
const char *placement_name(void);
/* The CPUs of the set or slice this rank's threads are bound inside
 * ("launcher", "split"), 0 when it is not bound to CPUs of its own. */
int placement_bound_cpus(void);
/* Once StarPU runs, on every rank of comm together, from each CPU worker
 * thread's affinity as the kernel reports it: the CPUs that workers of two
 * ranks of one node may both run on, summed over the nodes, and the ranks
 * whose workers outnumber the CPUs they may run on. */
void placement_check(MPI_Comm comm, int *shared_cpus, int *short_ranks);

#endif
