package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.QmpClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Allows one save, restore, transfer, exec or check at a time per QEMU: two of them interleaving
 * their commands on one QEMU would undo each other's mode and capabilities. The QEMU is known by
 * the pid of the process behind the socket ({@link QmpClient#peerProcessId()}, from the socket's
 * peer credentials), so that two clients, two monitors of one QEMU, or a client wrapped in a
 * decorator (logging, metrics, retries) all count as the same QEMU. Where there is no pid (TCP, a
 * decorator that does not pass it on), or the pid is this JVM's own (an in-process fake), the
 * peer's description ({@link QmpClient#describePeer()}: the socket path, or host and port) stands
 * in. The description is marked too when there is a pid: a client that gives the pid and a
 * decorator of the same socket that does not still meet on the socket's path.
 */
public final class ClientGuard implements AutoCloseable {
  private static final Map<String, String> BUSY = new HashMap<>();

  private final List<String> keys;
  private boolean closed;

  private ClientGuard(List<String> keys) {
    this.keys = keys;
  }

  /**
   * Marks the client's QEMU busy with {@code operation}.
   *
   * @param client the client of the QEMU the operation runs on
   * @param operation what runs, for the message that refuses a second one
   * @return the guard, to close when the operation ends, however it ends
   * @throws IllegalStateException at once if another operation runs on the same QEMU, through this
   *     client or another one
   */
  public static ClientGuard acquire(QmpClient client, String operation) {
    String peer = client.describePeer();
    List<String> keys = keysOf(client, peer);
    synchronized (BUSY) {
      for (String key : keys) {
        String running = BUSY.get(key);
        if (running != null) {
          throw new IllegalStateException(
              "a CPR "
                  + running
                  + " is already running on "
                  + key
                  + (key.equals(peer) ? "" : " (this client reaches it at " + peer + ")")
                  + "; only one save, restore, transfer, exec or check may run on a QEMU at a"
                  + " time");
        }
      }
      for (String key : keys) {
        BUSY.put(key, operation + " (thread " + Thread.currentThread().getName() + ")");
      }
    }
    return new ClientGuard(keys);
  }

  /**
   * The QEMU's pid when the socket gives one that is not this JVM's own, and {@code peer} always.
   */
  private static List<String> keysOf(QmpClient client, String peer) {
    OptionalLong pid;
    try {
      pid = client.peerProcessId();
    } catch (RuntimeException e) {
      pid = OptionalLong.empty(); // a decorator's own failure: the description stands in
    }
    List<String> keys = new ArrayList<>(2);
    if (pid.isPresent() && pid.getAsLong() != ProcessHandle.current().pid()) {
      keys.add("the QEMU with pid " + pid.getAsLong());
    }
    keys.add(peer);
    return List.copyOf(keys);
  }

  /** Marks the QEMU free again. Idempotent. */
  @Override
  public void close() {
    synchronized (BUSY) {
      if (!closed) {
        closed = true;
        keys.forEach(BUSY::remove);
      }
    }
  }
}
