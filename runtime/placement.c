/*
 * placement.c: which cores a rank's StarPU threads run on when several
 * ranks share a node (measurements: docs/design/placement-and-polling.md).
 *
 * StarPU 1.3 binds CPU worker k to the k-th core of the whole machine and
 * its MPI thread to the next free one, whatever cores the launcher gave
 * the process (STARPU_WORKERS_GETBIND, which respects them, is off by
 * default in 1.3 and on from 1.4): every rank of a node binds its workers
 * to the same first cores, and they take turns on them.
 *
 * So, unless the user set one of StarPU's binding variables, or asked for
 * StarPU's own binding (PLACEMENT_STARPU: that line's default), blrchol
 * sets STARPU_WORKERS_GETBIND itself, the same on either line:
 * - one rank on the node: off, the machine is the rank's, even when the
 *   launcher bound it to one core (Open MPI does for 2 ranks or fewer)
 *   (but for its MPI thread when the workers take every CPU: below);
 * - ranks whose CPU sets (what the launcher allowed) are disjoint:
 *   STARPU_WORKERS_GETBIND, each rank binds inside its own set;
 * - ranks with the same CPU set, at least one CPU each: the set is cut
 *   into consecutive slices in OS order, one per rank, and the thread that
 *   starts StarPU is restricted to its slice before GETBIND reads it (the
 *   MPI thread, when no core of the slice is left for it, inherits the
 *   slice);
 * - anything else (sets that partly overlap, more ranks than CPUs): no
 *   binding at all, the kernel places the threads.
 * StarPU 1.4.x takes a set only when its cores are consecutive in hwloc's
 * logical order, and otherwise binds across the machine (with a warning
 * STARPU_SILENT hides): placement_check then finds the shared CPUs.
 */
#define _GNU_SOURCE
#include "runtime/placement.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <starpu.h>

static const char *placement = "starpu";
static int bound_cpus; /* CPUs of the rank's own set or slice when bound inside it, else 0 */

/* StarPU variables that decide binding: when one is set, the user did. */
static int user_binds(void)
{
    static const char *variables[] = {"STARPU_WORKERS_CPUID",    "STARPU_WORKERS_COREID",   "STARPU_WORKERS_GETBIND",
                                      "STARPU_WORKERS_NOBIND",   "STARPU_MPI_THREAD_CPUID", "STARPU_MPI_THREAD_COREID",
                                      "STARPU_MPI_NOBIND",       "STARPU_MAIN_THREAD_BIND", "STARPU_MAIN_THREAD_CPUID",
                                      "STARPU_MAIN_THREAD_COREID", NULL};
    for (int k = 0; variables[k]; k++)
        if (getenv(variables[k]))
            return 1;
    return 0;
}

/* The `index`-th of `parts` slices of `set`, consecutive in OS order; the
 * first set % parts slices take one CPU more. */
static cpu_set_t slice_of(const cpu_set_t *set, int index, int parts)
{
    const int cpus = CPU_COUNT(set), base = cpus / parts, extra = cpus % parts;
    const int first = index * base + (index < extra ? index : extra);
    const int count = base + (index < extra);
    cpu_set_t slice;
    CPU_ZERO(&slice);
    for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE && seen < first + count; cpu++)
        if (CPU_ISSET(cpu, set)) {
            if (seen >= first)
                CPU_SET(cpu, &slice);
            seen++;
        }
    return slice;
}

/* When the workers asked for take every one of the `cpus` CPUs StarPU
 * binds in, its MPI thread would be bound onto a worker's CPU, with a
 * warning per rank: left unbound, it runs in the same set anyway. */
static void mpi_thread_unbound_if_no_cpu(int cpus)
{
    const char *workers = getenv("STARPU_NCPU");
    if (workers && atoi(workers) >= cpus)
        setenv("STARPU_MPI_NOBIND", "1", 1);
}

/* StarPU binds inside the calling thread's CPU set.  Unless told how many
 * workers, it keeps one CPU of the set for its MPI thread: in a set of one
 * CPU that leaves no worker and starpu_init fails, so one worker then.
 *
 * StarPU also keeps a bus model per host name ($STARPU_HOME/.starpu/
 * sampling/bus/HOST.*) that records the CPUs it saw, and rewrites it at
 * start when they differ: ranks seeing different sets would rewrite the
 * same files at once, and one reading while another writes aborts
 * (check_bus_affinity_file, seen with 4 unbound ranks after a run of 2
 * bound ones).  So each set gets a name of its own: its files are written
 * once and read after. */
static void bind_within(const cpu_set_t *set)
{
    const int cpus = CPU_COUNT(set);
    bound_cpus = cpus;
    setenv("STARPU_WORKERS_GETBIND", "1", 1);
    if (cpus == 1)
        setenv("STARPU_NCPU", "1", 0);
    mpi_thread_unbound_if_no_cpu(cpus);
    int first = -1, last = -1;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, set)) {
            first = first < 0 ? cpu : first;
            last = cpu;
        }
    char host[256] = "host", name[320];
    gethostname(host, sizeof host - 1);
    snprintf(name, sizeof name, "%s.cpus%d-%d.%d", host, first, last, cpus);
    setenv("STARPU_HOSTNAME", name, 0);
}

