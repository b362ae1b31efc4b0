package io.github.qemucpr.qmp;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of {@link QmpClient#reconnect(QmpClient, Duration)}: the new client, and the gap
 * between the two connections.
 *
 * <p>There is no connection during the gap, so <em>events that QEMU sent during it are lost</em>
 * (for cpr-exec, the last {@code MIGRATION} events, and a {@code RESUME} sent before the new
 * monitor was up). To see the events QEMU sends as soon as the new monitor is up, open their queues
 * in the hook of {@link QmpClient#reconnect(QmpClient, Duration, java.util.function.Consumer)}. Do
 * not wait for an event that may already have happened: read the state again on the new client, as
 * in
 *
 * <pre>{@code
 * QmpReconnection again = QmpClient.reconnect(qmp, Duration.ofSeconds(30));
 * QmpClient qmp2 = again.client();
 * RunStatus status = qmp2.execute(new QueryStatus());       // running, paused, inmigrate...
 * MigrationInfo migration = qmp2.execute(new QueryMigrate()); // completed, failed...
 * }</pre>
 *
 * @param client the new client, open, with the old client's settings; the caller closes it
 * @param gap at least how long there was no connection: from when {@code reconnect} saw the old
 *     connection closed (or was called, if it was closed already) to when the new one was ready
 * @param closeCause why the old connection closed, such as the {@link QmpConnectionClosedException}
 *     of a QEMU that closed its monitor; {@code null} if it was closed by its caller
 * @param attempts how many connections were tried, the successful one included
 */
public record QmpReconnection(
    QmpClient client, Duration gap, @Nullable Throwable closeCause, int attempts) {

  /** Checks the components. */
  public QmpReconnection {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(gap, "gap");
    if (gap.isNegative()) {
      throw new IllegalArgumentException("gap must not be negative: " + gap);
    }
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
    }
  }
}
