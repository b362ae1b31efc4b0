package io.github.qemucpr.qmp.internal.wire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Splits a byte stream into newline-terminated messages, refusing any message longer than a limit
 * so that a broken peer cannot exhaust memory. Not thread-safe: one reader thread owns it.
 *
 * <p>Its buffers are small while the stream is quiet, as it is most of the time (a host holds a
 * connection per VM, mostly idle): the read buffer doubles, up to 16 KiB, while reads fill it and
 * more is waiting, and goes back to 1 KiB before a read that would wait ({@link
 * InputStream#available()} is 0); the buffer that gathers a line goes back to 1 KiB once a longer
 * line was returned and nothing more is buffered.
 */
public final class LineReader {

  private static final int MIN_READ_BYTES = 1024;
  private static final int MAX_READ_BYTES = 16 * 1024;
  private static final int INITIAL_BUFFER_BYTES = 1024;

  private final InputStream in;
  private final int maxLineBytes;
  private byte[] buffer = new byte[MIN_READ_BYTES];
  private int position;
  private int limit;

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
        if (line.length > INITIAL_BUFFER_BYTES && position == limit) {
          // Nothing more is buffered, so the stream may now be quiet for long: a large message
          // must not pin its buffer meanwhile. In a burst the buffer stays.
          line = new byte[INITIAL_BUFFER_BYTES];
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
    // Called with the buffer used up, so it may be replaced. Asked only when the buffer is large
    // or the last read filled it: small messages, the usual traffic, cost no extra call.
    if (buffer.length > MIN_READ_BYTES || limit == buffer.length) {
      if (in.available() == 0) {
        if (buffer.length > MIN_READ_BYTES) {
          buffer = new byte[MIN_READ_BYTES]; // the read may wait for long: wait with little
        }
      } else if (limit == buffer.length && buffer.length < MAX_READ_BYTES) {
        buffer = new byte[buffer.length * 2]; // more is waiting: read more at a time
      }
    }
    int n = in.read(buffer, 0, buffer.length);
    if (n <= 0) {
      position = 0;
      limit = 0;
      return false;
    }
    position = 0;
    limit = n;
    return true;
  }
}
