// dvit-mpi: the dvit command line with the process group set to MPI, so that
// `mpirun -np N dvit-mpi train …` trains data-parallel and `mpirun -np N dvit-mpi classify …`
// reads each photo sequence-parallel, with exactly `dvit`'s options (the commands come from
// the main package's DVitCommands library; nothing is repeated here). Training: each rank
// loads its share of every global batch, gradients are summed with MPI_Allreduce. Classify:
// each rank holds a strip of the photo's patch rows. Rank 0 alone prints and writes
// (docs/DISTRIBUTED.md).
//
// Failures end the whole job rather than hang it: a rank whose command fails prints one
// line, `dvit-mpi: rank R of N: <cause>`, and calls MPI_Abort, which ends every rank
// with a non-zero status. A rank other than 0 waits a moment first, so that when every
// rank fails alike (a mistyped option, a missing folder) rank 0's line is the one shown.
import DVitCommands
import DilatedViT
import DilatedViTMPI
import Foundation

// The library's worker threads: the node's cores shared among the ranks on it (Open MPI
// names them), unless DVIT_THREADS says otherwise. Set before the library first reads it.
if ProcessInfo.processInfo.environment["DVIT_THREADS"] == nil,
   let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap({ Int($0) }), local > 1 {
    setenv("DVIT_THREADS", String(max(1, ProcessInfo.processInfo.activeProcessorCount / local)), 1)
}
guard let group = MPIProcessGroup.start() else {
    FileHandle.standardError.write(Data("dvit-mpi: MPI_Init failed (run it with mpirun)\n".utf8))
    exit(1)
}
let arguments = Array(CommandLine.arguments.dropFirst())
let prefix = "dvit-mpi: rank \(group.rank) of \(group.size): "

/// Where a failure's line goes: standard error, kept aside on ranks other than 0.
var errorStream = FileHandle.standardError
if group.rank > 0 {
    // Rank 0 reports; the others' output and warnings (the same lines) go nowhere, except
    // their failure line. (mpirun still names a rank that crashes, and its signal.)
    let saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY)
    if saved >= 0 && null >= 0 {
        errorStream = FileHandle(fileDescriptor: saved, closeOnDealloc: true)
        dup2(null, STDOUT_FILENO)
        dup2(null, STDERR_FILENO)
        close(null)
    }
}

@MainActor func fail(_ message: String, status: Int32) -> Never {
    if group.size > 1 && group.rank > 0 { usleep(1_000_000) }  // rank 0 first, if it fails too
    var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.first?.hasPrefix("Error: ") == true { lines[0].removeFirst("Error: ".count) }
    errorStream.write(Data((prefix + lines.joined(separator: "\n") + "\n").utf8))
    guard group.size > 1 else { group.finish(); exit(status) }
    group.abort(status)
}

let distributed = ["train", "classify"]
if group.size > 1, let command = arguments.first, !command.hasPrefix("-"), !distributed.contains(command) {
    fail("only `train` and `classify` run across ranks; run `\(command)` with dvit, or with one rank", status: 2)
}
ProcessGroups.install(group)
var message: String?
let status = DVitCommandLine.run(arguments) { message = $0 }
if status == DVitCommandLine.anotherRankFailed && message == nil {
    usleep(3_000_000)  // the rank that failed prints its cause and aborts the job first
    group.abort(status)
}
if status != 0 { fail(message ?? "failed with status \(status)", status: status) }
group.finish()
exit(0)
