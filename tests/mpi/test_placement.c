/*
 * Where the StarPU workers of ranks that share a node run (runtime/
 * placement.c), read from outside: while blrchol runs under mpirun, the
 * test reads the CPUs each worker thread ("CPU k") of each rank may run
 * on from /proc/PID/task/TID/status, the kernel's own record, and checks
 * the JSON's worker_cpus_shared against it.  StarPU's own binding is the
 * control: there both ranks' workers are on the first core.  Each run is
 * kept to two CPUs (the launcher inherits them), whatever the machine.
 * The CPU time of StarPU-MPI's progress thread, read there too, shows its
 * naps (runtime/mpi_polling.c).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support.h"

#define MAX_SEEN 8

typedef struct {
    int pid;
    long mpi_ticks;    /* CPU time of StarPU-MPI's progress thread ("MPI"), clock ticks */
    int workers;       /* worker threads seen */
    cpu_set_t cpus;    /* the CPUs any of them may run on */
} rank_seen_t;

/* "0-1,3" -> set. */
static void parse_cpu_list(const char *text, cpu_set_t *set)
{
    CPU_ZERO(set);
    while (*text && *text != '\n') {
        char *end;
        long first = strtol(text, &end, 10), last = first;
        if (*end == '-')
            last = strtol(end + 1, &end, 10);
        for (long cpu = first; cpu <= last && cpu < CPU_SETSIZE; cpu++)
            CPU_SET((int)cpu, set);
        text = *end == ',' ? end + 1 : end;
        if (end == text && *text != ',')
            break;
    }
}

static int read_line_after(const char *path, const char *key, char *out, size_t size)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    char line[512];
    int found = -1;
    while (fgets(line, sizeof line, file))
        if (strncmp(line, key, strlen(key)) == 0) {
            snprintf(out, size, "%s", line + strlen(key));
            found = 0;
            break;
        }
    fclose(file);
    return found;
}

static int parent_of(int pid)
{
    char path[64], text[64];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    return read_line_after(path, "PPid:\t", text, sizeof text) == 0 ? atoi(text) : -1;
}

static int descends_from(int pid, int ancestor)
{
    for (int depth = 0; pid > 1 && depth < 16; depth++, pid = parent_of(pid))
        if (pid == ancestor)
            return 1;
    return 0;
}

/* utime + stime of a thread (fields 14 and 15 of its stat line). */
static long thread_cpu_ticks(int pid, const char *tid)
{
    char path[300], line[1024];
    snprintf(path, sizeof path, "/proc/%d/task/%s/stat", pid, tid);
    FILE *file = fopen(path, "r");
    if (!file)
        return 0;
    long ticks = 0;
    if (fgets(line, sizeof line, file)) {
        const char *after_name = strrchr(line, ')');
        long utime = 0, stime = 0;
        /* after ") ": state, then fields 4 to 13, then utime and stime */
        if (after_name && sscanf(after_name + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime,
                                 &stime) == 2)
            ticks = utime + stime;
    }
    fclose(file);
    return ticks;
}

/* The name of a process or thread, from its comm file ("" if gone). */
static void read_name(const char *comm_path, char *name, size_t size)
{
    FILE *file = fopen(comm_path, "r");
    name[0] = 0;
    if (file && !fgets(name, (int)size, file))
        name[0] = 0;
    if (file)
        fclose(file);
}

/* One look at every blrchol process under `launcher`: its worker threads
 * and their CPUs.  Returns the processes seen. */
