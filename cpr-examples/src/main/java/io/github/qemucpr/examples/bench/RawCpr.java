package io.github.qemucpr.examples.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The raw baseline of a cpr-reboot cycle: the same QMP commands as the SDK sends, written by hand
 * over {@link RawQmp}, and the same file steps (a private {@code .partial} file, fsync, SHA-256, a
 * manifest written atomically, rename, fsync of the directory; on restore the size and SHA-256
 * checked, the manifest marked before the load and after it). What it leaves out is the SDK's
 * preflight and confirmations: it trusts that QEMU is ready. QEMU opens the state file by its path:
 * the JDK cannot pass a descriptor.
 */
final class RawCpr {
  private static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern SIZE = Pattern.compile("\"size\":(\\d+)");
  private static final Pattern SHA = Pattern.compile("\"sha256\":\"([0-9a-f]{64})\"");
  private static final Pattern IGNORE_SHARED = Pattern.compile("\"x-ignore-shared\":(true|false)");
  private static final Pattern RUN_STATE = Pattern.compile("\"status\"\\s*:\\s*\"([a-z-]+)\"");
  private static final Pattern SUSPENDED = Pattern.compile("\"suspended\":(true|false)");

  private RawCpr() {}

  /** When the VM stopped, and the state file's size. */
  record Saved(Instant stopped, long bytes) {}

