package io.github.qemucpr.qmp.internal.protocol;

import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpProtocolException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.internal.codec.Replies;
import io.github.qemucpr.qmp.internal.wire.DeadlineTimer;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The commands of a {@link QmpConnection} that wait for their replies: the request ids, the table
 * of pending calls by id, and their deadlines, on the JVM's one {@link Deadlines} timer, which
 * expire a call whose reply is late and close the connection when the request could not even be
 * sent.
 */
final class PendingCalls {

  private final String peer;
  private final Consumer<QmpConnectionClosedException> closeConnection;
  private final AtomicLong ids = new AtomicLong();
  private final ConcurrentHashMap<Long, PendingCall<?>> pending = new ConcurrentHashMap<>();

  /**
   * @param closeConnection closes the connection for a request QEMU did not read in time
   */
  PendingCalls(String peer, Consumer<QmpConnectionClosedException> closeConnection) {
    this.peer = peer;
    this.closeConnection = closeConnection;
  }

  long nextId() {
    return ids.incrementAndGet();
  }

  /**
   * Enters a call under {@code id} and starts its timeout. The caller checks for a close after
   * this: one that came first may have swept the table already, and the caller then fails the
   * future, which ends its timeout.
   */
  <R> PendingCall<R> add(
      long id, String name, Type replyType, CompletableFuture<R> future, Duration timeout) {
    PendingCall<R> call = new PendingCall<>(name, replyType, future);
    pending.put(id, call);
    // A cancelled or otherwise completed future frees its slot; a late reply is then dropped.
    future.whenComplete((r, t) -> pending.remove(id, call));
    DeadlineTimer.Deadline deadline = Deadlines.schedule(() -> expire(call, timeout), timeout);
    call.timeout = deadline;
    if (future.isDone()) {
      // Completed before its deadline was known (cancelled, or failed by a close): nothing else
      // would take the deadline off the shared timer, where it would hold the call until it fired.
      deadline.cancel();
    }
    return call;
  }

  /** Takes the call waiting for the reply with this id, or null if none does. */
  @Nullable PendingCall<?> remove(long id) {
    return pending.remove(id);
  }

  private void expire(PendingCall<?> call, Duration timeout) {
    if (call.sent) {
      call.future.completeExceptionally(
          new QmpTimeoutException(
              call.name
                  + " got no reply from "
                  + peer
                  + " within "
                  + timeout.toMillis()
                  + " ms; QEMU may still carry it out, and its late reply will be dropped",
              timeout));
      return;
    }
    // The request is still stuck in the socket (or behind another one that is): QEMU has not read
    // its monitor for a whole timeout, as when it is stopped. A write cannot be taken back, and a
    // half-written request would corrupt the stream, so the connection is closed (the channel's
    // own write limit, the same timeout, does so too); that also unblocks the writing thread.
    call.future.completeExceptionally(notSent(call.name, peer, timeout));
    closeConnection.accept(notReadFor(peer, timeout));
  }

  /** The failure of a call whose request QEMU did not read within its timeout. */
  static QmpTimeoutException notSent(String name, String peer, Duration timeout) {
    return new QmpTimeoutException(
        name
            + " could not be sent to "
            + peer
            + " within "
            + timeout.toMillis()
            + " ms: QEMU does not read its monitor (is it stopped or hung?); the connection was"
            + " closed",
        timeout);
  }

  /** Why the connection closed when QEMU did not read a request within its timeout. */
  static QmpConnectionClosedException notReadFor(String peer, Duration timeout) {
    return new QmpConnectionClosedException(
        "the QMP connection "
            + peer
            + " was closed because QEMU did not read a request for "
            + timeout.toMillis()
            + " ms (is it stopped or hung?)",
        null);
  }

  /**
   * Fails every pending call because the connection closed for {@code reason}; with {@code reason}
   * itself when the heap has no room for a message naming the call.
   */
  void failAll(QmpConnectionClosedException reason) {
    for (Long id : pending.keySet()) {
      PendingCall<?> call = pending.remove(id);
      if (call == null) {
        continue;
      }
      QmpConnectionClosedException failure = reason;
      try {
        failure = closedFor(call.name, reason);
      } catch (Throwable e) {
        // out of memory: the bare reason still ends the call
      }
      call.future.completeExceptionally(failure);
    }
  }

  static QmpConnectionClosedException closedFor(
      String command, QmpConnectionClosedException reason) {
    return new QmpConnectionClosedException(
        command + " failed: " + reason.getMessage(),
        reason.getCause() != null ? reason.getCause() : reason,
        reason.closedByQemu());
  }

  /** A sent command waiting for its reply. */
  static final class PendingCall<R> {
    final String name;
    final Type replyType;
    final CompletableFuture<R> future;
    volatile DeadlineTimer.@Nullable Deadline timeout;

    /** Whether the request was written out whole. */
    volatile boolean sent;

    PendingCall(String name, Type replyType, CompletableFuture<R> future) {
      this.name = name;
      this.replyType = replyType;
      this.future = future;
      future.whenComplete(
          (r, t) -> {
            DeadlineTimer.Deadline s = timeout;
            if (s != null) {
              s.cancel();
            }
          });
    }

    /**
     * Completes the call with its reply. The call has left the table already, so nothing else would
     * ever complete it: whatever decoding throws completes it too. An {@code Error} is rethrown
     * after that, and the reader closes the connection.
     */
    void complete(JsonNode message) {
      JsonNode error = message.get("error");
      if (error != null) {
        future.completeExceptionally(Replies.error(name, error));
        return;
      }
      try {
        future.complete(
            Replies.decode(message.get("return"), replyType, name, QmpConnection.CODEC));
      } catch (QmpException e) {
        future.completeExceptionally(e);
      } catch (RuntimeException e) {
        future.completeExceptionally(
            new QmpProtocolException(
                "the reply to "
                    + name
                    + " could not be decoded as "
                    + replyType.getTypeName()
                    + ": "
                    + e,
                e));
      } catch (Error e) {
        future.completeExceptionally(e);
        throw e;
      }
    }
  }
}