static int look(int launcher, rank_seen_t *seen)
{
    int count = 0;
    DIR *proc = opendir("/proc");
    struct dirent *entry;
    while (proc && (entry = readdir(proc)) && count < MAX_SEEN) {
        int pid = atoi(entry->d_name);
        char path[300], name[64] = "";
        if (pid <= 0)
            continue;
        snprintf(path, sizeof path, "/proc/%d/comm", pid);
        read_name(path, name, sizeof name);
        if (strcmp(name, "blrchol\n") != 0 || !descends_from(pid, launcher))
            continue;
        rank_seen_t *rank = &seen[count++];
        memset(rank, 0, sizeof *rank);
        rank->pid = pid;
        snprintf(path, sizeof path, "/proc/%d/task", pid);
        DIR *tasks = opendir(path);
        struct dirent *task;
        while (tasks && (task = readdir(tasks))) {
            char thread[300], list[256];
            snprintf(thread, sizeof thread, "/proc/%d/task/%s/comm", pid, task->d_name);
            read_name(thread, name, sizeof name);
            if (strcmp(name, "MPI\n") == 0)
                rank->mpi_ticks = thread_cpu_ticks(pid, task->d_name);
            if (strncmp(name, "CPU ", 4) != 0)
                continue;
            snprintf(thread, sizeof thread, "/proc/%d/task/%s/status", pid, task->d_name);
            cpu_set_t worker_cpus;
            if (read_line_after(thread, "Cpus_allowed_list:\t", list, sizeof list) != 0)
                continue;
            parse_cpu_list(list, &worker_cpus);
            CPU_OR(&rank->cpus, &rank->cpus, &worker_cpus);
            rank->workers++;
        }
        if (tasks)
            closedir(tasks);
    }
    if (proc)
        closedir(proc);
    return count;
}

/* The node of these tests: the first two CPUs this process may use. */
static void keep_to_two_cpus(void)
{
    cpu_set_t all, two;
    CPU_ZERO(&two);
    if (sched_getaffinity(0, sizeof all, &all) != 0)
        return;
    for (int cpu = 0, kept = 0; cpu < CPU_SETSIZE && kept < 2; cpu++)
        if (CPU_ISSET(cpu, &all)) {
            CPU_SET(cpu, &two);
            kept++;
        }
    sched_setaffinity(0, sizeof two, &two);
}

typedef struct {
    char *json;
    int ranks_seen;
    rank_seen_t rank[MAX_SEEN];
} observed_t;

/* Run "MPIRUN_OPTIONS ./blrchol ARGS --quiet --json FILE" on `ranks`
 * ranks and look at its workers every 20 ms while it runs; the last look
 * that found every rank with `workers` workers is kept (the binding is
 * made as the workers start and never changes after). */
static observed_t run_and_look(int ranks, int workers, const char *mpirun_options, const char *args)
{
    observed_t seen = {0};
    char json_path[256], command[1024], output[256];
    temp_path(json_path, sizeof json_path, ".json");
    temp_path(output, sizeof output, ".out");
    snprintf(command, sizeof command, "%s ./blrchol %s --quiet --json %s", mpirun_options, args, json_path);
    pid_t child = fork();
    cr_assert(child >= 0);
    if (child == 0) {
        if (!freopen(output, "w", stdout) || !freopen(output, "a", stderr))
            _exit(127);
        keep_to_two_cpus();
        _exit(run_mpi(ranks, command, NULL));
    }
    int status = 0;
    for (;;) {
        rank_seen_t now[MAX_SEEN];
        int count = look(child, now), complete = count == ranks;
        for (int r = 0; r < count; r++)
            complete = complete && now[r].workers == workers;
        if (complete) {
            memcpy(seen.rank, now, sizeof now);
            seen.ranks_seen = count;
        }
        if (waitpid(child, &status, WNOHANG) == child)
            break;
        usleep(20000);
    }
    char *text = slurp(output);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: exit %d\n%s", command, WEXITSTATUS(status),
              text ? text : "");
    free(text);
    seen.json = slurp(json_path);
    cr_assert(seen.json, "no JSON from %s", command);
    cr_assert_eq(seen.ranks_seen, ranks, "%s: the workers of %d ranks seen, not %d", command, seen.ranks_seen, ranks);
    unlink(json_path);
    unlink(output);
    return seen;
}

/* CPUs that the workers of two or more of the ranks seen may run on. */
static int shared_cpus(const observed_t *seen)
{
    int shared = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        int users = 0;
        for (int r = 0; r < seen->ranks_seen; r++)
            users += CPU_ISSET(cpu, &seen->rank[r].cpus) != 0;
        shared += users > 1;
    }
    return shared;
}

#define PROBLEM "-n 10000 --eps 1e-6"

