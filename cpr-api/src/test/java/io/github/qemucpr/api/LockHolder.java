package io.github.qemucpr.api;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Another process that holds an exclusive POSIX record lock on a file, as a restore running in
 * another JVM (the {@code cpr} tool, another manager) holds its claim on a checkpoint: {@link
 * #main} locks the file, prints {@code held}, and keeps the lock until its standard input closes.
 */
public final class LockHolder implements AutoCloseable {
  private final Process process;

  private LockHolder(Process process) {
    this.process = process;
  }

  /** Starts a JVM that locks {@code file}, and returns once it holds the lock. */
  static LockHolder lock(Path file) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                List.of(
                    java,
                    "-cp",
                    System.getProperty("java.class.path"),
                    LockHolder.class.getName(),
                    file.toString()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String line = new String(p.getInputStream().readNBytes(5));
    if (!line.equals("held\n")) {
      p.destroyForcibly();
      throw new IOException("the lock holder did not take the lock: " + line);
    }
    return new LockHolder(p);
  }

  /** Ends the holder as a crash would (SIGKILL): the kernel drops its lock. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Lets the holder release its lock and exit. */
  @Override
  public void close() throws IOException {
    process.getOutputStream().close();
    try {
      if (!process.waitFor(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Locks {@code args[0]} (creating it), prints {@code held}, waits for end of input. */
  public static void main(String[] args) throws IOException {
    try (FileChannel ch =
            FileChannel.open(
                Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = ch.lock()) {
      System.out.print("held\n");
      System.out.flush();
      while (System.in.read() >= 0) {
        // hold until the parent closes our input
      }
    }
  }
}