static const char *unbound(void)
{
    setenv("STARPU_WORKERS_NOBIND", "1", 1);
    setenv("STARPU_MPI_NOBIND", "1", 1);
    return "none";
}

/* Decide for this rank from the CPU sets of the ranks of its node. */
static const char *choose(const cpu_set_t *sets, int ranks_here, int me)
{
    int sharing = 0, index = 0;
    for (int r = 0; r < ranks_here; r++) {
        cpu_set_t common;
        CPU_AND(&common, &sets[r], &sets[me]);
        if (CPU_EQUAL(&sets[r], &sets[me])) {
            index += r < me;
            sharing++;
        } else if (CPU_COUNT(&common) > 0) {
            sharing = 0; /* partly overlapping sets: no slicing is fair to both */
            break;
        }
    }
    if (sharing == 1) {
        bind_within(&sets[me]);
        return "launcher";
    }
    if (sharing > 1 && CPU_COUNT(&sets[me]) >= sharing) {
        cpu_set_t slice = slice_of(&sets[me], index, sharing);
        if (sched_setaffinity(0, sizeof slice, &slice) == 0) {
            bind_within(&slice);
            return "split";
        }
    }
    return unbound();
}

/* The CPU sets `mine` of every rank of this rank's node, in node order
 * (malloc'ed, NULL if out of memory); collective over comm. */
static cpu_set_t *node_cpu_sets(MPI_Comm comm, const cpu_set_t *mine, int *ranks_here, int *me)
{
    MPI_Comm node;
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, ranks_here);
    MPI_Comm_rank(node, me);
    cpu_set_t *sets = malloc(sizeof *sets * *ranks_here);
    if (sets)
        MPI_Allgather(mine, sizeof *mine, MPI_BYTE, sets, sizeof *mine, MPI_BYTE, node);
    MPI_Comm_free(&node);
    return sets;
}

int placement_parse(const char *text, placement_binding_t *binding)
{
    if (strcmp(text, "auto") != 0 && strcmp(text, "starpu") != 0)
        return -1;
    *binding = strcmp(text, "auto") == 0 ? PLACEMENT_AUTO : PLACEMENT_STARPU;
    return 0;
}

void placement_configure(MPI_Comm comm, placement_binding_t binding)
{
    cpu_set_t mine;
    CPU_ZERO(&mine);
    if (sched_getaffinity(0, sizeof mine, &mine) != 0)
        CPU_ZERO(&mine);
    /* Every rank takes part in the gather, whatever it decides. */
    int ranks_here, me;
    cpu_set_t *sets = node_cpu_sets(comm, &mine, &ranks_here, &me);

    if (user_binds())
        placement = "user";
    else if (binding == PLACEMENT_STARPU)
        placement = "starpu";
    else if (ranks_here == 1) {
        placement = "starpu";
        setenv("STARPU_WORKERS_GETBIND", "0", 1);
        mpi_thread_unbound_if_no_cpu(CPU_COUNT(&mine));
    }
    else if (!sets || CPU_COUNT(&mine) == 0)
        placement = unbound(); /* the sets are unknown: no sharing can be planned */
    else
        placement = choose(sets, ranks_here, me);
    free(sets);
}

const char *placement_name(void) { return placement; }
int placement_bound_cpus(void) { return bound_cpus; }

/* ---- what the workers got ------------------------------------------------- */

static pthread_mutex_t workers_lock = PTHREAD_MUTEX_INITIALIZER;

/* Runs on each CPU worker: add the CPUs its thread may run on. */
static void add_worker_cpus(void *arg)
{
    cpu_set_t *all = arg, mine;
    if (sched_getaffinity(0, sizeof mine, &mine) != 0)
        return;
    pthread_mutex_lock(&workers_lock);
    CPU_OR(all, all, &mine);
    pthread_mutex_unlock(&workers_lock);
}

void placement_check(MPI_Comm comm, int *shared_cpus, int *short_ranks)
{
    cpu_set_t mine;
    CPU_ZERO(&mine);
    starpu_execute_on_each_worker(add_worker_cpus, &mine, STARPU_CPU);
    int counts[2] = {0, CPU_COUNT(&mine) < (int)starpu_cpu_worker_get_count()}, totals[2];
    int ranks_here, node_rank;
    cpu_set_t *sets = node_cpu_sets(comm, &mine, &ranks_here, &node_rank);
    /* Counted once per node, by its first rank. */
    for (int cpu = 0; sets && node_rank == 0 && cpu < CPU_SETSIZE; cpu++) {
        int users = 0;
        for (int r = 0; r < ranks_here; r++)
            users += CPU_ISSET(cpu, &sets[r]) != 0;
        counts[0] += users > 1;
    }
    free(sets);
    MPI_Allreduce(counts, totals, 2, MPI_INT, MPI_SUM, comm);
    *shared_cpus = totals[0];
    *short_ranks = totals[1];
}
