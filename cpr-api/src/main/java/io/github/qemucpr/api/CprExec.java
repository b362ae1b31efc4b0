package io.github.qemucpr.api;

import io.github.qemucpr.qmp.QmpClient;
import java.util.Objects;

/**
 * The entry point of a cpr-exec (QEMU 10.2+): update QEMU under a running VM <em>in the same
 * process</em>. QEMU writes the device state to a file, then executes a new QEMU binary (or the
 * same one) in place, with a command line the caller gives; the new QEMU keeps guest RAM (shared
 * memory, preserved across the exec), loads the device state and runs the VM on. The process id
 * stays, so a manager, cgroup or container that tracks the process keeps tracking it.
 *
 * <pre>{@code
 * QmpClient qmp = QmpClient.connect(Path.of("/run/vm1/qmp.sock"));
 * CprExecResult r = CprExec.of(qmp)
 *     .newCommand(List.of("/usr/bin/qemu-system-x86_64", ...the same arguments...))
 *     .stateFile(Path.of("/var/lib/vm1/exec.state"))
 *     .run();                       // qmp is closed now: QEMU's monitor restarted
 * try (QmpClient again = r.client()) {
 *   // ... the VM runs on, in the same process, on the new binary
 * }
 * }</pre>
 *
 * <p>Which workflow when:
 *
 * <ul>
 *   <li>{@link CprReboot}: the host reboots (the state file and RAM in a file outlive QEMU);
 *   <li>{@link CprTransfer}: a new QEMU process on the same host, started beside the old one;
 *   <li>{@code CprExec}: a new QEMU binary in the same process, started by QEMU itself; nothing
 *       else to start, and nothing but the state file to give it.
 * </ul>
 *
 * <p>Needs guest RAM in shared memory ({@code memory-backend-memfd,share=on} or {@code
 * memory-backend-file,share=on}) and {@code -machine aux-ram-share=on}; QEMU must be allowed to
 * execute a program (not {@code -sandbox ...,spawn=deny}, which libvirt sets by default). The
 * monitor and every other character device are not kept across the exec: the new command line opens
 * them again, and {@link CprExecBuilder#run()} connects to the same monitor socket again. The
 * preflight checks all of that, and the new binary as QEMU sees it (its root, its user).
 */
public final class CprExec {
  private CprExec() {}

  /** Starts a cpr-exec of the QEMU behind {@code qmp}, which must be a Unix socket client. */
  public static CprExecBuilder of(QmpClient qmp) {
    return new CprExecBuilder(Objects.requireNonNull(qmp, "qmp"));
  }
}
