package io.github.qemucpr.api;

import io.github.qemucpr.qmp.QmpClient;
import java.util.Objects;

/**
 * The entry point of a cpr-reboot: save a running VM's state to a file and quit its QEMU, then
 * restore it into a new QEMU, after a QEMU update or a host kernel reboot.
 *
 * <pre>{@code
 * try (QmpClient qmp = QmpClient.connect(Path.of("/run/vm1/qmp.sock"));
 *     GuestAgentClient qga = GuestAgentClient.connect(Path.of("/run/vm1/qga.sock"))) {
 *   PreflightReport report = CprReboot.save(qmp).to(stateFile).guestAgent(qga).check();
 *   CprSaveResult saved = CprReboot.save(qmp).to(stateFile).guestAgent(qga).run();
 * }
 * // ... update QEMU or kexec, then start QEMU with the same arguments plus -incoming defer
 * try (QmpClient qmp = QmpClient.connect(Path.of("/run/vm1/qmp.sock"))) {
 *   CprRestoreResult restored = CprReboot.restore(qmp).from(stateFile).run();
 * }
 * }</pre>
 *
 * <p>Each builder runs once. Only one save, restore or check runs on a {@link QmpClient} at a time;
 * another one started meanwhile fails at once with {@link IllegalStateException}. The caller keeps
 * ownership of the clients: nothing here closes them (QEMU closes the QMP connection itself when a
 * save quits it).
 */
public final class CprReboot {
  private CprReboot() {}

  /** Starts a save of the VM behind {@code qmp}. */
  public static CprSaveBuilder save(QmpClient qmp) {
    return new CprSaveBuilder(Objects.requireNonNull(qmp, "qmp"));
  }

  /** Starts a restore into the QEMU behind {@code qmp}, started with {@code -incoming defer}. */
  public static CprRestoreBuilder restore(QmpClient qmp) {
    return new CprRestoreBuilder(Objects.requireNonNull(qmp, "qmp"));
  }
}
