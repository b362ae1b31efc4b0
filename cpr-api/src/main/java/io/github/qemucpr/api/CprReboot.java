package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.ColdPathWarmup;
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

  /**
   * Runs, in memory, the code that a save and a restore run inside the blackout and that costs most
   * the first time in a JVM (the manifest's JSON, SHA-256), so that the first one is not slowed by
   * it. A save, transfer or exec does this by itself in its preflight, outside the blackout; call
   * it at start-up where a restore runs in a JVM that has not saved, such as after a host reboot,
   * before the new QEMU is started:
   *
   * <pre>{@code
   * CprReboot.warmUp();
   * // start QEMU with -incoming defer, connect, then:
   * CprReboot.restore(qmp).from(stateFile).run();
   * }</pre>
   *
   * <p>It touches no QEMU and no file, runs once per JVM (later calls return at once), and never
   * throws.
   */
  public static void warmUp() {
    ColdPathWarmup.runOnce();
  }
}
