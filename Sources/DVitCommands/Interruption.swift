import Foundation

/// SIGINT and SIGTERM, caught so that a batch can write out what it finished before it
/// ends. `endProcess` then restores the default action and re-raises the signal, so the
/// exit status is the usual one (130, 143) and a parent shell sees the interruption.
final class Interruption: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var signalNumber: Int32?
    private let sources: [DispatchSourceSignal]

    /// Catches the signals from now on; `onSignal` runs (on a queue of its own) at the first.
    init(onSignal: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "dvit.signals")
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)  // delivered through the dispatch source instead
            sources.append(DispatchSource.makeSignalSource(signal: number, queue: queue))
        }
        self.sources = sources
        for (source, number) in zip(sources, [SIGINT, SIGTERM]) {
            source.setEventHandler { [unowned self] in
                let first = lock.withLock { () -> Bool in
                    guard signalNumber == nil else { return false }
                    signalNumber = number
                    return true
                }
                if first { onSignal() }
            }
            source.resume()
        }
    }

    func endProcess() -> Never {
        let number = lock.withLock { signalNumber } ?? SIGTERM
        signal(number, SIG_DFL)
        // libdispatch may keep the signal blocked in this thread; unblocked, the pending
        // signal then takes its default action.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, number)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(number)
        exit(128 + number)
    }
}
