package io.github.qemucpr.testing;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Splits what a client sends into top-level JSON values, as QEMU's JSON streamer does: a value may
 * span lines and several may share one, with no separator needed. It only balances brackets and
 * skips strings; whether a value is well formed is the parser's business. One thread reads.
 */
final class JsonValues {

  private final InputStream in;
  private final int maxValueBytes;
  private final byte[] buffer = new byte[16 * 1024];
  private int position;
  private int limit;
  private byte[] value = new byte[1024];
  private int length;

  JsonValues(InputStream in, int maxValueBytes) {
    this.in = in;
    this.maxValueBytes = maxValueBytes;
  }

  /**
   * The next top-level value as it was sent, or {@code null} at the end of the stream (a value left
   * open there is dropped, as QEMU drops it when the client hangs up). A stray closing bracket
   * comes back alone, so that the caller reports it.
   */
  byte @Nullable [] next() throws IOException {
    length = 0;
    int depth = 0;
    boolean inString = false;
    boolean escaped = false;
    boolean scalar = false;
    while (true) {
      if (position == limit) {
        int n = in.read(buffer, 0, buffer.length);
        if (n <= 0) {
          return scalar ? Arrays.copyOf(value, length) : null;
        }
        position = 0;
        limit = n;
      }
      byte b = buffer[position];
      if (scalar && !inString && (isSpace(b) || isStructural(b))) {
        return Arrays.copyOf(value, length); // the terminator is read with the next value
      }
      position++;
      if (length == 0 && depth == 0 && !scalar) {
        if (isSpace(b)) {
          continue;
        }
        append(b);
        if (b == '{' || b == '[') {
          depth = 1;
        } else if (b == '}' || b == ']') {
          return Arrays.copyOf(value, length);
        } else if (b == '"') {
          inString = true;
          scalar = true;
        } else {
          scalar = true;
        }
        continue;
      }
      append(b);
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (b == '\\') {
          escaped = true;
        } else if (b == '"') {
          inString = false;
          if (scalar) {
            return Arrays.copyOf(value, length);
          }
        }
      } else if (b == '"') {
        inString = true;
      } else if (b == '{' || b == '[') {
        depth++;
      } else if (b == '}' || b == ']') {
        depth--;
        if (depth == 0) {
          return Arrays.copyOf(value, length);
        }
      }
    }
  }

  private void append(byte b) throws IOException {
    if (length == maxValueBytes) {
      throw new IOException("a JSON value longer than " + maxValueBytes + " bytes");
    }
    if (length == value.length) {
      value = Arrays.copyOf(value, Math.min(maxValueBytes, value.length * 2));
    }
    value[length++] = b;
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\r' || b == '\n';
  }

  private static boolean isStructural(byte b) {
    return b == '{' || b == '}' || b == '[' || b == ']' || b == ',' || b == ':' || b == '"';
  }
}
