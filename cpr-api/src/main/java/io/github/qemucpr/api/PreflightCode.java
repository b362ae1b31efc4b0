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
  /** QEMU reports a blocker for the CPR mode in {@code query-migrate}'s {@code blocked-reasons}. */
  MIGRATION_BLOCKED,
  /** A RAM backend is not saved in place (memfd, anonymous, or a private file mapping). */
  MEMORY_COPIED,
  /** A RAM backend's {@code mem-path} is a directory: QEMU's temp file there dies with QEMU. */
  MEMORY_PATH_DIRECTORY,
  /** A RAM backend's {@code mem-path} is neither a regular file nor a DAX device, or is missing. */
  MEMORY_PATH_UNUSABLE,
  /**
   * A RAM backend kept in place has a relative {@code mem-path}: QEMU found it from its own working
   * directory, so neither the preflight nor a restore can tell which file holds the RAM.
   */
  MEMORY_PATH_RELATIVE,
  /**
   * A RAM backend kept in place is a file on a file system held in memory ({@code tmpfs}, such as
   * {@code /dev/shm}, {@code ramfs} or {@code hugetlbfs}): a warning, as the checkpoint serves a
   * new QEMU on this boot of the host, but a host reboot empties the file and the RAM with it.
   */
  MEMORY_LOST_ON_HOST_REBOOT,
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
  /**
   * The guest must be suspended, and the machine has S3 disabled (q35: {@code ICH9-LPC
   * disable_s3=1}; i440fx: {@code PIIX4_PM disable_s3=1}). The guest would still accept {@code
   * guest-suspend-ram} and fall into suspend-to-idle, which QEMU neither sees (no {@code SUSPEND},
   * the run state stays running) nor can wake with {@code system_wakeup}.
   */
  S3_DISABLED,
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
  STATE_FREE_SPACE_LOW,
  /** This QEMU has no {@code cpr-transfer} migration mode (it needs QEMU 10.0 or newer). */
  CPR_TRANSFER_UNSUPPORTED,
  /**
   * cpr-transfer: {@code -machine aux-ram-share} is off, so the RAM QEMU allocates by itself (the
   * firmware, ROMs, video RAM) cannot be handed to the new QEMU.
   */
  AUX_RAM_SHARE_OFF,
  /** cpr-transfer: a RAM backend is not shared ({@code share=off}), so it cannot be handed over. */
  MEMORY_NOT_SHARED,
  /** cpr-transfer: VFIO devices are present, and this QEMU cannot transfer them (before 10.1). */
  VFIO_NOT_TRANSFERABLE,
  /** cpr-transfer: a channel or monitor socket path is not absolute. */
  CHANNEL_PATH_NOT_ABSOLUTE,
  /** cpr-transfer: a socket path is longer than a Unix socket address holds (107 bytes). */
  CHANNEL_PATH_TOO_LONG,
  /** cpr-transfer: the directory of a socket path does not exist. */
  CHANNEL_DIRECTORY_MISSING,
  /**
   * cpr-transfer: nothing listens on the cpr channel: its socket does not exist or is not a socket,
   * so the new QEMU was not started with {@code -incoming} for it.
   */
  CPR_CHANNEL_NOT_LISTENING,
  /**
   * cpr-transfer: two of the socket paths are the same, a path is the source's own monitor, or
   * something other than a socket is in the way at a path QEMU will create.
   */
  CHANNEL_PATH_CONFLICT,
  /** This QEMU has no {@code cpr-exec} migration mode (it needs QEMU 10.2 or newer). */
  CPR_EXEC_UNSUPPORTED,
  /**
   * cpr-exec: the process id of the QEMU behind the monitor is not known (the monitor is not a Unix
   * socket), so nothing can be checked as QEMU sees it.
   */
  QEMU_PROCESS_UNKNOWN,
  /**
   * cpr-exec: the new binary does not exist, is not a regular file, or is not executable, as QEMU
   * sees it (in its own root, {@code /proc/PID/root}, and with its own user and groups).
   */
  EXEC_BINARY_UNUSABLE,
  /**
   * cpr-exec: the new binary is a {@code #!} script whose interpreter QEMU could not execute: it
   * does not exist in QEMU's root, is not a regular file, is not executable by QEMU's user, lies on
   * a {@code noexec} mount, or is one nested script interpreter more than the kernel runs (five).
   */
  EXEC_SCRIPT_INTERPRETER_UNUSABLE,
  /**
   * cpr-exec: the new binary lies on a file system mounted {@code noexec} in QEMU's mount namespace
   * (as {@code /proc/PID/mountinfo} shows it): the kernel refuses to execute it. A script
   * interpreter or ELF loader there is reported as {@link #EXEC_SCRIPT_INTERPRETER_UNUSABLE} or
   * {@link #EXEC_ELF_LOADER_UNUSABLE}.
   */
  EXEC_BINARY_NOEXEC_MOUNT,
  /**
   * cpr-exec: the new binary (or the interpreter of its {@code #!} line) is a dynamically linked
   * ELF program whose loader, the {@code PT_INTERP} path such as {@code
   * /lib64/ld-linux-x86-64.so.2}, does not exist in QEMU's root, is not a regular file, is not
   * executable by QEMU's user, or is not ELF: the kernel could not load it.
   */
  EXEC_ELF_LOADER_UNUSABLE,
  /**
   * cpr-exec: the new binary (or an interpreter it needs) is no program the kernel can execute: a
   * malformed ELF header or program headers, a {@code #!} line without an interpreter, or a file
   * that is neither ELF nor {@code #!}. QEMU's {@code execvp} would then run it as a {@code
   * /bin/sh} script, and the process, with the VM, would end.
   */
  EXEC_BINARY_MALFORMED,
  /**
   * cpr-exec: something keeps QEMU from executing a program: a seccomp filter with {@code -sandbox
   * ...,spawn=deny} (libvirt's default) is an error; another seccomp filter a warning.
   */
  EXEC_BLOCKED,
  /** cpr-exec: the new command line does not open the monitor socket the SDK reconnects to. */
  EXEC_COMMAND_NO_MONITOR,
  /**
   * cpr-exec: the new command line has {@code -daemonize}: the executed QEMU would fork and its
   * first process exit, so the VM would end up in another process than the one that saved it.
   */
  EXEC_COMMAND_DAEMONIZES,
  /**
   * cpr-exec: QEMU would refuse the new command line as soon as it runs it, after the exec, and the
   * process would end with the VM in it. An option at the end without the value it takes is an
   * error ("requires an argument"); an option QEMU 10.0 to 11.1 do not know is a warning (a newer
   * QEMU may know it; one that does not refuses it as an "invalid option").
   */
  EXEC_COMMAND_INVALID,
  /**
   * cpr-exec: the new QEMU could not read the state file by its path: it sees another directory
   * there (a different root or mount namespace), or runs as another user than this process.
   */
  STATE_FILE_NOT_READABLE_BY_QEMU
}
