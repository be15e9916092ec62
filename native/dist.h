// Data parallelism over MPI (OpenMPI). Without MPI in the build, or when not started by mpirun,
// this is a world of one and every call is a no-op.
#pragma once
#include <cstddef>

namespace llm::dist {
void init(int* argc, char*** argv);  // idempotent; only calls MPI_Init under mpirun
void finalize();
int rank();
int world();
void allreduce_sum(float* buf, size_t n);  // in place, all ranks
void barrier();
void broadcast(float* buf, size_t n, int root = 0);
}  // namespace llm::dist
