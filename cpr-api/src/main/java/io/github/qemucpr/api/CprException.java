package io.github.qemucpr.api;

import io.github.qemucpr.qmp.command.RunState;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The root of the exceptions a save, restore or transfer throws. Unchecked. Each names the {@link
 * #phase()} that failed, QEMU's own error text when QEMU gave one, the run state the VM was seen in
 * after the rollback ({@code query-status}), and whether the VM is as it was before ({@link
 * #recovery()}).
 *
 * <ul>
 *   <li>{@link CprPreflightException}: the preflight found errors; nothing was changed;
 *   <li>{@link CprCheckpointException}: the checkpoint is missing, damaged or used up; QEMU was not
 *       touched;
 *   <li>{@link CprSaveException}: the save failed after it started, and was rolled back;
 *   <li>{@link CprRestoreException}: the restore failed;
 *   <li>{@link CprTransferException}: a cpr-transfer failed after it started; it says which QEMU
 *       has the VM.
 * </ul>
 *
 * <p>The cause, when there is one, is the exception that started the failure (often a {@link
 * io.github.qemucpr.qmp.QmpException}); failures of the rollback itself are attached as suppressed
 * exceptions.
 */
public class CprException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final CprPhase phase;
  private final @Nullable String qemuError;
  private final transient @Nullable RunState vmState;
  private final VmRecovery recovery;

  /**
   * Creates an exception.
   *
   * @param message what failed, in a sentence
   * @param phase the phase that failed
   * @param qemuError QEMU's error text, or {@code null} when the failure was not QEMU's
   * @param vmState the run state seen after the rollback, or {@code null} when it is unknown
   * @param recovery whether the VM is as it was
   * @param cause the exception that started the failure, or {@code null}
   */
  public CprException(
      String message,
      CprPhase phase,
      @Nullable String qemuError,
      @Nullable RunState vmState,
      VmRecovery recovery,
      @Nullable Throwable cause) {
    super(compose(message, phase, qemuError, vmState, recovery), cause);
    this.phase = Objects.requireNonNull(phase, "phase");
    this.qemuError = qemuError;
    this.vmState = vmState;
    this.recovery = Objects.requireNonNull(recovery, "recovery");
  }

  /** The phase that failed. */
  public CprPhase phase() {
    return phase;
  }

  /** QEMU's error text ({@code desc} of an error reply, or {@code error-desc} of a migration). */
  public @Nullable String qemuError() {
    return qemuError;
  }

  /** The run state seen with {@code query-status} after the rollback; {@code null} if unknown. */
  public @Nullable RunState vmState() {
    return vmState;
  }

  /** Whether the VM was left as it was before the operation started. */
  public VmRecovery recovery() {
    return recovery;
  }

  private static String compose(
      String message,
      CprPhase phase,
      @Nullable String qemuError,
      @Nullable RunState vmState,
      VmRecovery recovery) {
    StringBuilder sb = new StringBuilder(phase.name()).append(": ").append(message);
    if (qemuError != null && !message.contains(qemuError)) {
      sb.append(" QEMU said: \"").append(qemuError).append("\".");
    }
    switch (recovery) {
      case UNTOUCHED:
        sb.append(" The VM was not touched");
        break;
      case RESTORED:
        sb.append(" The VM was put back as it was");
        break;
      default:
        sb.append(" The VM needs attention");
        break;
    }
    sb.append(vmState != null ? " (run state " + vmState + ")." : " (run state unknown).");
    return sb.toString();
  }
}
