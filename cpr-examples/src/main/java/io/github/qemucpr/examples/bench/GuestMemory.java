package io.github.qemucpr.examples.bench;

import io.github.qemucpr.launcher.QemuInstance;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Fills most of a VM's RAM with a non-zero pattern from outside the guest, so that a copied save
 * has real pages to write (QEMU sends untouched, zero pages as a few bytes each). It writes through
 * the shared RAM file, or through {@code /proc/PID/fd} for a memfd backend. It leaves alone the
 * first and last 16 MiB of RAM below 4 GiB, where the firmware of a VM without a guest OS lives.
 */
final class GuestMemory {
  private static final long MiB = 1L << 20;

  private GuestMemory() {}

  /** The RAM of a {@code memory-backend-memfd} QEMU, as a path that opens its memfd. */
  static Path memfdOf(QemuInstance qemu) throws IOException {
    Path fds = Path.of("/proc", Long.toString(qemu.pid()), "fd");
    try (Stream<Path> list = Files.list(fds)) {
      for (Path fd : (Iterable<Path>) list::iterator) {
        try {
          if (Files.readSymbolicLink(fd).toString().startsWith("/memfd:")) {
            return fd;
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    throw new IOException("QEMU " + qemu.pid() + " has no memfd open");
  }

  /**
   * Writes the pattern into RAM of {@code sizeBytes} behind {@code file}; returns the bytes
   * written.
   */
  static long dirty(Path file, long sizeBytes) throws IOException {
    // q35 puts RAM above 2 GiB at 4 GiB once there is more than 2.75 GiB of it.
    long lowmem = sizeBytes >= 2816 * MiB ? 2048 * MiB : sizeBytes;
    byte[] pattern = new byte[(int) MiB];
    new Random(42).nextBytes(pattern);
    ByteBuffer buf = ByteBuffer.wrap(pattern);
    long written = 0;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      written += fill(ch, buf, 16 * MiB, lowmem - 16 * MiB);
      written += fill(ch, buf, lowmem, sizeBytes);
    }
    return written;
  }

  private static long fill(FileChannel ch, ByteBuffer buf, long from, long to) throws IOException {
    long written = 0;
    for (long pos = from; pos < to; pos += MiB) {
      buf.clear();
      buf.limit((int) Math.min(MiB, to - pos));
      long at = pos;
      while (buf.hasRemaining()) {
        at += ch.write(buf, at);
      }
      written += at - pos;
    }
    return written;
  }
}
