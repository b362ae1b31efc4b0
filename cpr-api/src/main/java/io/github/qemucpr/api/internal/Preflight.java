package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.PreflightItem.Severity;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.SuspendPolicy;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentException;
import io.github.qemucpr.qga.command.AgentInfo;
import io.github.qemucpr.qga.command.GuestInfo;
import io.github.qemucpr.qga.command.GuestPing;
import io.github.qemucpr.qga.command.GuestSuspendRam;
import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.ObjectPropertyInfo;
import io.github.qemucpr.qmp.command.QomGet;
import io.github.qemucpr.qmp.command.QomList;
import io.github.qemucpr.qmp.command.QueryCurrentMachine;
import io.github.qemucpr.qmp.command.RunState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The save preflight: reads everything it needs from QEMU, the guest agent and the file system, and
 * reports every problem at once. It changes nothing, except that it sets the migration mode to
 * {@code cpr-reboot} for the moment of one {@code query-migrate} (QEMU lists the blockers of the
 * mode that is set) and sets it back.
 */
final class Preflight extends PreflightBase {
  /** Room for the device state, ROMs and video RAM, which are always in the state file. */
  static final long DEVICE_STATE_ALLOWANCE = 32L << 20;

  private static final MigrationChecks.Mode CPR_REBOOT =
      new MigrationChecks.Mode(
          MigrationMode.CPR_REBOOT, PreflightCode.CPR_REBOOT_UNSUPPORTED, 9, 0, "save");

  private final SaveOptions options;

  private Preflight(QmpClient qmp, SaveOptions options, Deadline deadline) {
    super(qmp, deadline);
    this.options = options;
  }

  /** Runs the preflight. Never throws for what it finds; the report holds it. */
  static SaveFacts run(QmpClient qmp, SaveOptions options, Deadline deadline) {
    return new Preflight(qmp, options, deadline).run();
  }

  private void queryFailed(String what, QmpException e) {
    found.error(
        PreflightCode.QUERY_FAILED,
        what,
        what + " failed: " + e.getMessage(),
        "Check that QEMU is alive and answers QMP, then run the check again.");
  }

  private SaveFacts run() {
    MigrationChecks.Basics basics =
        new MigrationChecks(qmp, this::timeout, CPR_REBOOT, items).run();
    QemuVersion version = basics.version();
    String packageName = basics.packageName();
    RunState runState = basics.runState();
    MigrationMode modeBefore = basics.modeBefore();
    Map<MigrationCapability, Boolean> capabilities = basics.capabilities();

    List<MemoryInspector.Backend> backends = List.of();
    try {
      backends = MemoryInspector.inspect(qmp, this::timeout);
    } catch (QmpException e) {
      queryFailed("query-memdev", e);
    }
    long copiedBytes = checkMemory(backends);
    boolean inPlace = !backends.isEmpty() && backends.stream().allMatch(b -> b.savedInPlace());
    boolean ignoreShared = backends.stream().anyMatch(b -> b.savedInPlace());

    List<String> vfio =
        new MigrationChecks(qmp, this::timeout, CPR_REBOOT, items)
            .findVfio("If the VM has VFIO devices, use SuspendPolicy.ALWAYS with a guest agent.");
    boolean suspend = checkSuspend(runState, vfio);

    long expected = copiedBytes + DEVICE_STATE_ALLOWANCE;
    checkStatePath(expected, backends);

    PreflightReport report =
        new PreflightReport(
            "QEMU " + version + " (" + qmp.describePeer() + ")",
            items,
            expected,
            inPlace,
            vfio,
            suspend);
    return new SaveFacts(
        report,
        version,
        packageName,
        runState,
        modeBefore,
        capabilities,
        backends,
        ignoreShared,
        suspend);
  }

