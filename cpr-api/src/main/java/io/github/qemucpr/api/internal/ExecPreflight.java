package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.internal.cmdline.QemuArgs;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.QomGet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The cpr-exec preflight: the checks every CPR mode shares ({@link MigrationChecks}), then what an
 * exec needs on top: shared RAM and {@code aux-ram-share}, a new binary that QEMU can execute as it
 * sees it, nothing that forbids the exec, a new command line that opens the monitor again, and a
 * state file the new QEMU can read by its path. It changes nothing, except that it sets the
 * migration mode to {@code cpr-exec} for the moment of one {@code query-migrate} and sets it back.
 */
final class ExecPreflight extends PreflightBase {
  static final MigrationChecks.Mode CPR_EXEC =
      new MigrationChecks.Mode(
          MigrationMode.CPR_EXEC, PreflightCode.CPR_EXEC_UNSUPPORTED, 10, 2, "cpr-exec");

  private final ExecOptions options;

  private ExecPreflight(QmpClient qmp, ExecOptions options, Deadline deadline) {
    super(qmp, deadline);
    this.options = options;
  }

  /** Runs the preflight. Never throws for what it finds; the report holds it. */
  static ExecFacts run(QmpClient qmp, ExecOptions options, Deadline deadline) {
    return new ExecPreflight(qmp, options, deadline).run();
  }

  private ExecFacts run() {
    MigrationChecks checks = new MigrationChecks(qmp, this::timeout, CPR_EXEC, items);
    MigrationChecks.Basics basics = checks.run();

    checkAuxRamShare();
    checkSuspend(basics.runState());
    List<MemoryInspector.Backend> backends = List.of();
    try {
      backends = MemoryInspector.inspect(qmp, this::timeout);
    } catch (QmpException e) {
      found.error(
          PreflightCode.QUERY_FAILED,
          "query-memdev",
          "query-memdev failed: " + e.getMessage(),
          "Check that QEMU is alive and answers QMP, then run the check again.");
    }
    checkMemory(backends);
    boolean allShared = !backends.isEmpty() && backends.stream().allMatch(b -> b.share());

    checkNoDaemonize();
    checkQemuTakesTheCommand();
    Long pid = null;
    OptionalLong peer = qmp.peerProcessId();
    checkMonitor(
        qmp.describePeer(),
        options.newCommand(),
        peer.isPresent() ? new QemuProcessView(peer.getAsLong()) : null,
        found);
    if (peer.isEmpty()) {
      found.error(
          PreflightCode.QEMU_PROCESS_UNKNOWN,
          qmp.describePeer(),
          "The process id of the QEMU behind "
              + qmp.describePeer()
              + " is not known (only a"
              + " Unix socket monitor gives it), so neither the new binary nor the state file can"
              + " be checked as QEMU sees them.",
          "Connect to QEMU's monitor through its Unix socket (-qmp unix:PATH,server=on,wait=off).");
    } else {
      pid = peer.getAsLong();
      QemuProcessView process = new QemuProcessView(pid);
      checkBinary(process);
      checkExecAllowed(process, found);
      checkStateFile(process, backends);
    }
    if (pid == null) {
      checkStateFile(null, backends);
    }

    PreflightReport report =
        new PreflightReport(
            "QEMU "
                + basics.version()
                + " ("
                + qmp.describePeer()
                + (pid != null ? ", pid " + pid : "")
                + ")",
            items,
            0,
            allShared,
            List.of(),
            false);
    return new ExecFacts(
        report,
        basics.version(),
        basics.runState(),
        basics.modeBefore(),
        basics.capabilities(),
        pid);
  }

  private void checkSuspend(io.github.qemucpr.qmp.command.@Nullable RunState runState) {
    io.github.qemucpr.qga.GuestAgentClient agent = options.agent();
    if (agent == null) {
      return;
    }
    if (runState != null && !runState.equals(io.github.qemucpr.qmp.command.RunState.RUNNING)) {
      found.error(
          PreflightCode.GUEST_NOT_SUSPENDABLE,
          runState.wireName(),
          "The guest is to be suspended first, and the VM is "
              + runState
              + ": only a running"
              + " guest can suspend.",
          "Resume the VM first, or leave out suspendGuestFirst.");
    }
    try {
      agent.sync();
    } catch (RuntimeException e) {
      found.error(
          PreflightCode.GUEST_AGENT_UNREACHABLE,
          "guest agent",
          "The guest is to be suspended first, and its agent does not answer: " + e.getMessage(),
          "Check that qemu-ga runs in the guest and that its socket is the one given.");
    }
  }