  /**
   * Saves and quits: {@code guest-suspend-ram} first when {@code agent} is given, then mode,
   * capabilities, {@code migrate}, the wait for {@code MIGRATION completed}, the file steps, {@code
   * quit}. Returns once QEMU has closed the connection.
   */
  static Saved save(Path qmpSocket, Optional<Path> agent, Path state, boolean ignoreShared)
      throws IOException {
    try (RawQmp qmp = RawQmp.connectQmp(qmpSocket, TIMEOUT)) {
      Instant stopped = null;
      if (agent.isPresent()) {
        try (RawQmp ga = RawQmp.connectAgent(agent.get(), Duration.ofSeconds(30))) {
          ga.send("{\"execute\":\"guest-suspend-ram\"}"); // never replies on success
          stopped = RawQmp.timestamp(qmp.awaitEvent("SUSPEND", ""));
        }
      }
      Path partial = state.resolveSibling(state.getFileName() + ".partial");
      try (FileChannel file =
          FileChannel.open(
              partial,
              EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        qmp.command(
            "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"mode\":\"cpr-reboot\"}}");
        qmp.command(
            "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":["
                + "{\"capability\":\"x-ignore-shared\",\"state\":"
                + ignoreShared
                + "},"
                + "{\"capability\":\"events\",\"state\":true}]}}");
        qmp.command(
            "{\"execute\":\"migrate\",\"arguments\":{\"channels\":[{\"channel-type\":\"main\","
                + "\"addr\":{\"transport\":\"file\",\"filename\":"
                + RawQmp.quote(partial.toString())
                + ",\"offset\":0}}]}}");
        Instant stop = qmp.awaitMigrationEnd("STOP");
        if (stopped == null) {
          stopped = stop;
        }
        file.force(true);
      }
      long size = Files.size(partial);
      String sha = sha256(partial);
      Path manifest = manifestOf(state);
      Path temp =
          writeTemp(
              manifest,
              manifestJson(state, size, sha, ignoreShared, agent.isPresent(), false, false));
      Files.move(partial, state, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(state);
      Files.move(temp, manifest, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(state);
      qmp.send("{\"execute\":\"quit\"}");
      qmp.awaitClose();
      return new Saved(stopped, size);
    }
  }

  /**
   * Restores into a QEMU started with {@code -incoming defer}: checks the state file against the
   * manifest, marks the manifest, loads with {@code exit-on-error: false}, wakes a guest that the
   * save suspended, and marks the manifest restored. Returns when the VM runs again (QEMU's {@code
   * RESUME}, or {@code WAKEUP} for a suspended guest).
   */
  static Instant restore(Path qmpSocket, Path state) throws IOException {
    Path manifest = manifestOf(state);
    String m = Files.readString(manifest);
    long size = Long.parseLong(match(SIZE, m));
    String sha = match(SHA, m);
    boolean ignoreShared = Boolean.parseBoolean(match(IGNORE_SHARED, m));
    boolean suspended = Boolean.parseBoolean(match(SUSPENDED, m));
    try (RawQmp qmp = RawQmp.connectQmp(qmpSocket, TIMEOUT)) {
      if (Files.size(state) != size || !sha256(state).equals(sha)) {
        throw new IllegalStateException(state + " does not match its manifest");
      }
      writeAtomically(
          manifest, manifestJson(state, size, sha, ignoreShared, suspended, true, false));
      qmp.command(
          "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"mode\":\"cpr-reboot\"}}");
      qmp.command(
          "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":["
              + "{\"capability\":\"x-ignore-shared\",\"state\":"
              + ignoreShared
              + "},"
              + "{\"capability\":\"events\",\"state\":true}]}}");
      qmp.command(
          "{\"execute\":\"migrate-incoming\",\"arguments\":{\"channels\":[{\"channel-type\":"
              + "\"main\",\"addr\":{\"transport\":\"file\",\"filename\":"
              + RawQmp.quote(state.toString())
              + ",\"offset\":0}}],\"exit-on-error\":false}}");
      Instant running = qmp.awaitMigrationEnd("RESUME");
      if (suspended) {
        qmp.command("{\"execute\":\"system_wakeup\"}");
        running = RawQmp.timestamp(qmp.awaitEvent("WAKEUP", ""));
      }
      writeAtomically(
          manifest, manifestJson(state, size, sha, ignoreShared, suspended, true, true));
      return running;
    }
  }

  /** The pause between two attempts to reach the new monitor after an exec: the SDK's own. */
  static final Duration EXEC_RECONNECT_PAUSE = Duration.ofMillis(10);

  private static final Duration EXEC_RECONNECT_TIMEOUT = Duration.ofSeconds(30);

  /**
   * A cpr-exec by the raw client.
   *
   * @param stopped the old QEMU's {@code STOP} event
   * @param running the new QEMU's {@code RESUME} event, or when {@code query-status} first said
   *     {@code running} when that event came before the new connection (then an upper bound)
   * @param exact whether {@code running} is the {@code RESUME} event
   * @param monitorGap from when the old connection was seen closed to the new one's {@code
   *     qmp_capabilities} reply
   * @param bytes the state file's size
   */
  record Execed(Instant stopped, Instant running, boolean exact, Duration monitorGap, long bytes) {}

  /**
   * cpr-exec by hand, the QMP steps the SDK sends without its checks: the state file created new
   * and 0600 (QEMU opens it by path), {@code migrate-set-parameters} with mode {@code cpr-exec} and
   * {@code cpr-exec-command} (the new command line plus {@code -incoming file:STATE}), the {@code
   * events} capability on and {@code x-ignore-shared} off (the new QEMU starts with it off), {@code
   * migrate} to the file, the wait for {@code MIGRATION completed} and for QEMU to close the
   * monitor, then connecting again to the same socket every {@link #EXEC_RECONNECT_PAUSE} and
   * waiting until the VM runs. The state file is deleted once it does.
   */
  static Execed exec(Path qmpSocket, List<String> newCommand, Path state) throws IOException {
    Files.createFile(
        state, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    List<String> argv = new ArrayList<>(newCommand);
    argv.add("-incoming");
    argv.add("file:" + state);
    StringBuilder command = new StringBuilder("[");
    for (String a : argv) {
      command.append(command.length() > 1 ? "," : "").append(RawQmp.quote(a));
    }
    command.append(']');
    Instant stopped;
    long closedSeen;
    try (RawQmp qmp = RawQmp.connectQmp(qmpSocket, TIMEOUT)) {
      qmp.command(
          "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"mode\":\"cpr-exec\","
              + "\"cpr-exec-command\":"
              + command
              + "}}");
      qmp.command(
          "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":["
              + "{\"capability\":\"x-ignore-shared\",\"state\":false},"
              + "{\"capability\":\"events\",\"state\":true}]}}");
      qmp.command(
          "{\"execute\":\"migrate\",\"arguments\":{\"channels\":[{\"channel-type\":\"main\","
              + "\"addr\":{\"transport\":\"file\",\"filename\":"
              + RawQmp.quote(state.toString())
              + ",\"offset\":0}}]}}");
      stopped = qmp.awaitMigrationEnd("STOP");
      qmp.awaitClose(); // QEMU closes the monitor when it executes the new command line
      closedSeen = System.nanoTime();
    }
    long deadline = System.nanoTime() + EXEC_RECONNECT_TIMEOUT.toNanos();
    RawQmp fresh = null;
    while (fresh == null) {
      try {
        fresh = RawQmp.connectQmp(qmpSocket, TIMEOUT);
      } catch (RuntimeException e) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException(
              "no monitor answered on " + qmpSocket + " within 30 s of the exec", e);
        }
        try {
          TimeUnit.NANOSECONDS.sleep(EXEC_RECONNECT_PAUSE.toNanos());
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", ie);
        }
      }
    }
    Duration gap = Duration.ofNanos(System.nanoTime() - closedSeen);
    try (RawQmp qmp = fresh) {
      String reply = qmp.command("{\"execute\":\"query-status\"}");
      String status = runState(reply);
      Instant running;
      boolean exact;
      if (status.equals("inmigrate")) {
        running = RawQmp.timestamp(qmp.awaitEvent("RESUME", ""));
        exact = true;
      } else if (status.equals("running")) {
        String resume = qmp.takePendingEvent("RESUME");
        exact = resume != null;
        running = resume != null ? RawQmp.timestamp(resume) : Instant.now();
      } else {
        throw new IllegalStateException("the new QEMU is not running after the exec: " + reply);
      }
      long bytes = Files.size(state);
      Files.delete(state);
      return new Execed(stopped, running, exact, gap, bytes);
    }
  }

  /** The run state in a {@code query-status} reply, or the reply itself when it has none. */
  static String runState(String reply) {
    Matcher m = RUN_STATE.matcher(reply);
    return m.find() ? m.group(1) : reply;
  }

  static Path manifestOf(Path state) {
    return state.resolveSibling(state.getFileName() + ".raw.json");
  }

  private static String match(Pattern p, String text) {
    Matcher m = p.matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("the manifest has no " + p.pattern());
    }
    return m.group(1);
  }

  private static byte[] manifestJson(
      Path state,
      long size,
      String sha,
      boolean ignoreShared,
      boolean suspended,
      boolean restoreStarted,
      boolean restored) {
    String json =
        "{\"state-file\":"
            + RawQmp.quote(state.getFileName().toString())
            + ",\"size\":"
            + size
            + ",\"sha256\":\""
            + sha
            + "\",\"capabilities\":{\"x-ignore-shared\":"
            + ignoreShared
            + "},\"suspended\":"
            + suspended
            + ",\"restore-started\":"
            + restoreStarted
            + ",\"restored\":"
            + restored
            + "}\n";
    return json.getBytes(StandardCharsets.UTF_8);
  }

  static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      while (ch.read(buf) >= 0) {
        buf.flip();
        digest.update(buf);
        buf.clear();
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static Path writeTemp(Path target, byte[] content) throws IOException {
    Path tmp =
        target.resolveSibling(
            "."
                + target.getFileName()
                + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      ByteBuffer b = ByteBuffer.wrap(content);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    return tmp;
  }

  private static void writeAtomically(Path target, byte[] content) throws IOException {
    Path tmp = writeTemp(target, content);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    fsyncDirectory(target);
  }

  private static void fsyncDirectory(Path file) throws IOException {
    try (FileChannel dir =
        FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    }
  }
}
