#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>

// MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM… are macros over casts that Swift cannot import:
// these wrappers name them. Every call uses MPI_COMM_WORLD, whose default error handler
// (MPI_ERRORS_ARE_FATAL) ends the whole job on a communication failure.

static inline int dvit_mpi_init(void) {
    int provided = 0;
    // Loader threads never call MPI: only the thread that initialised it does.
    return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
}

static inline int dvit_mpi_rank(void) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

static inline int dvit_mpi_size(void) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

static inline int dvit_mpi_sum_floats(float *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

static inline int dvit_mpi_sum_doubles(double *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

static inline int dvit_mpi_gather_uint64(uint64_t value, uint64_t *all) {
    return MPI_Allgather(&value, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD);
}

static inline int dvit_mpi_gather_floats(const float *local, int count, float *all, const int *counts,
                                         const int *displacements) {
    return MPI_Allgatherv(local, count, MPI_FLOAT, all, counts, displacements, MPI_FLOAT, MPI_COMM_WORLD);
}

// Posts every receive, then every send, and waits for all: no ordering between peers can
// deadlock, and messages between one pair of ranks match in the order they were posted.
static inline int dvit_mpi_exchange_floats(int sends, const float *const *send_buffers, const int *send_counts,
                                           const int *send_ranks, int receives, float *const *receive_buffers,
                                           const int *receive_counts, const int *receive_ranks) {
    MPI_Request *requests = malloc(sizeof(MPI_Request) * (size_t)(sends + receives + 1));
    if (!requests) return MPI_ERR_NO_MEM;
    for (int i = 0; i < receives; i++)
        MPI_Irecv(receive_buffers[i], receive_counts[i], MPI_FLOAT, receive_ranks[i], 0, MPI_COMM_WORLD, &requests[i]);
    for (int i = 0; i < sends; i++)
        MPI_Isend(send_buffers[i], send_counts[i], MPI_FLOAT, send_ranks[i], 0, MPI_COMM_WORLD, &requests[receives + i]);
    int status = MPI_Waitall(sends + receives, requests, MPI_STATUSES_IGNORE);
    free(requests);
    return status;
}

static inline int dvit_mpi_abort(int code) {
    return MPI_Abort(MPI_COMM_WORLD, code);
}

static inline int dvit_mpi_finalize(void) {
    return MPI_Finalize();
}