  private void checkAuxRamShare() {
    try {
      Boolean on =
          qmp.execute(new QomGet("/machine", "aux-ram-share").as(Boolean.class), timeout());
      if (!Boolean.TRUE.equals(on)) {
        found.error(
            PreflightCode.AUX_RAM_SHARE_OFF,
            "/machine",
            "-machine aux-ram-share is off: the RAM QEMU allocates by itself (firmware, ROMs,"
                + " video RAM) is private and would not survive the exec.",
            "Start QEMU with -machine aux-ram-share=on (a running QEMU must be restarted once for"
                + " that), and keep it in the new command line.");
      }
    } catch (QmpException e) {
      found.error(
          PreflightCode.AUX_RAM_SHARE_OFF,
          "/machine",
          "The machine's aux-ram-share property could not be read ("
              + e.getMessage()
              + "); cpr-exec needs it on.",
          "Start QEMU with -machine aux-ram-share=on.");
    }
  }

  private void checkMemory(List<MemoryInspector.Backend> backends) {
    if (backends.isEmpty()) {
      found.error(
          PreflightCode.MEMORY_NOT_SHARED,
          "guest RAM",
          "Guest RAM has no memory backend, so it is private and would not survive the exec.",
          "Back guest RAM with -object memory-backend-memfd,id=ram0,size=...,share=on and"
              + " -machine memory-backend=ram0.");
    }
    for (MemoryInspector.Backend b : backends) {
      if (!b.share()) {
        found.error(
            PreflightCode.MEMORY_NOT_SHARED,
            b.subject(),
            "Backend "
                + b.subject()
                + (b.type() != null ? " (" + b.type() + ")" : "")
                + " is private (share=off), so it would not survive the exec.",
            "Back guest RAM with -object memory-backend-memfd,share=on (or memory-backend-file,"
                + "share=on).");
      }
      if (b.qomError() != null) {
        found.warning(
            PreflightCode.MEMORY_UNKNOWN,
            b.subject(),
            "Backend " + b.subject() + " could not be inspected through QOM: " + b.qomError() + ".",
            "Give every memory backend an id (-object memory-backend-memfd,id=...).");
      }
    }
  }

  /**
   * The new command line must open a QMP monitor on the socket the SDK reconnects to: QEMU's
   * monitors are not kept across the exec. Its paths are read as QEMU reads them ({@link
   * QemuArgs#qmpSocketPaths()}): one that is the socket's path as given, or that leads to the same
   * socket as QEMU resolves it (a relative one from QEMU's working directory, any in QEMU's root),
   * is the monitor.
   */
  static void checkMonitor(
      String socket,
      List<String> newCommand,
      @Nullable QemuProcessView process,
      PreflightItems found) {
    if (process == null && socket.startsWith("tcp:")) {
      return; // not a Unix socket: QEMU_PROCESS_UNKNOWN says that cpr-exec needs one
    }
    Set<String> spellings = new LinkedHashSet<>();
    spellings.add(socket);
    Object socketKey = null;
    try {
      Path ours = Path.of(socket);
      spellings.add(ours.toAbsolutePath().normalize().toString());
      socketKey = Files.readAttributes(ours, BasicFileAttributes.class).fileKey();
    } catch (IOException | RuntimeException e) {
      // gone, or not a path: the spellings are all there is
    }
    List<String> seen = new ArrayList<>();
    for (String path : QemuArgs.parse(newCommand).qmpSocketPaths()) {
      boolean byName;
      try {
        byName = path.startsWith("/") && spellings.contains(Path.of(path).normalize().toString());
      } catch (RuntimeException e) {
        byName = false; // not a path (a NUL in it): QEMU could not bind it either
      }
      if (process == null || socketKey == null) {
        if (byName) {
          return;
        }
        seen.add(path + (path.startsWith("/") ? "" : " (relative to QEMU's working directory)"));
        continue;
      }
      try {
        // By identity: the same name in another root (a chroot, a container) is another socket.
        Path resolved = process.resolve(path);
        Object key =
            resolved == null
                ? null
                : Files.readAttributes(resolved, BasicFileAttributes.class).fileKey();
        if (socketKey.equals(key)) {
          return;
        }
        seen.add(
            path
                + (path.startsWith("/")
                    ? ""
                    : " in QEMU's working directory " + process.workingDirectory())
                + (resolved == null ? ", which does not exist" : ", another file")
                + " as QEMU (pid "
                + process.pid()
                + ") sees it");
      } catch (IOException | RuntimeException e) {
        if (byName) {
          return; // QEMU's view cannot be read (another user's process): the name must do
        }
        seen.add(path + " (not resolved as QEMU sees it: " + e.getMessage() + ")");
      }
    }
    found.error(
        PreflightCode.EXEC_COMMAND_NO_MONITOR,
        socket,
        "The new command line opens no QMP monitor on "
            + socket
            + (seen.isEmpty() ? "" : " (its QMP monitor sockets: " + String.join("; ", seen) + ")")
            + ": QEMU's monitors are not kept across the exec, and the new QEMU would open none"
            + " there to connect to again.",
        "Keep the monitor in the new command line: -qmp unix:"
            + socket.replace(",", ",,")
            + ",server=on,wait=off (or the same -chardev socket,path=... and -mon ...,mode=control).");
  }

