package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.QomGet;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cpr-transfer preflight: the checks every CPR mode shares ({@link MigrationChecks}), then what
 * a transfer needs on top: {@code aux-ram-share}, shared RAM backends, no VFIO before QEMU 10.1,
 * and usable socket paths. It changes nothing, except that it sets the migration mode to {@code
 * cpr-transfer} for the moment of one {@code query-migrate} and sets it back. It never connects to
 * the cpr channel: the new QEMU accepts one connection there and would take this one for the
 * source's.
 */
final class TransferPreflight extends PreflightBase {
  static final MigrationChecks.Mode CPR_TRANSFER =
      new MigrationChecks.Mode(
          MigrationMode.CPR_TRANSFER, PreflightCode.CPR_TRANSFER_UNSUPPORTED, 10, 0, "transfer");

  /** A Unix socket address holds 108 bytes, with the terminating NUL. */
  static final int MAX_SOCKET_PATH_BYTES = 107;

  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private final TransferOptions options;

  private TransferPreflight(QmpClient qmp, TransferOptions options, Deadline deadline) {
    super(qmp, deadline);
    this.options = options;
  }

  /** Runs the preflight. Never throws for what it finds; the report holds it. */
  static TransferFacts run(QmpClient qmp, TransferOptions options, Deadline deadline) {
    return new TransferPreflight(qmp, options, deadline).run();
  }

  private TransferFacts run() {
    MigrationChecks checks = new MigrationChecks(qmp, this::timeout, CPR_TRANSFER, items);
    MigrationChecks.Basics basics = checks.run();

    checkAuxRamShare();

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

    List<String> vfio =
        checks.findVfio("If the VM has VFIO devices, transfer it with QEMU 10.1 or newer.");
    if (!vfio.isEmpty() && !basics.version().isAtLeast(10, 1)) {
      found.error(
          PreflightCode.VFIO_NOT_TRANSFERABLE,
          String.join(", ", vfio),
          "VFIO devices are present, and QEMU "
              + basics.version()
              + " cannot hand them over in"
              + " cpr-transfer mode (that came with QEMU 10.1).",
          "Use cpr-reboot with the guest suspended (CprReboot, SuspendPolicy.AUTO), or QEMU 10.1"
              + " or newer on both sides.");
    }

    checkSocketPaths();

    PreflightReport report =
        new PreflightReport(
            "QEMU " + basics.version() + " (" + qmp.describePeer() + ")",
            items,
            0,
            allShared,
            vfio,
            false);
    return new TransferFacts(
        report, basics.version(), basics.runState(), basics.modeBefore(), basics.capabilities());
  }

  private void checkAuxRamShare() {
    try {
      Boolean on =
          qmp.execute(new QomGet("/machine", "aux-ram-share").as(Boolean.class), timeout());
      if (!Boolean.TRUE.equals(on)) {
        found.error(
            PreflightCode.AUX_RAM_SHARE_OFF,
            "/machine",
            "-machine aux-ram-share is off: the RAM QEMU allocates by itself (firmware, ROMs, video"
                + " RAM) is private and cannot be handed to the new QEMU.",
            "Start both QEMUs with -machine aux-ram-share=on (the old one must be restarted once"
                + " for that).");
      }
    } catch (QmpException e) {
      found.warning(
          PreflightCode.QUERY_FAILED,
          "/machine",
          "The machine's aux-ram-share property could not be read: "
              + e.getMessage()
              + ". QEMU's own blockers (MIGRATION_BLOCKED) still name private RAM.",
          "Start QEMU with -machine aux-ram-share=on.");
    }
  }

  private void checkMemory(List<MemoryInspector.Backend> backends) {
    for (MemoryInspector.Backend b : backends) {
      if (!b.share()) {
        found.error(
            PreflightCode.MEMORY_NOT_SHARED,
            b.subject(),
            "Backend "
                + b.subject()
                + (b.type() != null ? " (" + b.type() + ")" : "")
                + " is private (share=off), so it cannot be handed to the new QEMU.",
            "Back guest RAM with -object memory-backend-memfd,share=on (or memory-backend-file,"
                + "share=on) and -machine memory-backend=ID.");
      }
      if (b.qomError() != null) {
        found.warning(
            PreflightCode.MEMORY_UNKNOWN,
            b.subject(),
            "Backend " + b.subject() + " could not be inspected through QOM: " + b.qomError() + ".",
            "Give every memory backend an id (-object memory-backend-memfd,id=...).");
      }
      if (MemoryInspector.FILE_BACKEND.equals(b.type()) && Boolean.TRUE.equals(b.discardData())) {
        found.error(
            PreflightCode.MEMORY_DISCARD_DATA,
            b.subject(),
            "Backend "
                + b.subject()
                + " has discard-data=on: when the old QEMU quits it discards"
                + " the contents of "
                + b.memPath()
                + ", the RAM the new QEMU runs the guest on.",
            "Start QEMU with discard-data=off on this backend.");
      }
    }
  }