  /** Reports the memory items; returns the bytes of RAM that will be copied. */
  private long checkMemory(List<MemoryInspector.Backend> backends) {
    long copied = 0;
    Severity copiedSeverity =
        options.requireMemorySavedInPlace() ? Severity.ERROR : Severity.WARNING;
    for (MemoryInspector.Backend b : backends) {
      if (b.qomError() != null) {
        found.warning(
            PreflightCode.MEMORY_UNKNOWN,
            b.subject(),
            "Backend "
                + b.subject()
                + " could not be inspected through QOM: "
                + b.qomError()
                + ". It is counted as copied into the state file.",
            "Give every memory backend an id (-object memory-backend-file,id=...).");
      }
      if (MemoryInspector.FILE_BACKEND.equals(b.type()) && b.memPath() != null) {
        if (Path.of(b.memPath()).isAbsolute()) {
          checkMemPath(b);
        } else if (b.savedInPlace()) {
          // QEMU resolved it against its own working directory, which this process cannot see:
          // neither this check nor a restore could tell which file holds the RAM.
          found.error(
              PreflightCode.MEMORY_PATH_RELATIVE,
              b.subject(),
              "The mem-path "
                  + b.memPath()
                  + " of backend "
                  + b.subject()
                  + " is relative: QEMU"
                  + " found it from its own working directory, which this process cannot see, so"
                  + " neither this check nor a restore can tell which file holds the guest's RAM.",
              "Start QEMU with an absolute mem-path.");
        }
        if (Boolean.TRUE.equals(b.discardData())) {
          found.error(
              PreflightCode.MEMORY_DISCARD_DATA,
              b.subject(),
              "Backend "
                  + b.subject()
                  + " has discard-data=on: QEMU may discard the contents of "
                  + b.memPath()
                  + " when it quits, and the guest's RAM with them.",
              "Start QEMU with discard-data=off on this backend.");
        }
      }
      if (!b.savedInPlace()) {
        copied += b.size();
        String kind =
            b.type() == null
                ? "Backend " + b.subject()
                : MemoryInspector.FILE_BACKEND.equals(b.type())
                    ? "Backend " + b.subject() + " is a private (share=off) file mapping and"
                    : "Backend " + b.subject() + " is " + b.type() + " and";
        items.add(
            new PreflightItem(
                PreflightCode.MEMORY_COPIED,
                copiedSeverity,
                b.subject(),
                kind
                    + " will be copied into the state file ("
                    + b.size()
                    + " bytes at most)"
                    + (options.requireMemorySavedInPlace()
                        ? ", but saving in place was required."
                        : "; the save and the restore take longer."),
                "To keep RAM in place, back it with -object memory-backend-file,share=on,"
                    + "mem-path=FILE (a regular file or a DAX device) and"
                    + " -machine memory-backend=ID."));
      }
    }
    return copied;
  }

  private void checkMemPath(MemoryInspector.Backend b) {
    String memPath = java.util.Objects.requireNonNull(b.memPath());
    Path path = Path.of(memPath);
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (IOException e) {
      found.error(
          PreflightCode.MEMORY_PATH_UNUSABLE,
          b.subject(),
          "The mem-path "
              + memPath
              + " of backend "
              + b.subject()
              + " cannot be seen from here ("
              + e
              + "): if it was deleted, the guest's RAM is lost when QEMU quits.",
          "Make sure the file exists and this process sees the same file system as QEMU.");
      return;
    }
    if (attrs.isDirectory()) {
      found.error(
          PreflightCode.MEMORY_PATH_DIRECTORY,
          b.subject(),
          "The mem-path "
              + memPath
              + " of backend "
              + b.subject()
              + " is a directory: QEMU"
              + " created and unlinked a temporary file there, so the RAM is gone when QEMU quits.",
          "Point mem-path at a regular file (or a DAX device), not a directory.");
      return;
    }
    if (attrs.isRegularFile()) {
      String fileSystem = MemoryInspector.fileSystemOf(path);
      if (b.savedInPlace() && fileSystem != null && MemoryInspector.isVolatile(fileSystem)) {
        found.warning(
            PreflightCode.MEMORY_LOST_ON_HOST_REBOOT,
            b.subject(),
            "The mem-path "
                + memPath
                + " of backend "
                + b.subject()
                + " is on "
                + fileSystem
                + ", which a host reboot empties: the checkpoint can restore the VM into a new"
                + " QEMU on this boot of the host, but not after a reboot of its kernel.",
            "To reboot the host, keep the RAM on persistent memory (mem-path=/dev/dax0.0,"
                + "align=2M), or copy it into the state file (memory-backend-memfd).");
      }
      return;
    }
    if (isCharacterDevice(path)) {
      return;
    }
    found.error(
        PreflightCode.MEMORY_PATH_UNUSABLE,
        b.subject(),
        "The mem-path "
            + memPath
            + " of backend "
            + b.subject()
            + " is neither a regular file nor a DAX character device.",
        "Point mem-path at a regular file or a DAX device such as /dev/dax0.0.");
  }

