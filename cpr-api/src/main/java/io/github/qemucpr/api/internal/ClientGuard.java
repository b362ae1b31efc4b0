package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.QmpClient;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Allows one save, restore or check at a time per {@link QmpClient}: two of them interleaving their
 * commands on one QEMU would undo each other's mode and capabilities.
 */
public final class ClientGuard implements AutoCloseable {
  private static final Map<QmpClient, String> BUSY = new IdentityHashMap<>();

  private final QmpClient client;

  private ClientGuard(QmpClient client) {
    this.client = client;
  }

  /**
   * Marks the client busy with {@code operation}.
   *
   * @throws IllegalStateException at once if another operation runs on the same client
   */
  public static ClientGuard acquire(QmpClient client, String operation) {
    synchronized (BUSY) {
      String running = BUSY.get(client);
      if (running != null) {
        throw new IllegalStateException(
            "a CPR "
                + running
                + " is already running on "
                + client.describePeer()
                + "; only one save, restore or check may run on a QmpClient at a time");
      }
      BUSY.put(client, operation + " (thread " + Thread.currentThread().getName() + ")");
    }
    return new ClientGuard(client);
  }

  @Override
  public void close() {
    synchronized (BUSY) {
      BUSY.remove(client);
    }
  }
}
