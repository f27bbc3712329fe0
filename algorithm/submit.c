#include "algorithm/submit.h"

#include <starpu_mpi.h>

#include "algorithm/algorithms.h"

static int (*reserve_hook)(long index, size_t dense_bytes);

void blr_set_reserve_hook(int (*reserve)(long index, size_t dense_bytes)) { reserve_hook = reserve; }

static size_t tile_dense_size(const desc_t *A, int i, int j)
{
    return (size_t)desc_tile_rows(A, i) * desc_tile_rows(A, j) * A->elem_size;
}

/* Reserve tile (i, j) for a reception here and post the receive now,
 * unless it is local or already received (cached). */
static int prepost(desc_t *A, int i, int j)
{
    if (i < 0 || desc_is_mine(A, i, j))
        return 0;
    starpu_data_handle_t handle = desc_tile(A, i, j);
    if (starpu_mpi_cached_receive(handle))
        return 0;
    if (reserve_hook && reserve_hook(desc_index(A, i, j), tile_dense_size(A, i, j)))
        return -1;
    /* Marks the copy as received for StarPU-MPI's cache, so that the
     * task_insert of its readers posts no second receive. */
    if (!starpu_mpi_cached_receive_set(handle))
        starpu_mpi_irecv_detached(handle, desc_owner(A, i, j), starpu_mpi_data_get_tag(handle), A->comm, NULL, NULL);
    return 0;
}

int submit_step_receptions(desc_t *A, int j, step_reads_t reads)
{
    const int nt = A->nt;
    for (int i = j + 1; i < nt; i++) {
        if (reads == STEP_DIAGONAL) {
            if (desc_is_mine(A, i, j) && prepost(A, j, j))          /* TRSM(i, j) reads L_jj */
                return -1;
            continue;
        }
        if (desc_is_mine(A, i, i) && prepost(A, i, j))              /* SYRK(i, i) reads L_ij */
            return -1;
        for (int k = j + 1; k < i; k++)                             /* GEMM(i, k) reads L_ij, L_kj */
            if (desc_is_mine(A, i, k) && (prepost(A, i, j) || prepost(A, k, j)))
                return -1;
    }
    return 0;
}

int submit_task(desc_t *A, struct starpu_codelet *cl, const struct kernel_args *args, int priority, int wi,
                int wj, int r1i, int r1j, int r2i, int r2j)
{
    int executor = desc_owner(A, wi, wj);
    int reads[2][2] = {{r1i, r1j}, {r2i, r2j}};
    int nreads = r2i >= 0 ? 2 : r1i >= 0 ? 1 : 0;
    int involved = executor == A->rank;
    for (int r = 0; r < nreads; r++)
        involved |= desc_owner(A, reads[r][0], reads[r][1]) == A->rank;
    if (!involved)
        return 0;
    /* Charge memctl before StarPU-MPI posts the receive: the reservation
     * may block this thread until memory is released.  A tile still in
     * StarPU-MPI's receive cache is not received again. */
    if (executor == A->rank && reserve_hook)
        for (int r = 0; r < nreads; r++) {
            int i = reads[r][0], j = reads[r][1];
            if (desc_is_mine(A, i, j))
                continue;
            starpu_data_handle_t cached = A->tiles[desc_index(A, i, j)];
            if (cached && starpu_mpi_cached_receive(cached))
                continue;
            if (reserve_hook(desc_index(A, i, j), tile_dense_size(A, i, j)))
                return -1;
        }
    starpu_data_handle_t written = desc_tile(A, wi, wj);
    /* Not STARPU_SSEND: synchronous sends would keep a tile on its owner
     * until the receiver posted the receive (after its memctl reservation),
     * but with StarPU-MPI 1.3.10 they deadlock 4-rank runs under tight
     * watermarks (n 10000 dense, the watermarks of bench/memctl-experiment,
     * even with STARPU_MPI_NDETACHED_SEND=1000000): a rank blocked in
     * memctl has not reached the sends its peers' submitted tasks wait
     * for, and those tasks keep the peers from counting as idle.  Data that
     * arrives before the receive is posted waits in a StarPU-MPI buffer of
     * its own: see README, memctl. */
    const int read_mode = STARPU_R;
    int status;
    if (nreads == 0)
        status = starpu_mpi_task_insert(A->comm, cl, STARPU_RW, written, STARPU_VALUE, args, sizeof *args,
                                        STARPU_PRIORITY, priority, 0);
    else if (nreads == 1)
        status = starpu_mpi_task_insert(A->comm, cl, STARPU_RW, written, read_mode, desc_tile(A, r1i, r1j),
                                        STARPU_VALUE, args, sizeof *args, STARPU_PRIORITY, priority, 0);
    else
        status = starpu_mpi_task_insert(A->comm, cl, STARPU_RW, written, read_mode, desc_tile(A, r1i, r1j),
                                        read_mode, desc_tile(A, r2i, r2j), STARPU_VALUE, args, sizeof *args,
                                        STARPU_PRIORITY, priority, 0);
    STARPU_CHECK_RETURN_VALUE(status, "starpu_mpi_task_insert");
    return 0;
}