  private static boolean isCharacterDevice(Path path) {
    try {
      Object mode = Files.getAttribute(path, "unix:mode");
      return mode instanceof Integer && (((Integer) mode) & 0170000) == 0020000;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Decides whether the save suspends the guest, and reports what stands in the way. */
  private boolean checkSuspend(@Nullable RunState runState, List<String> vfio) {
    SuspendPolicy policy = options.suspendPolicy();
    boolean wanted =
        policy == SuspendPolicy.ALWAYS || (policy == SuspendPolicy.AUTO && !vfio.isEmpty());
    String subject = vfio.isEmpty() ? "guest" : String.join(", ", vfio);
    if (runState == null || runState.equals(RunState.SUSPENDED)) {
      return false; // already suspended, or unknown (reported already)
    }
    if (!wanted) {
      if (!vfio.isEmpty()) {
        found.error(
            PreflightCode.VFIO_NEEDS_SUSPEND,
            subject,
            "VFIO devices are present, and QEMU saves them in cpr-reboot mode only from a"
                + " suspended guest (\"VFIO device only supports cpr-reboot for runstate"
                + " suspended\"); the suspend policy is NEVER.",
            "Use SuspendPolicy.AUTO with a guest agent, or suspend the guest yourself first.");
      }
      return false;
    }
    String why =
        vfio.isEmpty()
            ? "The suspend policy is ALWAYS"
            : "VFIO devices are present (QEMU saves them only from a suspended guest)";
    if (!runState.equals(RunState.RUNNING)) {
      found.error(
          PreflightCode.GUEST_NOT_SUSPENDABLE,
          subject,
          why + ", but the VM is " + runState + ": a guest that does not run cannot suspend.",
          "Resume the VM with 'cont' first, or suspend the guest yourself.");
      return true;
    }
    GuestAgentClient agent = options.agent();
    if (agent == null) {
      found.error(
          vfio.isEmpty() ? PreflightCode.GUEST_AGENT_UNREACHABLE : PreflightCode.VFIO_NEEDS_SUSPEND,
          subject,
          why + ", and no guest agent was given to suspend the guest.",
          "Pass guestAgent(GuestAgentClient.connect(qgaSocket)), or suspend the guest yourself.");
      return true;
    }
    try {
      agent.execute(new GuestPing(), timeout());
    } catch (GuestAgentException e) {
      found.error(
          PreflightCode.GUEST_AGENT_UNREACHABLE,
          subject,
          why + ", and the guest agent does not answer: " + e.getMessage(),
          "Check that qemu-ga runs in the guest and that the agent socket is right.");
      return true;
    }
    try {
      AgentInfo info = agent.execute(new GuestInfo(), timeout());
      if (info.command(GuestSuspendRam.NAME).isPresent() && !info.isEnabled(GuestSuspendRam.NAME)) {
        found.error(
            PreflightCode.GUEST_NOT_SUSPENDABLE,
            subject,
            why + ", and the guest agent has " + GuestSuspendRam.NAME + " disabled.",
            "Enable it in the guest (qemu-ga without --block-rpcs=" + GuestSuspendRam.NAME + ").");
      }
    } catch (GuestAgentException e) {
      // an agent without guest-info: the suspend itself will tell
    }
    checkS3Enabled(subject, why);
    try {
      if (!qmp.execute(new QueryCurrentMachine(), timeout()).wakeupSuspendSupport()) {
        found.error(
            PreflightCode.GUEST_NOT_SUSPENDABLE,
            subject,
            why + ", but this machine cannot wake a suspended guest (no wakeup-suspend-support).",
            "Use a machine type with S3 wakeup support (q35 with -global ICH9-LPC.disable_s3=0).");
      }
    } catch (QmpException e) {
      // older QEMU: nothing to add
    }
    return true;
  }

  /**
   * Reads {@code disable_s3} through QOM, where S3 lives: q35's ICH9-LPC, or i440fx's PIIX4_PM (the
   * child {@code pm} of the PIIX3 south bridge). With S3 off, wakeup-suspend-support still says
   * true and the guest still accepts guest-suspend-ram, but falls into suspend-to-idle: QEMU stays
   * running, sends no SUSPEND, and cannot wake it. Machines with neither are skipped.
   */
  private void checkS3Enabled(String subject, String why) {
    try {
      String device = null;
      String type = null;
      for (ObjectPropertyInfo p : qmp.execute(new QomList("/machine/unattached"), timeout())) {
        if ("child<ICH9-LPC>".equals(p.type())) {
          device = "/machine/unattached/" + p.name();
          type = "ICH9-LPC";
          break;
        }
        if ("child<PIIX3>".equals(p.type()) || "child<PIIX4>".equals(p.type())) {
          device = piix4Pm("/machine/unattached/" + p.name());
          type = "PIIX4_PM";
          if (device != null) {
            break;
          }
        }
      }
      if (device == null) {
        return;
      }
      JsonNode value = qmp.execute(new QomGet(device, "disable_s3"), timeout());
      boolean disabled =
          value.isBoolean() ? value.booleanValue() : value.isNumber() && value.asLong() != 0;
      if (disabled) {
        found.error(
            PreflightCode.S3_DISABLED,
            subject,
            why
                + ", but S3 is disabled on this machine ("
                + type
                + " disable_s3="
                + value
                + "):"
                + " the guest would accept guest-suspend-ram and fall into suspend-to-idle, which"
                + " QEMU neither sees nor can wake.",
            "Start QEMU with -global "
                + type
                + ".disable_s3=0, or save without suspending the"
                + " guest (SuspendPolicy.NEVER; not possible with VFIO devices).");
      }
    } catch (QmpException e) {
      // an older QEMU or another machine layout: nothing to add
    }
  }

  /** The QOM path of the PIIX4_PM child of a PIIX south bridge, or {@code null} (no ACPI). */
  private @Nullable String piix4Pm(String southBridge) {
    for (ObjectPropertyInfo p : qmp.execute(new QomList(southBridge), timeout())) {
      if ("child<PIIX4_PM>".equals(p.type())) {
        return southBridge + "/" + p.name();
      }
    }
    return null;
  }

  private void checkStatePath(long expected, List<MemoryInspector.Backend> backends) {
    Path target = options.target();
    String subject = target.toString();
    if (!target.isAbsolute()) {
      found.error(
          PreflightCode.STATE_PATH_NOT_ABSOLUTE,
          subject,
          "The state path " + target + " is not absolute.",
          "Give an absolute path, such as " + target.toAbsolutePath() + ".");
      return;
    }
    Path dir = target.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      found.error(
          PreflightCode.STATE_DIRECTORY_MISSING,
          String.valueOf(dir),
          "The state file's directory " + dir + " does not exist.",
          "Create it, on a file system that survives what comes next (not tmpfs for a host"
              + " reboot).");
      return;
    }
    if (!Files.isWritable(dir)) {
      found.error(
          PreflightCode.STATE_DIRECTORY_NOT_WRITABLE,
          dir.toString(),
          "The state file's directory " + dir + " is not writable by this process.",
          "Give this process write permission on " + dir + ".");
    }
    checkDirectoryNotShared(dir);
    Path partial = StateFiles.partialPath(target);
    Path manifest = io.github.qemucpr.api.CprManifest.pathFor(target);
    for (Path p : List.of(target, manifest)) {
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)
          && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        found.error(
            PreflightCode.STATE_PATH_NOT_A_FILE,
            p.toString(),
            p + " exists and is not a regular file (a directory or a symlink).",
            "Remove it, or choose another state path.");
      }
    }
    if (Files.exists(partial, LinkOption.NOFOLLOW_LINKS)) {
      found.error(
          PreflightCode.STATE_PARTIAL_FILE_EXISTS,
          partial.toString(),
          partial + " exists: an earlier save did not finish, or another one is running.",
          "Make sure no save is running, then delete " + partial + ".");
    }
    for (MemoryInspector.Backend b : backends) {
      String memPath = b.memPath();
      if (memPath != null && Path.of(memPath).isAbsolute()) {
        Path m = Path.of(memPath).normalize();
        if (m.equals(target.normalize())
            || m.equals(partial.normalize())
            || m.equals(manifest.normalize())) {
          found.error(
              PreflightCode.STATE_PATH_IS_GUEST_MEMORY,
              b.subject(),
              "The state path " + target + " is the RAM file of backend " + b.subject() + ".",
              "Choose another state path.");
        }
      }
    }
    try {
      long usable = Files.getFileStore(dir).getUsableSpace();
      if (usable < expected) {
        found.warning(
            PreflightCode.STATE_FREE_SPACE_LOW,
            dir.toString(),
            "The state file may need up to "
                + expected
                + " bytes and "
                + dir
                + " has "
                + usable
                + " free. It may still fit (zero pages take little room); if not, the save fails"
                + " and is rolled back.",
            "Free space in " + dir + ", or keep RAM in place (memory-backend-file,share=on).");
      }
    } catch (IOException e) {
      found.warning(
          PreflightCode.STATE_FREE_SPACE_LOW,
          dir.toString(),
          "The free space in " + dir + " could not be read: " + e.getMessage(),
          "Check the file system of " + dir + ".");
    }
  }

  private void checkDirectoryNotShared(Path dir) {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
      boolean othersWrite =
          perms.contains(PosixFilePermission.GROUP_WRITE)
              || perms.contains(PosixFilePermission.OTHERS_WRITE);
      Object mode = Files.getAttribute(dir, "unix:mode");
      boolean sticky = mode instanceof Integer && (((Integer) mode) & 01000) != 0;
      if (othersWrite && !sticky) {
        found.warning(
            PreflightCode.STATE_DIRECTORY_SHARED,
            dir.toString(),
            "Others may write to "
                + dir
                + " ("
                + PosixFilePermissions.toString(perms)
                + ", no sticky bit) and could swap the state file while it is written.",
            "Keep checkpoints in a directory only the VM's owner can write (chmod 700).");
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      // not a POSIX file system: nothing to say
    }
  }
}
