#include "native/dist.h"

#include <cstdlib>

#if defined(LLM_WITH_MPI)
#include <mpi.h>
#endif

namespace llm::dist {

static bool g_mpi = false;
static int g_rank = 0, g_world = 1;

void init(int* argc, char*** argv) {
#if defined(LLM_WITH_MPI)
  // started by mpirun (OpenMPI sets these); a plain run never touches MPI
  if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMI_SIZE")) return;
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_world);
  g_mpi = true;
#else
  (void)argc, (void)argv;
#endif
}

void finalize() {
#if defined(LLM_WITH_MPI)
  if (g_mpi) MPI_Finalize();
  g_mpi = false;
#endif
}

int rank() { return g_rank; }
int world() { return g_world; }

void allreduce_sum(float* buf, size_t n) {
#if defined(LLM_WITH_MPI)
  if (!g_mpi || g_world == 1) return;
  // MPI counts are int: reduce in chunks
  const size_t chunk = size_t(1) << 28;
  for (size_t off = 0; off < n; off += chunk) {
    const int c = int(std::min(chunk, n - off));
    MPI_Allreduce(MPI_IN_PLACE, buf + off, c, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  }
#else
  (void)buf, (void)n;
#endif
}

void barrier() {
#if defined(LLM_WITH_MPI)
  if (g_mpi) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

void broadcast(float* buf, size_t n, int root) {
#if defined(LLM_WITH_MPI)
  if (!g_mpi || g_world == 1) return;
  const size_t chunk = size_t(1) << 28;
  for (size_t off = 0; off < n; off += chunk)
    MPI_Bcast(buf + off, int(std::min(chunk, n - off)), MPI_FLOAT, root, MPI_COMM_WORLD);
#else
  (void)buf, (void)n, (void)root;
#endif
}

}  // namespace llm::dist
