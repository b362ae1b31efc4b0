package io.github.qemucpr.qga.internal;

import io.github.qemucpr.qga.GuestAgentConnectionClosedException;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qmp.internal.wire.Transport;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Writes requests to the agent's socket within a limit: a watchdog closes the connection under a
 * write that outlives it, since a socket write cannot be bounded otherwise. A failed write records
 * the reason in the connection's closed state.
 */
final class GuardedWriter {

  private final Transport transport;
  private final String peer;
  private final AtomicReference<@Nullable GuestAgentConnectionClosedException> closed;
  /** The connection's exception for a command that fails because the connection is closed. */
  private final Function<String, GuestAgentConnectionClosedException> closedFor;

  /** Bounds each write; its thread lives only while a write is guarded, and a second after. */
  private final ScheduledThreadPoolExecutor watchdog;

  /** Set when the watchdog closed the connection under a write that did not finish. */
  private volatile boolean writeAbandoned;

  GuardedWriter(
      Transport transport,
      String peer,
      AtomicReference<@Nullable GuestAgentConnectionClosedException> closed,
      Function<String, GuestAgentConnectionClosedException> closedFor,
      String threadName) {
    this.transport = transport;
    this.peer = peer;
    this.closed = closed;
    this.closedFor = closedFor;
    this.watchdog =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    this.watchdog.setRemoveOnCancelPolicy(true);
    this.watchdog.setKeepAliveTime(1, TimeUnit.SECONDS);
    this.watchdog.allowCoreThreadTimeOut(true);
  }

  /**
   * Writes a request, within {@code limit}. The agent's socket stops taking bytes once QEMU stops
   * reading it, as when the guest is suspended or qemu-ga is stopped and the virtio-serial buffers
   * are full; a socket write cannot be bounded, so the watchdog closes the connection under a write
   * that outlives its limit, which ends the write.
   */
  void send(String name, byte[] bytes, Duration limit) {
    ScheduledFuture<?> guard;
    try {
      guard =
          watchdog.schedule(
              () -> abandonWrite(name, limit), limit.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      throw closedFor.apply(name); // closed meanwhile
    }
    try {
      transport.write(bytes, List.of());
    } catch (IOException e) {
      if (writeAbandoned) {
        throw new GuestAgentTimeoutException(
            name
                + " could not be sent to the guest agent at "
                + peer
                + " within "
                + GuestAgentConnection.format(limit)
                + ": QEMU does not take more input for the agent (is the guest suspended or"
                + " frozen, or qemu-ga stopped?); the connection was closed, connect again",
            limit);
      }
      if (closed.compareAndSet(
          null,
          new GuestAgentConnectionClosedException(
              "the connection to the guest agent at "
                  + peer
                  + " broke while sending "
                  + name
                  + ": "
                  + e.getMessage(),
              e))) {
        transport.close();
      }
      throw closedFor.apply(name);
    } finally {
      guard.cancel(false);
    }
  }

  private void abandonWrite(String name, Duration limit) {
    writeAbandoned = true;
    closed.compareAndSet(
        null,
        new GuestAgentConnectionClosedException(
            "the connection to the guest agent at "
                + peer
                + " was closed because "
                + name
                + " could not be sent within "
                + GuestAgentConnection.format(limit)
                + " (is the guest suspended or frozen, or qemu-ga stopped?)",
            null));
    transport.close(); // ends the write, and the reader thread
  }

  /** Stops the watchdog; a write scheduled afterwards fails as closed. */
  void shutdownNow() {
    watchdog.shutdownNow();
  }

  /** Waits up to {@code millis} for the watchdog's thread to end. */
  boolean awaitTermination(long millis) throws InterruptedException {
    return watchdog.awaitTermination(millis, TimeUnit.MILLISECONDS);
  }
}
