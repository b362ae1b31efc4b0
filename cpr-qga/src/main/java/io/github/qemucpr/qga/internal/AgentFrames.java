package io.github.qemucpr.qga.internal;

import io.github.qemucpr.qga.GuestAgentConnectionClosedException;
import io.github.qemucpr.qmp.internal.wire.Checks;
import io.github.qemucpr.qmp.internal.wire.FrameTooLargeException;
import io.github.qemucpr.qmp.internal.wire.WriteTimeoutException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The agent's stream as {@link Frame}s. On the channel's reader thread, which consumes the socket
 * all the time, {@link #readAll} splits the stream at newlines and 0xFF delimiters, and queues
 * whole lines, delimiters, oversized messages and the end of the stream for {@link #next(long)}.
 * When the stream ends or breaks, or the reader fails in any way, {@link #ended} records the reason
 * in the connection's closed state, and the channel closes: the client is closed, never half alive.
 *
 * <p>The guest is not trusted, so what it sends is held only while a caller waits for it, and only
 * up to a bound in bytes. Between {@link #arm()} and {@link #disarm()} (while a command holds the
 * turn) a line is kept up to the message limit, and the lines waiting for the caller take at most
 * {@link #MAX_QUEUED_BYTES} (or one line, if it is larger), each line counted with {@link
 * #FRAME_OVERHEAD_BYTES} for what holding it costs beyond its bytes; past that the reader stops
 * reading until the caller takes some, which leaves the rest in the socket. Otherwise no caller
 * waits: a line that begins then is skipped without being stored, and noted as {@linkplain
 * #takeUnsolicited() unsolicited}, so that the next command resynchronizes. So the bytes read and
 * not yet taken are at most the message limit plus {@code max(MAX_QUEUED_BYTES, message limit)},
 * whatever the guest sends.
 */
final class AgentFrames {

  /** Kept under the connection's name, which is where its log lines always came from. */
  private static final System.Logger LOG = System.getLogger(GuestAgentConnection.class.getName());

  static final byte DELIMITER = (byte) 0xFF;

  private static final byte[] NO_BYTES = new byte[0];

  /** The bytes of lines that may wait for the caller, unless one line alone is larger. */
  static final int MAX_QUEUED_BYTES = 1024 * 1024;

  /**
   * What holding one frame costs beyond a line's own bytes, counted against the bound: the frame
   * object, an array's header and a slot in the queue come to less than 48 bytes, so that a flood
   * of one-byte lines holds no more than a flood of long ones. A delimiter or an oversized marker
   * counts for this alone.
   */
  static final int FRAME_OVERHEAD_BYTES = 64;

  private static final int READ_BUFFER_BYTES = 16 * 1024;

  /** The line buffer starts this small, and goes back to it after a larger line. */
  private static final int LINE_BUFFER_BYTES = 1024;

  private final String peer;
  private final int maxMessageBytes;
  private final AtomicReference<@Nullable GuestAgentConnectionClosedException> closed;

  /**
   * The reason given when the reader fails so badly that even its message cannot be built (out of
   * memory); made up front for that reason.
   */
  private final GuestAgentConnectionClosedException readerFailed;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** Guarded by {@link #lock}. */
  private final ArrayDeque<Frame> frames = new ArrayDeque<>();

  /** Guarded by {@link #lock}: what the queued frames count for. */
  private long queuedBytes;

  /** Guarded by {@link #lock}: the stream ended; {@link End} comes after the queued frames. */
  private boolean ended;

  /** Written under {@link #lock}; read by the reader at the start of each line. */
  private volatile boolean armed;

  /** The reader skipped or dropped something no caller asked for. */
  private final AtomicBoolean unsolicited = new AtomicBoolean();

  /** Reader only: whether the first unsolicited frame was logged. */
  private boolean unsolicitedLogged;

  /** Reader only: the bytes of lines skipped so far, for one warning past {@link #FLOOD_BYTES}. */
  private long skippedBytes;

  /** Skipped bytes past which the agent is taken to flood the client, and a warning logged. */
  private static final long FLOOD_BYTES = 1024 * 1024;

  // The reader thread's own state.
  private byte[] line = new byte[LINE_BUFFER_BYTES];
  private int length;
  private State state = State.START;

  private enum State {
    /** Between lines: the next byte decides whether the line is kept or skipped. */
    START,
    /** In a line that began while a caller waited: stored up to the limit. */
    KEEP,
    /** In a line that began while no caller waited: skipped to its end. */
    SKIP_LINE,
    /** After an oversized line: skipped to the next 0xFF, as a resynchronization ends there. */
    SKIP_TO_DELIMITER
  }

  AgentFrames(
      String peer,
      int maxMessageBytes,
      AtomicReference<@Nullable GuestAgentConnectionClosedException> closed) {
    this.peer = peer;
    this.maxMessageBytes = maxMessageBytes;
    this.closed = closed;
    this.readerFailed =
        new GuestAgentConnectionClosedException(
            "the reader of the guest agent at "
                + peer
                + " failed (out of memory?); the client was closed, connect again",
            null);
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

  /** The stream ended; {@link #next(long)} returns it from then on, once the queue is empty. */
  enum End implements Frame {
    INSTANCE
  }

  // ---------------------------------------------------------------- the caller's side

  /** A caller now waits for the agent: lines that begin from now on are kept for it. */
  void arm() {
    lock.lock();
    try {
      armed = true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * No caller waits any longer: what is queued is dropped (and counts as unsolicited), and the
   * reader goes back to skipping.
   */
  void disarm() {
    lock.lock();
    try {
      armed = false;
      if (!frames.isEmpty()) {
        unsolicited.set(true);
      }
      dropQueued();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether the agent sent something no caller asked for since the last call, which means that the
   * stream may be out of step; clears the flag.
   */
  boolean takeUnsolicited() {
    return unsolicited.getAndSet(false);
  }

  /** Drops everything queued; an {@link End} stays, since the stream ended for good. */
  void clear() {
    lock.lock();
    try {
      dropQueued();
    } finally {
      lock.unlock();
    }
  }

  /** Marks the stream as ended, after the frames already queued; for closing. */
  void end() {
    lock.lock();
    try {
      ended = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The next frame, as long as {@code deadline} has not passed: {@code null} once it has, even
   * while frames are queued, so that a guest that keeps the queue filled cannot keep a caller past
   * its timeout; {@link End} once the stream ended and every frame before it was taken, and from
   * then on.
   */
  @Nullable Frame next(long deadline) throws InterruptedException {
    lock.lock();
    try {
      while (true) {
        if (ended && frames.isEmpty()) {
          return End.INSTANCE;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        Frame frame = frames.pollFirst();
        if (frame != null) {
          queuedBytes -= bytesOf(frame);
          changed.signalAll(); // the reader may wait for room
          return frame;
        }
        changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  private void dropQueued() {
    frames.clear();
    queuedBytes = 0;
    changed.signalAll();
  }

  private static long bytesOf(Frame frame) {
    return frame instanceof Line l
        ? FRAME_OVERHEAD_BYTES + (long) l.bytes().length
        : FRAME_OVERHEAD_BYTES;
  }

  // ---------------------------------------------------------------- the reader thread

  /** Reads the agent's stream until it ends; on the channel's reader thread. */
  void readAll(InputStream in) throws IOException, InterruptedException {
    byte[] buffer = new byte[READ_BUFFER_BYTES];
    for (int n = in.read(buffer, 0, buffer.length); n >= 0; n = in.read(buffer, 0, buffer.length)) {
      consume(buffer, n);
    }
  }

  /**
   * Why reading ended ({@code null} at the end of the stream), from the channel's reader thread:
   * records the reason as the connection's closed state, unless it is closed already, and ends the
   * stream for callers after the frames already queued.
   */
  void ended(@Nullable Throwable failure) {
    GuestAgentConnectionClosedException reason;
    if (failure == null) {
      reason = endOfStream();
    } else if (failure instanceof WriteTimeoutException e) {
      reason =
          new GuestAgentConnectionClosedException(
              "the connection to the guest agent at "
                  + peer
                  + " was closed because a request could not be sent within "
                  + Checks.format(e.limit())
                  + " (is the guest suspended or frozen, or qemu-ga stopped?)",
              null);
    } else if (failure instanceof IOException e) {
      reason =
          new GuestAgentConnectionClosedException(
              "the connection to the guest agent at " + peer + " broke: " + e.getMessage(), e);
    } else {
      // Out of memory, a bug, anything: the client closes rather than stay half alive, with a
      // reader gone and callers that would only time out.
      line = NO_BYTES; // frees the line buffer without allocating
      clear();
      reason = failed(failure);
    }
    closed.compareAndSet(null, reason);
    end();
  }

  private GuestAgentConnectionClosedException endOfStream() {
    if (state == State.KEEP && length > 0) {
      EOFException e =
          new EOFException(
              "the connection closed in the middle of a message, after " + length + " bytes");
      return new GuestAgentConnectionClosedException(
          "the connection to the guest agent at " + peer + " broke: " + e.getMessage(), e);
    }
    return new GuestAgentConnectionClosedException(
        "QEMU closed the guest agent socket " + peer + " (did it exit?)", null);
  }

  private GuestAgentConnectionClosedException failed(Throwable e) {
    try {
      return new GuestAgentConnectionClosedException(
          "the reader of the guest agent at "
              + peer
              + " failed: "
              + e
              + "; the client was closed, connect again",
          e);
    } catch (Throwable again) {
      return readerFailed;
    }
  }

  /** Runs {@code n} bytes of {@code buffer} through the line state machine. */
  private void consume(byte[] buffer, int n) throws InterruptedException {
    int i = 0;
    while (i < n) {
      switch (state) {
        case START -> {
          byte b = buffer[i];
          if (b == '\n') {
            i++; // an empty line
          } else if (b == DELIMITER) {
            i++;
            delimiter();
          } else if (armed) {
            state = State.KEEP;
            length = 0;
          } else {
            state = State.SKIP_LINE;
            noteUnsolicited("a line");
          }
        }
        case KEEP -> {
          int end = lineEnd(buffer, i, n);
          if ((long) length + (end - i) > maxMessageBytes) {
            oversized();
            i = end;
            break;
          }
          append(buffer, i, end - i);
          i = end;
          if (i < n) {
            byte b = buffer[i++];
            state = State.START;
            if (b == '\n') {
              finishLine();
            } else {
              length = 0; // what preceded a 0xFF was an interrupted message
              shrinkLine();
              delimiter();
            }
          }
        }
        case SKIP_LINE -> {
          int end = lineEnd(buffer, i, n);
          skipped(end - i);
          i = end;
          if (i < n) {
            byte b = buffer[i++];
            state = State.START;
            if (b == DELIMITER) {
              delimiter();
            }
          }
        }
        case SKIP_TO_DELIMITER -> {
          i = delimiterAt(buffer, i, n);
          if (i < n) {
            i++;
            state = State.START;
            delimiter();
          }
        }
      }
    }
  }

  private void append(byte[] buffer, int from, int count) {
    if (length + count > line.length) {
      int size = (int) Math.min((long) maxMessageBytes, Math.max(line.length * 2L, length + count));
      line = Arrays.copyOf(line, size);
    }
    System.arraycopy(buffer, from, line, length, count);
    length += count;
  }

  private void finishLine() throws InterruptedException {
    int size = length;
    if (size > 0 && line[size - 1] == '\r') {
      size--;
    }
    length = 0;
    if (size == 0) {
      return;
    }
    byte[] bytes = Arrays.copyOf(line, size);
    shrinkLine();
    push(new Line(bytes));
  }

  /** A line past the limit: the caller learns of it, and the rest up to a 0xFF is skipped. */
  private void oversized() throws InterruptedException {
    length = 0;
    shrinkLine();
    state = State.SKIP_TO_DELIMITER;
    push(new Oversized(new FrameTooLargeException(maxMessageBytes)));
  }

  private void shrinkLine() {
    if (line.length > LINE_BUFFER_BYTES) {
      line = new byte[LINE_BUFFER_BYTES];
    }
  }

  private void delimiter() throws InterruptedException {
    push(Delimiter.INSTANCE);
  }

  /**
   * Queues a frame for the caller, waiting while the queue is full and a caller still waits; drops
   * it when no caller waits.
   */
  private void push(Frame frame) throws InterruptedException {
    long bytes = bytesOf(frame);
    lock.lock();
    try {
      while (armed && !ended && !frames.isEmpty() && queuedBytes + bytes > MAX_QUEUED_BYTES) {
        changed.await();
      }
      if (!armed || ended) {
        noteUnsolicited(frame instanceof Line ? "a line" : "a delimiter");
        return;
      }
      if (frame == Delimiter.INSTANCE && frames.peekLast() == Delimiter.INSTANCE) {
        return; // two in a row mean no more than one
      }
      frames.addLast(frame);
      queuedBytes += bytes;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Notes a frame nobody asked for. One is routine (the answer to the sync sent behind {@code
   * guest-suspend-ram} comes after the wake-up), so it is logged at debug level, once.
   */
  private void noteUnsolicited(String what) {
    unsolicited.set(true);
    if (!unsolicitedLogged) {
      unsolicitedLogged = true;
      LOG.log(
          System.Logger.Level.DEBUG,
          "the guest agent at {0} sent {1} while no command waited for it: skipped, and the"
              + " next command resynchronizes",
          peer,
          what);
    }
  }

  private void skipped(long bytes) {
    long before = skippedBytes;
    skippedBytes += bytes;
    if (before <= FLOOD_BYTES && skippedBytes > FLOOD_BYTES) {
      LOG.log(
          System.Logger.Level.WARNING,
          "the guest agent at {0} has sent more than 1 MiB that no command asked for (does the"
              + " guest flood its agent channel?); it is skipped unread, and only the guest''s own"
              + " commands suffer (logged once per connection)",
          peer);
    }
  }

  /** The index of the next newline or 0xFF in {@code buffer[from, n)}, or {@code n}. */
  private static int lineEnd(byte[] buffer, int from, int n) {
    for (int i = from; i < n; i++) {
      byte b = buffer[i];
      if (b == '\n' || b == DELIMITER) {
        return i;
      }
    }
    return n;
  }

  /** The index of the next 0xFF in {@code buffer[from, n)}, or {@code n}. */
  private static int delimiterAt(byte[] buffer, int from, int n) {
    for (int i = from; i < n; i++) {
      if (buffer[i] == DELIMITER) {
        return i;
      }
    }
    return n;
  }
}
