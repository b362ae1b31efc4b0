package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a test may leave behind in this JVM and on this machine: client threads ({@code qmp-*},
 * {@code qga-*}), open file descriptors ({@code /proc/self/fd}) and QEMU child processes. Take a
 * snapshot before the test, then {@link #assertNothingLeftSince} once every client and QEMU is
 * closed; it waits a little for threads that end asynchronously.
 */
final class Leftovers {
  private static final String JAVA_HOME = System.getProperty("java.home");

  /** What was there before the test. */
  record Snapshot(Set<String> clientThreads, List<String> descriptors, int descriptorCount) {}

  private Leftovers() {}

  static Snapshot take() {
    List<String> fds = descriptors();
    return new Snapshot(clientThreads(), fds, fds.size());
  }

  /**
   * Fails if a client thread, a descriptor or a QEMU process started since {@code before} is still
   * there after up to {@code 5 s}. Descriptors the class loader opens on first use (jar files, the
   * JDK's own files) do not count.
   */
  static void assertNothingLeftSince(Snapshot before) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (true) {
      Set<String> threads = new TreeSet<>(clientThreads());
      threads.removeAll(before.clientThreads());
      List<String> fds = new ArrayList<>(descriptors());
      List<String> newFds = new ArrayList<>(fds);
      before.descriptors().forEach(newFds::remove);
      newFds.removeIf(Leftovers::loadedByTheJvm);
      List<String> qemus = qemuChildren();
      if (threads.isEmpty() && newFds.isEmpty() && qemus.isEmpty()) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        assertThat(threads).as("client threads left behind").isEmpty();
        assertThat(newFds)
            .as(
                "file descriptors left behind (%d before, %d now); sockets: %s",
                before.descriptorCount(), fds.size(), unixSockets())
            .isEmpty();
        assertThat(qemus).as("QEMU processes left behind").isEmpty();
      }
      sleep(50);
    }
  }

  /** The names of the live QMP and guest agent client threads. */
  static Set<String> clientThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("qmp-") || n.startsWith("qga-"))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** What each open descriptor of this process points to ({@code socket:[123]}, a path, ...). */
  static List<String> descriptors() {
    Path dir = Path.of("/proc/self/fd");
    List<String> out = new ArrayList<>();
    try (Stream<Path> fds = Files.list(dir)) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          out.add(Files.readSymbolicLink(fd).toString());
        } catch (IOException e) {
          // closed meanwhile (the listing's own descriptor, for one)
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.remove(dir.toString());
    return out;
  }

  /** This process's Unix sockets, as {@code ss} shows them, for a failure message. */
  private static String unixSockets() {
    try {
      Process ss = new ProcessBuilder("ss", "-xpn").redirectErrorStream(true).start();
      String pid = "pid=" + ProcessHandle.current().pid() + ",";
      String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      ss.waitFor();
      return out.lines().filter(l -> l.contains(pid)).collect(Collectors.joining("\n"));
    } catch (IOException | InterruptedException e) {
      return "(ss failed: " + e + ")";
    }
  }

  /** The number of open descriptors of this process. */
  static int descriptorCount() {
    return descriptors().size();
  }

  private static boolean loadedByTheJvm(String target) {
    String t = target.endsWith(" (deleted)") ? target.substring(0, target.length() - 10) : target;
    return t.endsWith(".jar") || t.startsWith(JAVA_HOME) || t.startsWith("/proc/");
  }

  /** The QEMU processes among this JVM's descendants, with their command lines. */
  static List<String> qemuChildren() {
    return ProcessHandle.current()
        .descendants()
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.contains("qemu-system")).orElse(false))
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
        .toList();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