/* The launcher gave both ranks the whole node: blrchol cuts it in two. */
Test(placement, ranks_sharing_a_cpu_set_get_slices_of_it, .timeout = 300)
{
    observed_t seen = run_and_look(2, 1, "--bind-to none", PROBLEM);
    cr_assert(json_has_string(seen.json, "binding", "split"), "%s", seen.json);
    for (int r = 0; r < 2; r++)
        cr_assert(CPU_COUNT(&seen.rank[r].cpus) >= 1, "rank process %d: its worker may run nowhere", seen.rank[r].pid);
    cr_assert_eq(shared_cpus(&seen), 0, "workers of both ranks may run on %d CPUs", shared_cpus(&seen));
    cr_assert_eq(json_number(seen.json, "worker_cpus_shared"), 0, "%s", seen.json);
    free(seen.json);
}

/* The launcher bound each rank to a core of its own: blrchol keeps to it. */
Test(placement, ranks_bound_by_the_launcher_stay_in_their_cores, .timeout = 300)
{
    observed_t seen = run_and_look(2, 1, "--bind-to core --map-by core", PROBLEM);
    cr_assert(json_has_string(seen.json, "binding", "launcher"), "%s", seen.json);
    cr_assert_eq(shared_cpus(&seen), 0);
    for (int r = 0; r < 2; r++)
        cr_assert_eq(CPU_COUNT(&seen.rank[r].cpus), 1, "bound to a core, the worker of process %d may run on %d CPUs",
                     seen.rank[r].pid, CPU_COUNT(&seen.rank[r].cpus));
    cr_assert_eq(json_number(seen.json, "worker_cpus_shared"), 0, "%s", seen.json);
    free(seen.json);
}

/* The control: StarPU 1.3's own binding puts both workers on one core,
 * which the test sees and the JSON counts. */
Test(placement, starpu_binding_stacks_the_ranks_and_is_reported, .timeout = 300)
{
    observed_t seen = run_and_look(2, 1, "--bind-to none", PROBLEM " --binding starpu");
    cr_assert(json_has_string(seen.json, "binding", "starpu"), "%s", seen.json);
    cr_assert_eq(shared_cpus(&seen), 1, "StarPU's binding: both workers on the first core, seen on %d shared CPUs",
                 shared_cpus(&seen));
    cr_assert_eq(json_number(seen.json, "worker_cpus_shared"), shared_cpus(&seen), "%s", seen.json);
    free(seen.json);
}

/* One rank on the node, which the launcher bound to one core: its two
 * workers still get the node's two CPUs, on StarPU 1.3 and on 1.4 (whose
 * STARPU_WORKERS_GETBIND, on by default, would confine them to the core). */
Test(placement, a_rank_alone_on_its_node_gets_the_machine, .timeout = 300)
{
    observed_t seen = run_and_look(1, 2, "--bind-to core -x STARPU_NCPU=2", PROBLEM);
    cr_assert(json_has_string(seen.json, "binding", "starpu"), "%s", seen.json);
    cr_assert_eq(json_number(seen.json, "starpu_workers_getbind"), 0, "%s", seen.json);
    cr_assert_eq(CPU_COUNT(&seen.rank[0].cpus), 2, "the rank's 2 workers may run on %d CPUs",
                 CPU_COUNT(&seen.rank[0].cpus));
    cr_assert_eq(json_number(seen.json, "ranks_short_of_cpus"), 0, "%s", seen.json);
    free(seen.json);
}

/* Two workers per rank in one core each: said in the JSON, as seen. */
Test(placement, more_workers_than_cpus_is_reported, .timeout = 300)
{
    observed_t seen = run_and_look(2, 2, "--bind-to core --map-by core -x STARPU_NCPU=2", PROBLEM);
    int short_ranks = 0;
    for (int r = 0; r < 2; r++)
        short_ranks += CPU_COUNT(&seen.rank[r].cpus) < seen.rank[r].workers;
    cr_assert_eq(short_ranks, 2, "each rank's 2 workers are confined to its one core");
    cr_assert_eq(json_number(seen.json, "ranks_short_of_cpus"), short_ranks, "%s", seen.json);
    free(seen.json);
}

/* More ranks than CPUs: no slices to give, the kernel places the threads
 * and the report says they share. */
Test(placement, more_ranks_than_cpus_are_left_unbound, .timeout = 300)
{
    const int ranks = 3;
    observed_t seen = run_and_look(ranks, 1, "--bind-to none", "-n 6000 --eps 1e-6");
    cr_assert(json_has_string(seen.json, "binding", "none"), "%s", seen.json);
    for (int r = 0; r < ranks; r++)
        cr_assert_eq(CPU_COUNT(&seen.rank[r].cpus), 2, "unbound, a worker may run on both CPUs");
    cr_assert_eq(json_number(seen.json, "worker_cpus_shared"), shared_cpus(&seen), "%s", seen.json);
    free(seen.json);
}

