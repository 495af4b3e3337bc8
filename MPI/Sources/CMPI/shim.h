#include <mpi.h>
#include <stdint.h>

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

static inline int dvit_mpi_abort(int code) {
    return MPI_Abort(MPI_COMM_WORLD, code);
}

static inline int dvit_mpi_finalize(void) {
    return MPI_Finalize();
}
