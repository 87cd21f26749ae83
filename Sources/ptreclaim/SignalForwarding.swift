// While the recorded program runs, signals sent to ptreclaim itself (kill PID, systemd,
// timeout(1), a shell's job control) are passed on to the program, which then ends — or not —
// as it would without ptreclaim, leaving its trace finished; ptreclaim waits and exits with the
// program's status. Signals the terminal sends (^C, ^\, hang-up: si_code SI_KERNEL) already
// reach the program, which is in the same process group, and are not sent twice.
#if canImport(Glibc)
import Glibc
#endif

/// The signals passed on to the program.
let forwardedSignals: [Int32] = [SIGTERM, SIGHUP, SIGINT, SIGQUIT]

/// The program's pid once it runs; 0 before. Read by the handler only.
private var forwardTarget: pid_t = 0

private let forwardHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = {
    sig, info, _ in
    // SI_USER (kill), SI_QUEUE, SI_TKILL are <= 0; the terminal's signals are SI_KERNEL (> 0).
    guard let info, info.pointee.si_code <= 0, forwardTarget > 0 else { return }
    let saved = errno
    kill(forwardTarget, sig)
    errno = saved
}

/// Installs the forwarding handlers with the signals blocked (so none arrives before the pid is
/// known) and returns what the child must restore: the previous dispositions and signal mask.
func startForwarding() -> (dispositions: [(Int32, sigaction)], mask: sigset_t) {
    var block = sigset_t(), oldMask = sigset_t()
    sigemptyset(&block)
    for s in forwardedSignals { sigaddset(&block, s) }
    sigprocmask(SIG_BLOCK, &block, &oldMask)
    var action = sigaction()
    action.__sigaction_handler.sa_sigaction = forwardHandler
    action.sa_flags = SA_SIGINFO | SA_RESTART
    sigfillset(&action.sa_mask)
    var old: [(Int32, sigaction)] = []
    for s in forwardedSignals {
        var previous = sigaction()
        sigaction(s, &action, &previous)
        old.append((s, previous))
    }
    return (old, oldMask)
}

/// The program runs as `pid` (0: it did not start): deliver what was held back, forward from now.
func forwardTo(_ pid: pid_t, mask: sigset_t) {
    forwardTarget = pid
    var m = mask
    sigprocmask(SIG_SETMASK, &m, nil)
}

/// After the program ended: ptreclaim's own dispositions again.
func stopForwarding(_ dispositions: [(Int32, sigaction)]) {
    forwardTarget = 0
    for (s, var a) in dispositions { sigaction(s, &a, nil) }
}
