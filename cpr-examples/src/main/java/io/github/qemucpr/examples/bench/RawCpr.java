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
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
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
