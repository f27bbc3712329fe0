#include "library/factor_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/termination.h"
#include "runtime/tile_interface.h"

#define TILE_FILE_MAGIC 0x424c5254494c4531ull /* "BLRTILE1" */

/* FNV-1a over bytes, chained. */
static uint64_t fnv(uint64_t hash, const void *data, size_t size)
{
    const unsigned char *bytes = data;
    for (size_t k = 0; k < size; k++)
        hash = (hash ^ bytes[k]) * 0x100000001b3ull;
    return hash;
}

/* A name as one token of factor.meta: blanks become '_'. */
static void meta_token(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s", name);
    for (char *c = out; *c; c++)
        if (*c == ' ' || *c == '\t' || *c == '\n')
            *c = '_';
}

/* The matrix is known only through the user's callback: fingerprint its
 * points and permutation, and a fixed sample of entries (the diagonal
 * every ~n/64 rows and as many scattered off-diagonal entries), which any
 * change of kernel parameter or diagonal shift alters. */
void factor_identity_of(const problem_t *pb, const desc_t *A, factor_identity_t *id)
{
    const blrchol_problem_t *user = &pb->user;
    const int n = user->n;
    memset(id, 0, sizeof *id);
    uint64_t hash = 0xcbf29ce484222325ull;
    if (user->points)
        hash = fnv(hash, user->points, 3 * (size_t)n * sizeof *user->points);
    hash = fnv(hash, pb->perm, (size_t)n * sizeof *pb->perm);
    enum { SAMPLES = 64 };
    for (int s = 0; s < SAMPLES; s++) {
        int row = (int)((long)s * n / SAMPLES), column = (int)(((long)s * 7919 + n / 3) % n);
        double entry[2] = {0, 0};
        user->assemble(user, &row, 1, &row, 1, entry, 1);
        hash = fnv(hash, entry, pb->elem_size);
        user->assemble(user, &row, 1, &column, 1, entry, 1);
        hash = fnv(hash, entry, pb->elem_size);
    }
    id->matrix = hash;
    id->n = A->n, id->nb = A->nb, id->p = A->p, id->q = A->q, id->ranks = A->nranks;
    id->elem_size = A->elem_size, id->conj = pb->conj;
    meta_token(id->kernel, sizeof id->kernel, user->kernel_name ? user->kernel_name : "user");
    meta_token(id->geometry, sizeof id->geometry, user->geometry_name ? user->geometry_name : "points");
}

static void rank_file(char *out, size_t size, const char *dir, int rank, const char *suffix)
{
    snprintf(out, size, "%s/rank-%d.tiles%s", dir, rank, suffix);
}

/* Agree on failure: any rank's message wins, every rank returns -1. */
static int agree(int failed, char *error, size_t error_size, MPI_Comm comm)
{
    int rank, first_failed, mine;
    MPI_Comm_rank(comm, &rank);
    mine = failed ? rank : 1 << 30;
    MPI_Allreduce(&mine, &first_failed, 1, MPI_INT, MPI_MIN, comm);
    if (first_failed == 1 << 30)
        return 0;
    char message[512];
    snprintf(message, sizeof message, "%s", failed ? error : "");
    MPI_Bcast(message, sizeof message, MPI_CHAR, first_failed, comm);
    snprintf(error, error_size, "%s", message);
    return -1;
}

static int write_tile(FILE *f, int i, int j, const tile_t *t)
{
    int header[5] = {i, j, t->m, t->n, t->rank};
    size_t u = tile_is_dense(t) ? (size_t)t->m * t->n : (size_t)t->m * t->rank;
    size_t v = tile_is_dense(t) ? 0 : (size_t)t->n * t->rank;
    if (fwrite(header, sizeof header, 1, f) != 1)
        return -1;
    if (u && fwrite(t->u, t->elem_size, u, f) != u)
        return -1;
    if (v && fwrite(t->v, t->elem_size, v, f) != v)
        return -1;
    return 0;
}

/* This rank's tiles into `tmp`, renamed `path` once complete.  Stops
 * early, leaving `tmp`, when termination is requested.  0, or -1 with a
 * message in error. */
