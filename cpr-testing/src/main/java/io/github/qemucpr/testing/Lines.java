package io.github.qemucpr.testing;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/** Splits what a client sends into newline-terminated lines, up to a limit; one thread reads. */
final class Lines {

  private final InputStream in;
  private final int maxLineBytes;
  private final byte[] buffer = new byte[16 * 1024];
  private int position;
  private int limit;
  private byte[] line = new byte[1024];

  Lines(InputStream in, int maxLineBytes) {
    this.in = in;
    this.maxLineBytes = maxLineBytes;
  }

  /** The next non-empty line without its newline, or {@code null} at the end of the stream. */
  byte @Nullable [] next() throws IOException {
    int length = 0;
    while (true) {
      if (position == limit) {
        int n = in.read(buffer, 0, buffer.length);
        if (n <= 0) {
          if (length == 0) {
            return null;
          }
          throw new EOFException("the client closed in the middle of a line");
        }
        position = 0;
        limit = n;
      }
      byte b = buffer[position++];
      if (b == '\n') {
        if (length > 0) {
          return Arrays.copyOf(line, length);
        }
        continue;
      }
      if (length == maxLineBytes) {
        throw new IOException("a line longer than " + maxLineBytes + " bytes");
      }
      if (length == line.length) {
        line = Arrays.copyOf(line, Math.min(maxLineBytes, line.length * 2));
      }
      line[length++] = b;
    }
  }
}
