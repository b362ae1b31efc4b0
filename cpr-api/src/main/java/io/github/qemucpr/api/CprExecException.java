package io.github.qemucpr.api;

import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A cpr-exec failed after it started, and was rolled back as far as is possible. {@link
 * #vmLocation()} says where the VM is now; what QEMU 11.1 does in each case was checked by hand and
 * by {@code CprExecIT}:
 *
 * <ul>
 *   <li>{@link VmLocation#OLD_QEMU}: the exec did not happen, or failed. A failed {@code execvp}
 *       (no such file, not executable, a missing interpreter) makes QEMU report the migration
 *       {@code failed} right after {@code completed}, with {@code error-desc} "execvp ... failed",
 *       and resume the VM itself, on the same monitor connection. The rollback removes the state
 *       file, sets the mode and capabilities back, and resumes the VM if it was running and is not;
 *       the client given to {@link CprExec#of} is still open;
 *   <li>{@link VmLocation#NEW_QEMU}: the process runs the new QEMU, which holds the VM, but not as
 *       expected (another run state, or a check after the load failed). Connect to the monitor
 *       again and look;
 *   <li>{@link VmLocation#PROCESS_EXITED}: the exec happened and the process ended: the new program
 *       exited at once, or the new QEMU could not load the state (QEMU exits on a failed incoming
 *       migration given on its command line, such as a command line that does not match the VM).
 *       The guest's RAM in memfd or anonymous memory is gone with the process; RAM in a {@code
 *       memory-backend-file,share=on} is still in its file, and then {@link #stateFile()} and that
 *       file together let a new QEMU, started with the old arguments plus {@code -incoming},
 *       restore the VM;
 *   <li>{@link VmLocation#UNKNOWN}: the process still runs, but its monitor did not answer in time,
 *       or the old monitor stayed open after {@code migrate} without the migration failing, so the
 *       exec may still happen. The state file is kept; do not restore the VM from it while the old
 *       QEMU may still run it, or two copies of one guest would run.
 * </ul>
 */
public final class CprExecException extends CprException {
  private static final long serialVersionUID = 1L;

  /** Where the VM is after a failed cpr-exec. */
  public enum VmLocation {
    /** In the QEMU as it was: the exec did not happen or failed, and QEMU recovered. */
    OLD_QEMU,
    /** In the new QEMU, in the same process: the exec and the load happened. */
    NEW_QEMU,
    /** Nowhere: the process exited after the exec. */
    PROCESS_EXITED,
    /** Not known: the process runs, and its monitor did not answer. */
    UNKNOWN
  }

  private final VmLocation vmLocation;
  private final transient @Nullable Path stateFile;

  /**
   * Creates the exception; see {@link CprException#CprException}.
   *
   * @param message what failed, in a sentence
   * @param phase the phase that failed
   * @param qemuError QEMU's error text, or {@code null}
   * @param vmState the run state seen at the end, or {@code null} when unknown
   * @param recovery whether the VM is as it was before
   * @param vmLocation where the VM is
   * @param stateFile the state file, when it was kept (the VM may need it), else {@code null}
   * @param cause the exception that started the failure, or {@code null}
   */
  public CprExecException(
      String message,
      CprPhase phase,
      @Nullable String qemuError,
      @Nullable RunState vmState,
      VmRecovery recovery,
      VmLocation vmLocation,
      @Nullable Path stateFile,
      @Nullable Throwable cause) {
    super(message, phase, qemuError, vmState, recovery, cause);
    this.vmLocation = Objects.requireNonNull(vmLocation, "vmLocation");
    this.stateFile = stateFile;
  }

  /** Where the VM is now. */
  public VmLocation vmLocation() {
    return vmLocation;
  }

  /**
   * The state file, when it was kept because the VM may need it ({@link VmLocation#PROCESS_EXITED},
   * {@link VmLocation#UNKNOWN}); {@code null} when it was deleted or never created.
   */
  public @Nullable Path stateFile() {
    return stateFile;
  }
}
