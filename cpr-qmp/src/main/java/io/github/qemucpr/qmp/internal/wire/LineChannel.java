package io.github.qemucpr.qmp.internal.wire;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The connection under both protocol engines (QMP and the guest agent): a {@link Transport}, the
 * one thread that reads it, writes with a deadline, and closing. What the bytes mean is the
 * engine's business: it reads the stream on the reader thread through a {@link StreamReader} and
 * hears once, through an end handler, why the stream ended.
 *
 * <p><b>Writes.</b> A socket write cannot be bounded: it blocks while the peer does not read (QEMU
 * stopped, a guest suspended with its agent's buffers full). So every write has a limit, and a
 * watchdog closes the channel under a write that outlives it, which ends the write with a {@link
 * WriteTimeoutException}. A half-written request would corrupt the stream anyway, so closing is the
 * only safe way out. One watchdog thread serves every channel in the JVM, and exists only while a
 * write is under way (and a second after).
 *
 * <p><b>Reading.</b> {@link #start()} starts the reader thread, which runs the engine's reader
 * until the stream ends, then calls the end handler exactly once and closes the transport: with
 * {@code null} at a clean end of stream, or with whatever the reader threw, {@link Error}s
 * included, so that an engine is closed rather than left half alive.
 */
public final class LineChannel implements AutoCloseable {

  /** What an engine does with the stream, on the reader thread. */
  @FunctionalInterface
  public interface StreamReader {
    /** Reads {@code in} until it ends (returns) or fails (throws). */
    void readAll(InputStream in) throws Exception;
  }

  private static final DeadlineTimer WATCHDOG =
      new DeadlineTimer("cpr-write-watchdog", Duration.ofSeconds(1));

  private final Transport transport;
  private final Thread reader;

  /** Set by the watchdog, to the write's limit, when it closed the channel under a write. */
  private volatile @Nullable Duration abandonedWrite;

  /**
   * Makes a channel over {@code transport}; nothing is read before {@link #start()}.
   *
   * @param threadName the reader thread's name
   * @param streamReader reads the stream on the reader thread
   * @param onEnd told once, on the reader thread, why reading ended: {@code null} for a clean end
   *     of stream, a {@link WriteTimeoutException} when the channel was closed under a write, else
   *     what the reader threw; the transport is closed right after it
   */
  public LineChannel(
      Transport transport,
      String threadName,
      StreamReader streamReader,
      Consumer<@Nullable Throwable> onEnd) {
    this.transport = Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(streamReader, "streamReader");
    Objects.requireNonNull(onEnd, "onEnd");
    InputStream in = transport.input();
    this.reader =
        new Thread(
            () -> {
              Throwable failure = null;
              try {
                streamReader.readAll(in);
              } catch (Throwable e) {
                failure = e;
              }
              // From here on nothing may skip closing, not even an exhausted heap: allocating
              // the WriteTimeoutException, or the end handler, may throw an Error again.
              try {
                Duration abandoned = abandonedWrite;
                if (abandoned != null && !(failure instanceof Error)) {
                  failure = new WriteTimeoutException(abandoned, failure); // the cause of the end
                }
              } catch (Throwable e) {
                failure = e;
              } finally {
                try {
                  onEnd.accept(failure);
                } finally {
                  transport.close();
                }
              }
            },
            threadName);
    this.reader.setDaemon(true);
  }

  /** Starts the reader thread. */
  public void start() {
    reader.start();
  }

  /** The peer, for messages: a socket path or {@code host:port}. */
  public String peer() {
    return transport.describe();
  }

  /** Whether file descriptors can be passed (a Unix socket). */
  public boolean canPassFileDescriptors() {
    return transport.canPassFileDescriptors();
  }

  /**
   * Writes {@code bytes} (with {@code fds} as SCM_RIGHTS data) within {@code limit}. It returns at
   * once while the peer reads; otherwise it waits, and when {@code limit} passes the channel is
   * closed under it.
   *
   * @throws WriteTimeoutException if the write did not end within {@code limit}; the channel is
   *     closed
   * @throws IOException if the connection broke or was closed
   */
  public void write(byte[] bytes, List<FileDescriptor> fds, Duration limit) throws IOException {
    // Per write: a later write on a channel closed under an earlier one fails as closed, not as a
    // timeout of its own.
    AtomicBoolean abandoned = new AtomicBoolean();
    DeadlineTimer.Deadline guard = WATCHDOG.schedule(() -> abandonWrite(abandoned, limit), limit);
    try {
      transport.write(bytes, fds);
    } catch (IOException e) {
      if (abandoned.get()) {
        throw new WriteTimeoutException(limit, e);
      }
      throw e;
    } finally {
      guard.cancel();
    }
  }

  private void abandonWrite(AtomicBoolean abandoned, Duration limit) {
    abandoned.set(true);
    abandonedWrite = limit;
    transport.close();
  }

  /** Whether the watchdog closed this channel under a write that outlived its limit. */
  public boolean writeAbandoned() {
    return abandonedWrite != null;
  }

  /** Closes the transport, which ends the reader; idempotent. */
  @Override
  public void close() {
    transport.close();
  }

  /** Waits up to {@code timeout} for the reader thread to end, unless called from it. */
  public void join(Duration timeout) throws InterruptedException {
    if (Thread.currentThread() != reader) {
      reader.join(Math.max(1, timeout.toMillis()));
    }
  }

  /** The reader thread, for callers that wait for several threads within one deadline. */
  public Thread readerThread() {
    return reader;
  }
}