/* blrchol run with VARIABLE=value in its environment: exit 2, `message`. */
static void expect_bad_environment(const char *assignment, const char *message)
{
    char command[256], *output = NULL;
    snprintf(command, sizeof command, "-x %s ./blrchol -n 1000", assignment);
    int code = run_mpi(1, command, &output);
    cr_assert_eq(code, 2, "%s: %s", assignment, output);
    cr_assert(strstr(output, message), "%s: %s", assignment, output);
    free(output);
}

Test(placement, bad_binding_is_a_usage_error, .timeout = 60)
{
    expect_usage_error(1, "--binding fast", "--binding must be auto or starpu");
    expect_bad_environment("BLRCHOL_BINDING=fast", "BLRCHOL_BINDING must be auto or starpu");
}

static long mpi_thread_ticks(const observed_t *seen)
{
    long ticks = 0;
    for (int r = 0; r < seen->ranks_seen; r++)
        ticks += seen->rank[r].mpi_ticks;
    return ticks;
}

/* 2 ranks bound to a core each, a worker each: the progress thread shares
 * the worker's core and naps; forced to spin, it takes several times the
 * CPU time; both give the same answer. */
Test(placement, progress_thread_naps_when_it_shares_a_core, .timeout = 300)
{
    const char *launcher = "--bind-to core --map-by core";
    observed_t napping = run_and_look(2, 1, launcher, PROBLEM " --check");
    observed_t spinning = run_and_look(2, 1, launcher, PROBLEM " --check --mpi-polling spin");
    cr_assert(json_has_string(napping.json, "mpi_polling", "nap"), "%s", napping.json);
    cr_assert(json_has_string(spinning.json, "mpi_polling", "spin"), "%s", spinning.json);
    cr_assert(json_number(napping.json, "mpi_naps") > 0, "%s", napping.json);
    cr_assert_eq(json_number(spinning.json, "mpi_naps"), 0, "%s", spinning.json);
    const long nap_ticks = mpi_thread_ticks(&napping), spin_ticks = mpi_thread_ticks(&spinning);
    cr_assert(spin_ticks >= 20, "spinning, the progress threads used only %ld ticks", spin_ticks);
    cr_assert(2 * nap_ticks < spin_ticks, "progress threads: %ld ticks napping, %ld spinning", nap_ticks, spin_ticks);
    const double napped = json_number(napping.json, "backward_error"), spun = json_number(spinning.json, "backward_error");
    cr_assert(napped < 1e-8 && spun < 1e-8 && napped < 2 * spun && spun < 2 * napped,
              "backward errors %.3g napping, %.3g spinning", napped, spun);
    free(napping.json);
    free(spinning.json);
}

/* More ranks than cores, unbound: naps made it slower (mpi_polling.c), so
 * the progress threads spin unless told to nap. */
Test(placement, unbound_ranks_spin_unless_told, .timeout = 300)
{
    observed_t spinning = run_and_look(3, 1, "--bind-to none", "-n 6000 --eps 1e-6");
    observed_t napping = run_and_look(3, 1, "--bind-to none", "-n 6000 --eps 1e-6 --mpi-polling nap");
    cr_assert(json_has_string(spinning.json, "mpi_polling", "spin"), "%s", spinning.json);
    cr_assert_eq(json_number(spinning.json, "mpi_naps"), 0, "%s", spinning.json);
    cr_assert(json_has_string(napping.json, "mpi_polling", "nap"), "%s", napping.json);
    cr_assert(json_number(napping.json, "mpi_naps") > 0, "%s", napping.json);
    free(spinning.json);
    free(napping.json);
}

Test(placement, bad_mpi_polling_is_a_usage_error, .timeout = 60)
{
    expect_usage_error(1, "--mpi-polling sometimes", "--mpi-polling must be auto, nap or spin");
    expect_bad_environment("BLRCHOL_MPI_POLLING=sometimes", "BLRCHOL_MPI_POLLING auto, nap or spin");
}
