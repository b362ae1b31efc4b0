package io.github.qemucpr.qga.internal;

import io.github.qemucpr.qga.GuestAgentConnectionClosedException;
import io.github.qemucpr.qmp.internal.wire.FrameTooLargeException;
import io.github.qemucpr.qmp.internal.wire.LineReader;
import io.github.qemucpr.qmp.internal.wire.Transport;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The agent's stream as {@link Frame}s: the reader thread that consumes the socket all the time,
 * splits it at newlines and 0xFF delimiters, and queues whole lines, delimiters, oversized messages
 * and the end of the stream for {@link #next(long)}. When the stream ends or breaks, it records the
 * reason in the connection's closed state and closes the transport.
 */
final class AgentFrames {

  /** Kept under the connection's name, which is where its log lines always came from. */
  private static final System.Logger LOG = System.getLogger(GuestAgentConnection.class.getName());

  static final byte DELIMITER = (byte) 0xFF;

  /** Replies are read by one caller at a time, so only a flood of stale lines can fill this. */
  private static final int MAX_QUEUED_FRAMES = 4096;

  private final Transport transport;
  private final String peer;
  private final AtomicReference<@Nullable GuestAgentConnectionClosedException> closed;
  private final LineReader lines;
  private final LinkedBlockingDeque<Frame> frames = new LinkedBlockingDeque<>(MAX_QUEUED_FRAMES);
  private final Thread reader;

  AgentFrames(
      Transport transport,
      String peer,
      int maxMessageBytes,
      AtomicReference<@Nullable GuestAgentConnectionClosedException> closed,
      String threadName) {
    this.transport = transport;
    this.peer = peer;
    this.closed = closed;
    this.lines = new LineReader(transport.input(), maxMessageBytes);
    this.reader = new Thread(this::readLoop, threadName);
    this.reader.setDaemon(true);
  }

  /** Starts the reader thread. */
  void start() {
    reader.start();
  }

  /** The reader thread, for joining it on close. */
  Thread reader() {
    return reader;
  }

  /**
   * Drops everything queued, an {@link End} too; the closed state is set before an {@code End} is
   * pushed, so a caller checks it after clearing.
   */
  void clear() {
    frames.clear();
  }

  /** A unit of the agent's stream, as the reader thread hands it to callers. */
  sealed interface Frame permits Line, Delimiter, Oversized, End {}

  /** One whole line (never containing 0xFF). */
  record Line(byte[] bytes) implements Frame {}

  /** A 0xFF byte: what follows starts a fresh message. */
  enum Delimiter implements Frame {
    INSTANCE
  }

  /** A message over the limit; the reader then skips to the next delimiter. */
  record Oversized(FrameTooLargeException cause) implements Frame {}

  /** The stream ended; stays at the head of the queue. */
  enum End implements Frame {
    INSTANCE
  }

  private void readLoop() {
    GuestAgentConnectionClosedException reason;
    try {
      while (true) {
        byte[] line;
        try {
          line = lines.readLine();
        } catch (FrameTooLargeException e) {
          push(new Oversized(e));
          if (!lines.skipPast(DELIMITER)) {
            line = null;
          } else {
            push(Delimiter.INSTANCE);
            continue;
          }
        }
        if (line == null) {
          reason =
              new GuestAgentConnectionClosedException(
                  "QEMU closed the guest agent socket " + peer + " (did it exit?)", null);
          break;
        }
        split(line);
      }
    } catch (IOException e) {
      reason =
          new GuestAgentConnectionClosedException(
              "the connection to the guest agent at " + peer + " broke: " + e.getMessage(), e);
    }
    if (closed.compareAndSet(null, reason)) {
      transport.close();
    }
    push(End.INSTANCE);
  }

  /** Splits a line at 0xFF bytes: what precedes the last one is an interrupted message. */
  private void split(byte[] line) {
    int last = -1;
    for (int i = 0; i < line.length; i++) {
      if (line[i] == DELIMITER) {
        last = i;
      }
    }
    if (last < 0) {
      push(new Line(line));
      return;
    }
    push(Delimiter.INSTANCE);
    if (last + 1 < line.length) {
      push(new Line(Arrays.copyOfRange(line, last + 1, line.length)));
    }
  }

  void push(Frame frame) {
    while (!frames.offerLast(frame)) {
      Frame dropped = frames.pollFirst();
      if (dropped != null) {
        LOG.log(
            System.Logger.Level.WARNING,
            "the guest agent at {0} floods the client: dropping" + " an unread message",
            peer);
      }
    }
  }

  /** The next frame before {@code deadline}, or {@code null}; an {@link End} stays queued. */
  @Nullable Frame next(long deadline) throws InterruptedException {
    long left = deadline - System.nanoTime();
    Frame frame = left > 0 ? frames.pollFirst(left, TimeUnit.NANOSECONDS) : frames.pollFirst();
    if (frame == End.INSTANCE) {
      frames.offerFirst(frame);
    }
    return frame;
  }
}
