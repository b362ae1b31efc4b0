package io.github.qemucpr.api;

import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A restore refused a checkpoint before it changed anything in QEMU: the state file is missing, its
 * manifest does not match it, the checkpoint was already restored, another restore of it is
 * running, or the file that held its RAM was replaced. Only a state file whose SHA-256 differs from
 * its manifest is refused after the restore's first queries, which change nothing, were sent: QEMU
 * answers them while the file is hashed.
 */
public final class CprCheckpointException extends CprException {
  private static final long serialVersionUID = 1L;

  private final Reason reason;
  private final transient Path stateFile;

  /** Creates the exception. */
  public CprCheckpointException(
      String message, Reason reason, Path stateFile, @Nullable Throwable cause) {
    super(message, CprPhase.VERIFY, null, null, VmRecovery.UNTOUCHED, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.stateFile = Objects.requireNonNull(stateFile, "stateFile");
  }

  /** Why the checkpoint was refused. */
  public Reason reason() {
    return reason;
  }

  /** The state file of the checkpoint. */
  public Path stateFile() {
    return stateFile;
  }

  /** Why a checkpoint was refused. */
  public enum Reason {
    /** The state file does not exist or is not a readable regular file. */
    MISSING,
    /** The manifest cannot be read, or has a format this version does not know. */
    MANIFEST_UNREADABLE,
    /** The state file's size or SHA-256 differs from the manifest's: truncated or changed. */
    TAMPERED,
    /** The manifest says the checkpoint was restored already; {@code force(true)} allows it. */
    ALREADY_RESTORED,
    /**
     * The manifest says a restore started and never finished; the VM may have run from it. Only
     * {@code force(true)} allows it.
     */
    RESTORE_INTERRUPTED,
    /**
     * Another restore of the same checkpoint is running (in this JVM or another process): it holds
     * the lock on {@code <state>.lock}. Only one restore may load a checkpoint; this one was
     * refused before it touched its QEMU.
     */
    RESTORE_IN_PROGRESS,
    /**
     * Something other than a regular file (a FIFO, a device, a symlink, a directory) is at {@code
     * <state>.lock}, where a restore claims the checkpoint: it is never opened (a FIFO would block
     * the restore), and the restore was refused before it touched its QEMU. Remove it.
     */
    LOCK_FILE_UNUSABLE,
    /**
     * The guest's RAM, which the save left in place, is no longer in the file the save left: the
     * file was deleted and created again (zero-filled), replaced, or emptied by a host reboot
     * ({@code tmpfs}). The manifest records the file's identity (file system, device, inode, size,
     * a sample of its contents; for a DAX device its size and uuid).
     */
    MEMORY_FILE_REPLACED
  }
}
