package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.QmpClient;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

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
    return acquire(client, null, operation);
  }

  /**
   * Marks the client's QEMU busy with {@code operation}, and the QEMU that answers at {@code
   * alsoAt} too, as a transfer's new QEMU: known by its socket path only, since it may not run yet.
   *
   * @throws IllegalStateException at once if another operation runs on either QEMU
   */
  public static ClientGuard acquire(QmpClient client, @Nullable Path alsoAt, String operation) {
    String peer = client.describePeer();
    List<String> keys = new ArrayList<>(keysOf(client, peer));
    if (alsoAt != null) {
      String at = pathKey(alsoAt); // as a client of that path describes its peer, canonical
      if (!keys.contains(at)) {
        keys.add(at);
      }
    }
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
    return new ClientGuard(List.copyOf(keys));
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
    keys.add(peerKey(peer));
    return List.copyOf(keys);
  }

  /**
   * A peer's description as a key: a Unix socket's path in one spelling, so that {@code
   * /var/run/vm/qmp.sock}, {@code /run/vm/qmp.sock} (one a symlink to the other) and {@code
   * /run/vm/./qmp.sock} meet; anything else (host and port) as it is.
   */
  private static String peerKey(String peer) {
    Path path;
    try {
      path = Path.of(peer);
    } catch (InvalidPathException e) {
      return peer;
    }
    return path.isAbsolute() ? pathKey(path) : peer;
  }

  /**
   * The path with its symlinks resolved as far as they exist: the socket itself may not exist yet
   * (a new QEMU not started), its directory does.
   */
  private static String pathKey(Path path) {
    Path p = path.toAbsolutePath().normalize();
    try {
      return p.toRealPath().toString();
    } catch (IOException | RuntimeException e) {
      Path parent = p.getParent();
      Path name = p.getFileName();
      if (parent != null && name != null) {
        try {
          return parent.toRealPath().resolve(name).toString();
        } catch (IOException | RuntimeException again) {
          // the directory is not there either: the path as written, normalized
        }
      }
      return p.toString();
    }
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
