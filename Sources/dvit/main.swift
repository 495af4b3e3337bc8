import DVitCommands
import Foundation

// The command tree lives in DVitCommands, shared with the MPI package's dvit-mpi.
exit(DVitCommandLine.run())
