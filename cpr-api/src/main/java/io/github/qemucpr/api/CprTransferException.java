package io.github.qemucpr.api;

import io.github.qemucpr.qmp.command.RunState;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A cpr-transfer failed after it started, and was rolled back as far as is safe. {@link
 * #vmLocation()} says which QEMU has the VM now:
 *
 * <ul>
 *   <li>{@link VmLocation#SOURCE}: the migration failed or was cancelled before the new QEMU could
 *       run the guest (the new QEMU died, never answered, or failed to load), so the source runs
 *       the VM again (QEMU restarts it itself after a failed migration, or the rollback sends
 *       {@code cont}); its migration mode and capabilities were set back. The new QEMU, if it still
 *       runs, holds nothing and should be quit;
 *   <li>{@link VmLocation#TARGET}: the new QEMU runs the VM (the failure came after, such as a
 *       source that would not quit); the source stays in {@code postmigrate} and must not be
 *       resumed;
 *   <li>{@link VmLocation#UNKNOWN}: the source completed its migration and is in {@code
 *       postmigrate}, and the new QEMU is gone or does not answer, so whether the guest ran there
 *       is unknown. {@code cont} on the source resumes the VM, which is safe only if the new QEMU
 *       never ran it (it shares the guest's RAM).
 * </ul>
 *
 * <p>{@link #vmState()} is the run state of the QEMU named by {@link #vmLocation()} (the source's
 * when unknown); {@link #targetState()} is the new QEMU's, when it could be read.
 */
public final class CprTransferException extends CprException {
  private static final long serialVersionUID = 1L;

  private final VmLocation vmLocation;
  private final transient @Nullable RunState targetState;

  /**
   * Creates the exception; see {@link CprException#CprException}.
   *
   * @param message what failed, in a sentence
   * @param phase the phase that failed
   * @param qemuError QEMU's error text, or {@code null}
   * @param vmState the run state of the QEMU that has the VM, or {@code null} when unknown
   * @param recovery whether the VM is as it was before, on the source
   * @param vmLocation which QEMU has the VM
   * @param targetState the new QEMU's run state, or {@code null} when it could not be read
   * @param cause the exception that started the failure, or {@code null}
   */
  public CprTransferException(
      String message,
      CprPhase phase,
      @Nullable String qemuError,
      @Nullable RunState vmState,
      VmRecovery recovery,
      VmLocation vmLocation,
      @Nullable RunState targetState,
      @Nullable Throwable cause) {
    super(message, phase, qemuError, vmState, recovery, cause);
    this.vmLocation = Objects.requireNonNull(vmLocation, "vmLocation");
    this.targetState = targetState;
  }

  /** Which QEMU has the VM now. */
  public VmLocation vmLocation() {
    return vmLocation;
  }

  /** The new QEMU's run state after the rollback, or {@code null} when it could not be read. */
  public @Nullable RunState targetState() {
    return targetState;
  }

  /** Which of the two QEMUs of a transfer has the VM. */
  public enum VmLocation {
    /** The old QEMU, which the transfer started from. */
    SOURCE,
    /** The new QEMU. */
    TARGET,
    /** Neither is confirmed: the source is in {@code postmigrate}, the new QEMU gone or silent. */
    UNKNOWN
  }
}
