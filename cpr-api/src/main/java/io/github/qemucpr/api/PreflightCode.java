package io.github.qemucpr.api;

/** What a {@link PreflightItem} is about. Each code has one meaning; its severity may vary. */
public enum PreflightCode {
  /** A query the preflight needs failed, so part of the check could not be made. */
  QUERY_FAILED,
  /** This QEMU has no {@code cpr-reboot} migration mode (it needs QEMU 9.0 or newer). */
  CPR_REBOOT_UNSUPPORTED,
  /** The run state is not one a save starts from (running, paused or suspended). */
  RUNSTATE_NOT_SAVABLE,
  /** A migration is already under way. */
  MIGRATION_ACTIVE,
  /** A migration capability that cpr-reboot refuses is on. */
  CAPABILITY_INCOMPATIBLE,
  /** QEMU reports a blocker for cpr-reboot in {@code query-migrate}'s {@code blocked-reasons}. */
  MIGRATION_BLOCKED,
  /** A RAM backend is not saved in place (memfd, anonymous, or a private file mapping). */
  MEMORY_COPIED,
  /** A RAM backend's {@code mem-path} is a directory: QEMU's temp file there dies with QEMU. */
  MEMORY_PATH_DIRECTORY,
  /** A RAM backend's {@code mem-path} is neither a regular file nor a DAX device, or is missing. */
  MEMORY_PATH_UNUSABLE,
  /** A RAM backend has {@code discard-data=on}: its contents may be destroyed when QEMU quits. */
  MEMORY_DISCARD_DATA,
  /** A RAM backend could not be inspected through QOM. */
  MEMORY_UNKNOWN,
  /** VFIO devices are present and the guest would not be suspended. */
  VFIO_NEEDS_SUSPEND,
  /** The guest must be suspended, and no guest agent was given or it does not answer. */
  GUEST_AGENT_UNREACHABLE,
  /**
   * The guest must be suspended and cannot be: the agent has {@code guest-suspend-ram} disabled,
   * the VM is paused, or QEMU cannot wake a suspended guest.
   */
  GUEST_NOT_SUSPENDABLE,
  /** The state path is not absolute. */
  STATE_PATH_NOT_ABSOLUTE,
  /** The state file's directory does not exist or is not a directory. */
  STATE_DIRECTORY_MISSING,
  /** The state file's directory is not writable. */
  STATE_DIRECTORY_NOT_WRITABLE,
  /** Others may rename files in the state directory (group or world writable, no sticky bit). */
  STATE_DIRECTORY_SHARED,
  /** Something other than a regular file (a directory, a symlink) is at the state path. */
  STATE_PATH_NOT_A_FILE,
  /** The state path is also a RAM backend's {@code mem-path}. */
  STATE_PATH_IS_GUEST_MEMORY,
  /** A {@code .partial} file from an earlier save that did not finish is in the way. */
  STATE_PARTIAL_FILE_EXISTS,
  /** The free space may not hold the state file. */
  STATE_FREE_SPACE_LOW
}
