package io.github.qemucpr.qmp.internal.protocol;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectException;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpInterruptedException;
import io.github.qemucpr.qmp.QmpReconnection;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.internal.wire.Checks;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/** {@link QmpClient#reconnect}: wait for the old connection to close, then connect until ready. */
public final class Reconnector {

  /**
   * The pause between attempts. QEMU's new monitor listens about 100 ms after the old one closed
   * (cpr-exec, measured polling every 10 ms); a refused connect on a Unix socket costs
   * microseconds.
   */
  static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private Reconnector() {}

  /** See {@link QmpClient#reconnect(QmpClient, Duration, Consumer)}. */
  public static QmpReconnection reconnect(
      QmpClient old, Duration timeout, @Nullable Consumer<? super QmpClient> onConnect) {
    Objects.requireNonNull(old, "old");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    if (!(old instanceof QmpConnection connection)) {
      throw new IllegalArgumentException(
          "reconnect needs a client made by QmpClient.connect or QmpClient.builder(), not "
              + old.getClass().getName());
    }
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    QmpSettings settings = withHook(connection.settings(), onConnect);
    @Nullable Throwable closeCause = awaitClosed(old, deadline, timeout);
    long gapStart = System.nanoTime();
    old.close(); // already closed: this only lets its threads end

    int attempts = 0;
    RuntimeException last = null;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0 && attempts > 0) {
        throw new QmpTimeoutException(
            "no QMP monitor answered on "
                + settings.peer()
                + " within "
                + timeout.toMillis()
                + " ms ("
                + attempts
                + " attempts); the last error: "
                + (last != null ? last.getMessage() : "none")
                + ". Is QEMU still running, and did it start its monitor again?",
            timeout);
      }
      attempts++;
      try {
        QmpConnection fresh = QmpConnection.open(withConnectTimeout(settings, left));
        return new QmpReconnection(
            fresh, Duration.ofNanos(System.nanoTime() - gapStart), closeCause, attempts);
      } catch (QmpConnectException | QmpConnectionClosedException e) {
        // Absent, refused, or accepted by a monitor that then went away (a QEMU about to exec).
        last = e;
      } catch (QmpTimeoutException e) {
        // The greeting took the whole time left: the next loop reports the deadline.
        last = e;
      }
      pause(Math.min(PAUSE_NANOS, Math.max(0, deadline - System.nanoTime())));
    }
  }

  private static @Nullable Throwable awaitClosed(QmpClient old, long deadline, Duration timeout) {
    try {
      return old.closeFuture().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new QmpTimeoutException(
          "the QMP connection "
              + old.describePeer()
              + " is still open after "
              + timeout.toMillis()
              + " ms: reconnect waits for QEMU to close it, as it does when"
              + " it re-executes for cpr-exec; close the client first to reconnect at once",
          timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException(
          "interrupted while waiting for the QMP connection " + old.describePeer() + " to close",
          e);
    } catch (ExecutionException e) {
      return e.getCause(); // closeFuture completes normally; kept for safety
    }
  }

  /** The old settings, with {@code extra} run after the builder's own hook. */
  private static QmpSettings withHook(QmpSettings s, @Nullable Consumer<? super QmpClient> extra) {
    if (extra == null) {
      return s;
    }
    Consumer<? super QmpClient> own = s.onConnect();
    Consumer<QmpClient> both =
        c -> {
          if (own != null) {
            own.accept(c);
          }
          extra.accept(c);
        };
    return new QmpSettings(
        s.unixSocket(),
        s.tcpHost(),
        s.tcpPort(),
        s.connectTimeout(),
        s.commandTimeout(),
        s.maxMessageBytes(),
        s.enableOob(),
        s.eventListener(),
        s.name(),
        both);
  }

  private static QmpSettings withConnectTimeout(QmpSettings s, long leftNanos) {
    Duration left = Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), leftNanos));
    Duration connect = left.compareTo(s.connectTimeout()) < 0 ? left : s.connectTimeout();
    connect = Checks.checkTimeout(connect);
    return new QmpSettings(
        s.unixSocket(),
        s.tcpHost(),
        s.tcpPort(),
        connect,
        s.commandTimeout(),
        s.maxMessageBytes(),
        s.enableOob(),
        s.eventListener(),
        s.name(),
        s.onConnect());
  }

  private static void pause(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted while reconnecting to QMP", e);
    }
  }
}