  private void checkNoDaemonize() {
    QemuArgs.parse(options.newCommand()).options("daemonize").stream()
        .map(QemuArgs.Option::spelling)
        .findFirst()
        .ifPresent(
            a ->
                found.error(
                    PreflightCode.EXEC_COMMAND_DAEMONIZES,
                    a,
                    "The new command line has "
                        + a
                        + ": the executed QEMU would fork and its first process exit, so the VM"
                        + " would run on in another process than the saved one, which the SDK"
                        + " cannot follow (and which a manager watching the pid would take for a"
                        + " dead VM).",
                    "Leave "
                        + a
                        + " out of the new command line: cpr-exec keeps the process, already"
                        + " in the background."));
  }

  /** What QEMU itself would refuse as soon as it reads the new command line, after the exec. */
  private void checkQemuTakesTheCommand() {
    QemuArgs args = QemuArgs.parse(options.newCommand());
    QemuArgs.Option missing = args.missingValue();
    if (missing != null) {
      found.error(
          PreflightCode.EXEC_COMMAND_INVALID,
          missing.spelling(),
          "The new command line ends with "
              + missing.spelling()
              + " without the value it takes: the new QEMU would exit at once (\"requires an"
              + " argument\"), after the exec, and the VM with it.",
          "Give " + missing.spelling() + " its value, or leave it out.");
    }
    for (QemuArgs.Option unknown : args.unknownOptions()) {
      found.warning(
          PreflightCode.EXEC_COMMAND_INVALID,
          unknown.spelling(),
          "The new command line has "
              + unknown.spelling()
              + ", which QEMU 10.0 to 11.1 do not know as an option (QEMU has no -option=value"
              + " form): unless the new QEMU knows it, it exits at once (\"invalid option\"),"
              + " after the exec, and the VM with it.",
          "Check the option against the new QEMU (qemu-system-... -help), or leave it out.");
    }
  }

  private void checkBinary(QemuProcessView process) {
    ExecutableCheck.check(process, options.newCommand().get(0), found);
  }

  /** What keeps QEMU's process from executing a program: its seccomp sandbox. */
  static void checkExecAllowed(QemuProcessView process, PreflightItems found) {
    List<String> args;
    try {
      args = process.commandLine();
    } catch (IOException e) {
      args = List.of();
    }
    List<QemuArgs.Option> sandboxes =
        args.isEmpty() ? List.of() : QemuArgs.parse(args).options("sandbox");
    for (QemuArgs.Option sandbox : sandboxes) {
      String value = Objects.requireNonNull(sandbox.value());
      java.util.Map<String, String> params = QemuArgs.parameters(value, "enable");
      if (QemuArgs.isOn(params.get("enable")) && "deny".equals(params.get("spawn"))) {
        found.error(
            PreflightCode.EXEC_BLOCKED,
            sandbox.spelling() + " " + value,
            "QEMU runs with "
                + sandbox.spelling()
                + " "
                + value
                + ": its seccomp filter denies exec,"
                + " so cpr-exec cannot run the new binary.",
            "Start QEMU without spawn=deny (libvirt: seccomp_sandbox = 0 in qemu.conf), or use"
                + " cpr-transfer.");
        return;
      }
    }
    try {
      long seccomp = QemuProcessView.field(process.status(), "Seccomp", 0);
      if (seccomp == 2) {
        found.warning(
            PreflightCode.EXEC_BLOCKED,
            "seccomp",
            "QEMU runs under a seccomp filter; if it denies exec (-sandbox ...,spawn=deny),"
                + " the exec fails and QEMU resumes the VM as it was.",
            "Make sure QEMU's sandbox allows spawning (spawn=allow).");
      }
    } catch (IOException | RuntimeException e) {
      // an old kernel without the field: nothing to say
    }
  }