  private void checkSocketPaths() {
    Map<String, Path> paths = new LinkedHashMap<>();
    paths.put("cpr channel", options.cprChannel());
    paths.put("main channel", options.mainChannel());
    paths.put("target QMP socket", options.targetQmp());
    boolean usable = true;
    for (Map.Entry<String, Path> e : paths.entrySet()) {
      usable &= checkSocketPath(e.getKey(), e.getValue());
    }
    if (!usable) {
      return;
    }
    List<Map.Entry<String, Path>> named = new ArrayList<>(paths.entrySet());
    for (int i = 0; i < named.size(); i++) {
      for (int j = i + 1; j < named.size(); j++) {
        Path a = named.get(i).getValue().normalize();
        if (a.equals(named.get(j).getValue().normalize())) {
          found.error(
              PreflightCode.CHANNEL_PATH_CONFLICT,
              a.toString(),
              "The "
                  + named.get(i).getKey()
                  + " and the "
                  + named.get(j).getKey()
                  + " are the same path, "
                  + a
                  + ".",
              "Give each socket its own path.");
        }
      }
    }
    String peer = qmp.describePeer();
    paths.forEach(
        (name, p) -> {
          if (p.normalize().toString().equals(peer)) {
            found.error(
                PreflightCode.CHANNEL_PATH_CONFLICT,
                peer,
                "The " + name + " is the source's own QMP socket, " + peer + ".",
                "Give the new QEMU its own sockets.");
          }
        });

    Path cpr = options.cprChannel();
    if (!isSocket(cpr)) {
      found.error(
          PreflightCode.CPR_CHANNEL_NOT_LISTENING,
          cpr.toString(),
          Files.exists(cpr, LinkOption.NOFOLLOW_LINKS)
              ? cpr + " is not a socket, so no new QEMU listens there for the cpr state."
              : "Nothing listens on the cpr channel "
                  + cpr
                  + ": the new QEMU was not started yet,"
                  + " or not with this cpr channel.",
          "Start the new QEMU first, with the source's arguments plus -incoming"
              + " '{\"channel-type\":\"cpr\",\"addr\":{\"transport\":\"socket\",\"type\":\"unix\","
              + "\"path\":\""
              + cpr
              + "\"}}' and -incoming defer (or -incoming unix:"
              + options.mainChannel()
              + ").");
    }
    Path main = options.mainChannel();
    if (Files.exists(main, LinkOption.NOFOLLOW_LINKS) && !isSocket(main)) {
      found.error(
          PreflightCode.CHANNEL_PATH_CONFLICT,
          main.toString(),
          main + " exists and is not a socket: the new QEMU would delete it to listen there.",
          "Remove it, or choose another main channel path.");
    }
    Path target = options.targetQmp();
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      if (!isSocket(target)) {
        found.error(
            PreflightCode.CHANNEL_PATH_CONFLICT,
            target.toString(),
            target + " exists and is not a socket: the new QEMU would delete it for its monitor.",
            "Remove it, or choose another path for the new QEMU's QMP socket.");
      } else if (!target.normalize().toString().equals(peer) && answers(target)) {
        found.error(
            PreflightCode.CHANNEL_PATH_CONFLICT,
            target.toString(),
            "A live monitor already listens on "
                + target
                + ": it is not the new QEMU's, which"
                + " opens its monitor only after it has read the cpr state.",
            "Give the new QEMU a QMP socket path of its own (-qmp unix:PATH,server=on,wait=off).");
      }
      // else: a stale socket file, which the new QEMU replaces
    }
  }

  /** Reports what makes {@code path} unusable as a socket path; returns whether it is usable. */
  private boolean checkSocketPath(String name, Path path) {
    if (!path.isAbsolute()) {
      found.error(
          PreflightCode.CHANNEL_PATH_NOT_ABSOLUTE,
          path.toString(),
          "The " + name + " path " + path + " is not absolute.",
          "Give an absolute path, such as " + path.toAbsolutePath() + ", on both sides.");
      return false;
    }
    int bytes = path.toString().getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_SOCKET_PATH_BYTES) {
      found.error(
          PreflightCode.CHANNEL_PATH_TOO_LONG,
          path.toString(),
          "The "
              + name
              + " path is "
              + bytes
              + " bytes long; a Unix socket address holds "
              + MAX_SOCKET_PATH_BYTES
              + ".",
          "Use a shorter path, such as one under /run or /tmp.");
      return false;
    }
    Path dir = path.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      found.error(
          PreflightCode.CHANNEL_DIRECTORY_MISSING,
          String.valueOf(dir),
          "The directory " + dir + " of the " + name + " does not exist.",
          "Create it before starting the new QEMU.");
      return false;
    }
    return true;
  }

  private static boolean isSocket(Path path) {
    try {
      Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return mode instanceof Integer && (((Integer) mode) & S_IFMT) == S_IFSOCK;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Whether something accepts connections on {@code socket}; a stale socket file refuses them. */
  private static boolean answers(Path socket) {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.configureBlocking(false); // a listener with a full backlog must not block the check
      channel.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
