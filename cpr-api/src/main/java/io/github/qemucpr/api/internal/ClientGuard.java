package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.QmpClient;
import java.util.HashMap;
import java.util.Map;

/**
 * Allows one save, restore or check at a time per QEMU monitor: two of them interleaving their
 * commands on one QEMU would undo each other's mode and capabilities. The monitor is known by its
 * peer ({@link QmpClient#describePeer()}: the socket path, or host and port), not by the client
 * object, so that a client wrapped in a decorator (logging, metrics, retries) is still the same
 * QEMU's.
 */
public final class ClientGuard implements AutoCloseable {
  private static final Map<String, String> BUSY = new HashMap<>();

  private final String peer;

  private ClientGuard(String peer) {
    this.peer = peer;
  }

  /**
   * Marks the client's QEMU busy with {@code operation}.
   *
   * @throws IllegalStateException at once if another operation runs on the same QEMU, through this
   *     client or another one
   */
  public static ClientGuard acquire(QmpClient client, String operation) {
    String peer = client.describePeer();
    synchronized (BUSY) {
      String running = BUSY.get(peer);
      if (running != null) {
        throw new IllegalStateException(
            "a CPR "
                + running
                + " is already running on "
                + peer
                + "; only one save, restore or check may run on a QEMU at a time");
      }
      BUSY.put(peer, operation + " (thread " + Thread.currentThread().getName() + ")");
    }
    return new ClientGuard(peer);
  }

  @Override
  public void close() {
    synchronized (BUSY) {
      BUSY.remove(peer);
    }
  }
}