  private void checkStateFile(
      @Nullable QemuProcessView process, List<MemoryInspector.Backend> backends) {
    Path file = options.stateFile();
    Path dir = file.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      found.error(
          PreflightCode.STATE_DIRECTORY_MISSING,
          String.valueOf(dir),
          "The state file's directory " + dir + " does not exist.",
          "Create it.");
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
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      found.error(
          PreflightCode.STATE_PATH_NOT_A_FILE,
          file.toString(),
          file + " exists: the exec writes a new file there, and never over another one.",
          "Remove it if it is left over from an earlier exec, or choose another path.");
    }
    for (MemoryInspector.Backend b : backends) {
      String memPath = b.memPath();
      if (memPath != null && Path.of(memPath).normalize().equals(file.normalize())) {
        found.error(
            PreflightCode.STATE_PATH_IS_GUEST_MEMORY,
            b.subject(),
            "The state path " + file + " is the RAM file of backend " + b.subject() + ".",
            "Choose another state path.");
      }
    }
    if (process == null) {
      return;
    }
    String fix =
        "Put the state file in a directory QEMU sees at the same path (bind-mount it"
            + " into QEMU's root), and run this as QEMU's user or as root.";
    try {
      Path seen = process.resolveInRoot(dir.toString());
      Object ours = Files.readAttributes(dir, BasicFileAttributes.class).fileKey();
      Object theirs =
          seen == null ? null : Files.readAttributes(seen, BasicFileAttributes.class).fileKey();
      if (!Objects.equals(ours, theirs)) {
        found.error(
            PreflightCode.STATE_FILE_NOT_READABLE_BY_QEMU,
            dir.toString(),
            "QEMU (pid "
                + process.pid()
                + ") sees "
                + (seen == null ? "no directory" : "another directory")
                + " at "
                + dir
                + " (its root is "
                + process.root()
                + "), so the new QEMU could not open the state file by its path.",
            fix);
      }
      long qemuUid = QemuProcessView.field(process.status(), "Uid", 1);
      long ownUid =
          QemuProcessView.field(
              new QemuProcessView(ProcessHandle.current().pid()).status(), "Uid", 1);
      if (qemuUid != 0 && qemuUid != ownUid) {
        found.error(
            PreflightCode.STATE_FILE_NOT_READABLE_BY_QEMU,
            file.toString(),
            "QEMU runs as uid "
                + qemuUid
                + " and this process as uid "
                + ownUid
                + ": the state"
                + " file is created mode 0600 for this process's user, and the new QEMU could not"
                + " read it.",
            "Run this as QEMU's user.");
      }
    } catch (IOException | RuntimeException e) {
      found.error(
          PreflightCode.STATE_FILE_NOT_READABLE_BY_QEMU,
          dir.toString(),
          "Whether QEMU (pid "
              + process.pid()
              + ") can read the state file at "
              + file
              + " could not be checked: "
              + e,
          fix);
    }
  }

  /**
   * The new QEMU opens the state file by its path, after the save: whoever may rename entries in
   * the state file's directory, or in any directory above it, could put another file there first
   * and have the guest run on device state of their making. So each of them must be owned by root
   * or by this process's user and be writable by no one else, unless it has the sticky bit (as /tmp
   * does: others may not rename what they do not own). Each breach is an error.
   */
  private void checkDirectoryNotShared(Path dir) {
    String me = System.getProperty("user.name", "");
    for (Path d = dir.toAbsolutePath().normalize(); d != null; d = d.getParent()) {
      try {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(d);
        Object mode = Files.getAttribute(d, "unix:mode");
        boolean sticky = mode instanceof Integer && (((Integer) mode) & 01000) != 0;
        boolean othersWrite =
            perms.contains(PosixFilePermission.GROUP_WRITE)
                || perms.contains(PosixFilePermission.OTHERS_WRITE);
        String owner = Files.getOwner(d).getName();
        boolean trustedOwner = owner.equals("root") || owner.equals(me);
        if ((othersWrite && !sticky) || !trustedOwner) {
          // The state file's own directory is an error; one above it a warning: a checkout or
          // work area under a group-writable tree is common, and the danger there needs a rename
          // of a whole directory between the save and the load.
          (d.equals(dir) ? (Reporter) found::error : (Reporter) found::warning)
              .report(
                  PreflightCode.STATE_DIRECTORY_SHARED,
                  d.toString(),
                  (d.equals(dir) ? "The state file's directory " : "The directory ")
                      + d
                      + (d.equals(dir) ? "" : " above the state file")
                      + (trustedOwner
                          ? " may be written by others ("
                              + PosixFilePermissions.toString(perms)
                              + ", no sticky bit)"
                          : " belongs to " + owner + ", not to root or " + me)
                      + ": they could put another file at the state file's path before the new QEMU"
                      + " opens it, and the guest would run on device state of their making.",
                  "Keep the state file under directories owned by root or "
                      + me
                      + " that only their owner can write (chmod 700 or 755).");
          return;
        }
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
        return; // not a POSIX file system: nothing to say
      }
    }
  }

  /** {@code found.error} or {@code found.warning}, chosen per directory. */
  @FunctionalInterface
  private interface Reporter {
    void report(PreflightCode code, String subject, String message, String fix);
  }
}
