package io.github.qemucpr.qmp.internal.wire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Splits a byte stream into newline-terminated messages, refusing any message longer than a limit
 * so that a broken peer cannot exhaust memory. Not thread-safe: one reader thread owns it.
 */
public final class LineReader {

  private final InputStream in;
  private final int maxLineBytes;
  private final byte[] buffer = new byte[16 * 1024];
  private int position;
  private int limit;
  private static final int INITIAL_BUFFER_BYTES = 1024;
  private static final int KEPT_BUFFER_BYTES = 64 * 1024;

  private byte[] line = new byte[INITIAL_BUFFER_BYTES];

  /** Reads from {@code in}; a line of more than {@code maxLineBytes} bytes fails. */
  public LineReader(InputStream in, int maxLineBytes) {
    if (maxLineBytes < 1) {
      throw new IllegalArgumentException("maxLineBytes must be positive: " + maxLineBytes);
    }
    this.in = in;
    this.maxLineBytes = maxLineBytes;
  }

  /**
   * Returns the next line without its newline (and without a trailing carriage return), skipping
   * empty lines, or {@code null} at a clean end of stream.
   *
   * @throws FrameTooLargeException if the line exceeds the limit
   * @throws EOFException if the stream ends in the middle of a line
   */
  public byte @Nullable [] readLine() throws IOException {
    int length = 0;
    while (true) {
      if (position == limit && !fill()) {
        if (length == 0) {
          return null;
        }
        throw new EOFException(
            "the connection closed in the middle of a message, after " + length + " bytes");
      }
      byte b = buffer[position++];
      if (b == '\n') {
        if (length > 0 && line[length - 1] == '\r') {
          length--;
        }
        if (length == 0) {
          continue;
        }
        byte[] result = Arrays.copyOf(line, length);
        if (line.length > KEPT_BUFFER_BYTES) {
          line = new byte[INITIAL_BUFFER_BYTES]; // one large message must not pin its buffer
        }
        return result;
      }
      if (length == maxLineBytes) {
        throw new FrameTooLargeException(maxLineBytes);
      }
      if (length == line.length) {
        line = Arrays.copyOf(line, (int) Math.min((long) maxLineBytes, line.length * 2L));
      }
      line[length++] = b;
    }
  }

  /**
   * Discards bytes up to and including the next {@code marker} byte, as the guest agent's {@code
   * guest-sync-delimited} requires.
   *
   * @return {@code false} if the stream ended first
   */
  public boolean skipPast(byte marker) throws IOException {
    while (true) {
      if (position == limit && !fill()) {
        return false;
      }
      if (buffer[position++] == marker) {
        return true;
      }
    }
  }

  private boolean fill() throws IOException {
    int n = in.read(buffer, 0, buffer.length);
    if (n <= 0) {
      return false;
    }
    position = 0;
    limit = n;
    return true;
  }
}
