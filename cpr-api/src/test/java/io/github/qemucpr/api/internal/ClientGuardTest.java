package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQmpServer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One CPR operation at a time per QEMU, whichever client object it comes through. */
class ClientGuardTest {

  @TempDir Path dir;

  /** A decorator, as a manager adds for logging or metrics: it passes every call through. */
  private static QmpClient decorated(QmpClient inner) {
    return (QmpClient)
        Proxy.newProxyInstance(
            QmpClient.class.getClassLoader(),
            new Class<?>[] {QmpClient.class},
            (proxy, method, args) -> {
              try {
                return method.invoke(inner, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /** A decorator that names the peer its own way and reports {@code pid} as the peer's pid. */
  private static QmpClient describedAs(QmpClient inner, String peer, long pid) {
    return (QmpClient)
        Proxy.newProxyInstance(
            QmpClient.class.getClassLoader(),
            new Class<?>[] {QmpClient.class},
            (proxy, method, args) -> {
              if (method.getName().equals("describePeer")) {
                return peer;
              }
              if (method.getName().equals("peerProcessId")) {
                return OptionalLong.of(pid);
              }
              try {
                return method.invoke(inner, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  @Test
  void twoMonitorsOfOneQemuProcessAreOneQemu() {
    // One QEMU with two monitors (-qmp unix:a -qmp unix:b), or two decorators that describe the
    // same socket differently: the peer's pid says it is the same VM.
    long qemuPid = ProcessHandle.current().pid() + 1;
    try (FakeQmpServer a = FakeQmpServer.start();
        FakeQmpServer b = FakeQmpServer.start();
        QmpClient qa = QmpClient.connect(a.socketPath());
        QmpClient qb = QmpClient.connect(b.socketPath());
        ClientGuard save = ClientGuard.acquire(describedAs(qa, "monitor a", qemuPid), "save")) {
      assertThatThrownBy(() -> ClientGuard.acquire(describedAs(qb, "monitor b", qemuPid), "exec"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("a CPR save")
          .hasMessageContaining("pid " + qemuPid)
          .hasMessageContaining("monitor b");
    }
  }

  @Test
  void inProcessPeersWithOurOwnPidAreToldApartByTheirSocket() {
    // In-process fakes share the JVM's pid: the socket tells them apart.
    long ours = ProcessHandle.current().pid();
    try (FakeQmpServer a = FakeQmpServer.start();
        FakeQmpServer b = FakeQmpServer.start();
        QmpClient qa = QmpClient.connect(a.socketPath());
        QmpClient qb = QmpClient.connect(b.socketPath());
        ClientGuard first =
            ClientGuard.acquire(describedAs(qa, a.socketPath().toString(), ours), "save");
        ClientGuard second =
            ClientGuard.acquire(describedAs(qb, b.socketPath().toString(), ours), "save")) {
      assertThat(second).isNotSameAs(first);
    }
  }

  @Test
  void aDecoratedClientOfABusyQemuIsRefused() {
    try (FakeQmpServer server = FakeQmpServer.start();
        QmpClient qmp = QmpClient.connect(server.socketPath());
        ClientGuard save = ClientGuard.acquire(qmp, "save")) {
      assertThatThrownBy(() -> ClientGuard.acquire(decorated(qmp), "restore"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("a CPR save")
          .hasMessageContaining(server.socketPath().toString());
    }
  }

  @Test
  void theQemuIsFreeAgainOnceTheOperationEnds() {
    try (FakeQmpServer server = FakeQmpServer.start();
        QmpClient qmp = QmpClient.connect(server.socketPath())) {
      ClientGuard.acquire(qmp, "save").close();
      try (ClientGuard again = ClientGuard.acquire(decorated(qmp), "restore")) {
        assertThat(again).isNotNull();
      }
    }
  }

  @Test
  void twoQemusAreGuardedApart() {
    try (FakeQmpServer a = FakeQmpServer.start();
        FakeQmpServer b = FakeQmpServer.start();
        QmpClient qa = QmpClient.connect(a.socketPath());
        QmpClient qb = QmpClient.connect(b.socketPath());
        ClientGuard first = ClientGuard.acquire(qa, "save");
        ClientGuard second = ClientGuard.acquire(qb, "save")) {
      assertThat(second).isNotSameAs(first);
    }
  }

  /** A decorator that does not pass peerProcessId on (the interface's default: empty). */
  private static QmpClient withoutPid(QmpClient inner) {
    return (QmpClient)
        Proxy.newProxyInstance(
            QmpClient.class.getClassLoader(),
            new Class<?>[] {QmpClient.class},
            (proxy, method, args) -> {
              if (method.getName().equals("peerProcessId")) {
                return OptionalLong.empty();
              }
              try {
                return method.invoke(inner, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  @Test
  void aPlainClientAndADecoratorWithoutThePidOfOneQemuAreStillOneQemu() {
    // Attack: one real QEMU (pid not ours), one socket. A plain client is keyed by the pid; a
    // logging decorator that does not pass peerProcessId on is keyed by the socket path. Before
    // the change both were keyed by the socket path and the second was refused; now both run.
    long qemuPid = ProcessHandle.current().pid() + 1;
    try (FakeQmpServer server = FakeQmpServer.start();
        QmpClient qmp = QmpClient.connect(server.socketPath());
        ClientGuard save =
            ClientGuard.acquire(
                describedAs(qmp, server.socketPath().toString(), qemuPid), "save")) {
      assertThatThrownBy(() -> ClientGuard.acquire(withoutPid(qmp), "restore").close())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("a CPR save");
    }
  }

  @Test
  void aTransfersNewQemuIsGuardedHoweverItsPathIsSpelled() throws Exception {
    try (FakeQmpServer source = FakeQmpServer.start();
        FakeQmpServer target = FakeQmpServer.start();
        QmpClient qs = QmpClient.connect(source.socketPath());
        QmpClient qt = QmpClient.connect(target.socketPath())) {
      Path socket = target.socketPath().toAbsolutePath();
      // /run is /var/run: a manager may name the new QEMU's socket through either.
      Path linked = dir.resolve("run");
      Files.createSymbolicLink(linked, socket.getParent());
      for (Path spelled :
          new Path[] {
            socket.getParent().resolve(".").resolve(socket.getFileName()),
            socket.getParent().resolve("sub").resolve("..").resolve(socket.getFileName()),
            linked.resolve(socket.getFileName())
          }) {
        try (ClientGuard transfer = ClientGuard.acquire(qs, spelled, "transfer")) {
          assertThatThrownBy(() -> ClientGuard.acquire(qt, "save").close())
              .as("a save on the transfer's new QEMU, named %s by the transfer", spelled)
              .isInstanceOf(IllegalStateException.class)
              .hasMessageContaining("a CPR transfer");
        }
      }
    }
  }
}