static int write_rank_file(desc_t *A, const factor_identity_t *id, const char *tmp, const char *path, char *error,
                           size_t error_size)
{
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(error, error_size, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    uint64_t head[2] = {TILE_FILE_MAGIC, id->matrix};
    long count = desc_count_mine(A);
    int failed = fwrite(head, sizeof head, 1, f) != 1 || fwrite(&count, sizeof count, 1, f) != 1;
    for (int j = 0; j < A->nt && !failed && !termination_requested(); j++)
        for (int i = j; i < A->nt && !failed; i++) {
            if (!desc_is_mine(A, i, j))
                continue;
            starpu_data_handle_t h = desc_tile(A, i, j);
            starpu_data_acquire(h, STARPU_R);
            failed = write_tile(f, i, j, tile_interface_get(h)) != 0;
            starpu_data_release(h);
        }
    const int stopped = termination_requested(); /* the partial file is removed: no need to sync it */
    failed |= fflush(f) != 0 || (!stopped && fsync(fileno(f)) != 0);
    failed |= fclose(f) != 0;
    failed = failed || (!stopped && rename(tmp, path) != 0);
    if (failed)
        snprintf(error, error_size, "cannot write the tiles to %s: %s", tmp, strerror(errno));
    return failed ? -1 : 0;
}

int factor_save(desc_t *A, const factor_identity_t *id, const char *dir, MPI_Comm comm, char *error,
                size_t error_size)
{
    int failed = 0;
    if (A->rank == 0 && mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(error, error_size, "cannot create the factor directory %s: %s", dir, strerror(errno));
        failed = 1;
    }
    if (agree(failed, error, error_size, comm))
        return -1;
    /* An older factor in DIR stops being loadable before anything changes. */
    char meta[4096], meta_tmp[4096], path[4096], tmp[4096];
    snprintf(meta, sizeof meta, "%s/factor.meta", dir);
    snprintf(meta_tmp, sizeof meta_tmp, "%s/factor.meta.tmp", dir);
    if (A->rank == 0)
        unlink(meta);
    MPI_Barrier(comm);

    rank_file(path, sizeof path, dir, A->rank, "");
    rank_file(tmp, sizeof tmp, dir, A->rank, ".tmp");
    failed = write_rank_file(A, id, tmp, path, error, error_size) != 0;
    /* Decided by every rank before factor.meta exists: an interrupted save
     * leaves no tile file and nothing that loads. */
    if (termination_agree(comm)) {
        unlink(tmp);
        unlink(path);
        snprintf(error, error_size, "the save to %s was interrupted: no factor written", dir);
        return FACTOR_SAVE_INTERRUPTED;
    }
    if (agree(failed, error, error_size, comm))
        return -1;
    if (A->rank == 0) {
        FILE *m = fopen(meta_tmp, "w");
        failed = !m;
        if (m) {
            fprintf(m, "blrchol-factor %d\nmatrix %016llx\nn %d\nnb %d\ngrid %d %d\nranks %d\nelem_size %d\n"
                       "conj %d\nkernel %s\ngeometry %s\n",
                    FACTOR_FORMAT_VERSION, (unsigned long long)id->matrix, id->n, id->nb, id->p, id->q, id->ranks,
                    id->elem_size, id->conj, id->kernel, id->geometry);
            failed = fflush(m) != 0 || fsync(fileno(m)) != 0;
            failed |= fclose(m) != 0;
            failed = failed || rename(meta_tmp, meta) != 0;
        }
        if (failed)
            snprintf(error, error_size, "cannot write %s: %s", meta, strerror(errno));
    }
    return agree(failed, error, error_size, comm);
}

/* Compare the saved identity with the run's; a message names the first
 * difference and the fix. */
static int check_meta(const char *meta, const factor_identity_t *id, char *error, size_t error_size)
{
    FILE *m = fopen(meta, "r");
    if (!m) {
        snprintf(error, error_size,
                 "%s: no factor here (missing, or its save did not complete): run with --save-factor first", meta);
        return -1;
    }
    int version = -1, n = -1, nb = -1, p = -1, q = -1, ranks = -1, elem_size = -1, conj = -1;
    unsigned long long matrix = 0;
    char kernel[32] = "", geometry[32] = "";
    int fields = fscanf(m, "blrchol-factor %d matrix %llx n %d nb %d grid %d %d ranks %d elem_size %d conj %d "
                           "kernel %31s geometry %31s",
                        &version, &matrix, &n, &nb, &p, &q, &ranks, &elem_size, &conj, kernel, geometry);
    fclose(m);
    if (fields < 1 || version != FACTOR_FORMAT_VERSION) {
        snprintf(error, error_size, "%s: factor format version %d, this blrchol reads version %d: refactorise", meta,
                 version, FACTOR_FORMAT_VERSION);
        return -1;
    }
    if (fields != 11) {
        snprintf(error, error_size, "%s: malformed factor metadata", meta);
        return -1;
    }
    if (ranks != id->ranks || p != id->p || q != id->q) {
        snprintf(error, error_size, "%s: the factor was made on %d ranks (%dx%d), this run has %d (%dx%d): use the same "
                                    "ranks and -P",
                 meta, ranks, p, q, id->ranks, id->p, id->q);
        return -1;
    }
    if (n != id->n || nb != id->nb || elem_size != id->elem_size || conj != id->conj || strcmp(kernel, id->kernel) ||
        strcmp(geometry, id->geometry) || matrix != id->matrix) {
        snprintf(error, error_size, "%s: the factor is of another matrix (%s %s n=%d nb=%d; this run: %s %s n=%d nb=%d%s)",
                 meta, kernel, geometry, n, nb, id->kernel, id->geometry, id->n, id->nb,
                 matrix != id->matrix && n == id->n ? ", different points or parameters" : "");
        return -1;
    }
    return 0;
}

static int read_tile(FILE *f, desc_t *A, const char *path, char *error, size_t error_size)
{
    int header[5];
    if (fread(header, sizeof header, 1, f) != 1) {
        snprintf(error, error_size, "%s: truncated tile file", path);
        return -1;
    }
    int i = header[0], j = header[1], m = header[2], n = header[3], rank = header[4];
    if (i < j || j < 0 || i >= A->nt || !desc_is_mine(A, i, j) || m != desc_tile_rows(A, i) ||
        n != desc_tile_rows(A, j) || rank < TILE_DENSE || rank > (m < n ? m : n)) {
        snprintf(error, error_size, "%s: corrupt tile header (%d, %d)", path, i, j);
        return -1;
    }
    starpu_data_handle_t h = desc_tile(A, i, j);
    starpu_data_acquire(h, STARPU_W);
    tile_t *t = tile_interface_get(h);
    int status = rank == TILE_DENSE ? tile_make_dense(t) : tile_resize_lowrank(t, rank, 0);
    size_t u = rank == TILE_DENSE ? (size_t)m * n : (size_t)m * rank, v = rank == TILE_DENSE ? 0 : (size_t)n * rank;
    if (status != 0)
        snprintf(error, error_size, "no memory for tile (%d, %d) of %s", i, j, path);
    else if ((u && fread(t->u, t->elem_size, u, f) != u) || (v && fread(t->v, t->elem_size, v, f) != v)) {
        snprintf(error, error_size, "%s: truncated tile file", path);
        status = -1;
    }
    starpu_data_release(h);
    return status;
}

int factor_load(desc_t *A, const factor_identity_t *id, const char *dir, MPI_Comm comm, char *error,
                size_t error_size)
{
    char meta[4096], path[4096];
    snprintf(meta, sizeof meta, "%s/factor.meta", dir);
    int failed = check_meta(meta, id, error, error_size) != 0;
    if (agree(failed, error, error_size, comm))
        return -1;
    rank_file(path, sizeof path, dir, A->rank, "");
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(error, error_size, "%s: cannot open: %s", path, strerror(errno));
        failed = 1;
    } else {
        uint64_t head[2];
        long count = 0, expected = desc_count_mine(A);
        if (fread(head, sizeof head, 1, f) != 1 || fread(&count, sizeof count, 1, f) != 1 ||
            head[0] != TILE_FILE_MAGIC || head[1] != id->matrix || count != expected) {
            snprintf(error, error_size, "%s: not this rank's tile file for this matrix", path);
            failed = 1;
        }
        for (long k = 0; k < count && !failed; k++)
            failed = read_tile(f, A, path, error, error_size) != 0;
        if (!failed && fgetc(f) != EOF) {
            snprintf(error, error_size, "%s: trailing bytes after the last tile", path);
            failed = 1;
        }
        fclose(f);
    }
    return agree(failed, error, error_size, comm);
}
