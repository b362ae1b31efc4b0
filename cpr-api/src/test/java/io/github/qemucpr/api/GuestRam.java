package io.github.qemucpr.api;

import io.github.qemucpr.qmp.QmpClient;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import tools.jackson.databind.json.JsonMapper;

/**
 * Markers in guest RAM for the integration tests: written into the shared RAM file, read back as a
 * QEMU sees guest-physical memory ({@code pmemsave}), so a test can tell RAM came through a save
 * and restore (or a transfer) intact.
 */
public final class GuestRam {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private GuestRam() {}

  /** {@code n} reproducible random bytes. */
  public static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Writes {@code data} at {@code offset} of a RAM file, and forces it to the file. */
  public static void writeAt(Path file, long offset, byte[] data) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(data), offset);
      ch.force(true);
    }
  }

  /** Reads {@code n} bytes at {@code offset} of a file. */
  public static byte[] readAt(Path file, long offset, int n) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      byte[] b = new byte[n];
      f.seek(offset);
      f.readFully(b);
      return b;
    }
  }

  /**
   * Guest-physical memory as the QEMU behind {@code qmp} sees it, through a file in {@code dir}.
   */
  public static byte[] guestMemory(Path dir, QmpClient qmp, long address, int n)
      throws IOException {
    Path out = Files.createTempFile(dir, "pmem", ".bin");
    Files.delete(out);
    qmp.execute(
        "pmemsave",
        JSON.createObjectNode().put("val", address).put("size", n).put("filename", out.toString()));
    try {
      return readAt(out, 0, n);
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
